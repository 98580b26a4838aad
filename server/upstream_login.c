/* Logging in to the upstream as a client: the greeting, our login (over
 * TLS when configured), COM_CHANGE_USER, and the exchanges that follow
 * (AuthSwitchRequest, caching_sha2_password's fast path and its full
 * authentication by RSA). Packets are read whole here; they are small. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/mysql_auth.h"
#include "server/config.h"
#include "server/log.h"
#include "server/mysql_conn.h"
#include "server/process.h"
#include "server/upstream.h"

#define LOGU(level, up, ...) log_conn(level, "u", (up)->id, __VA_ARGS__)

#define MAX_PACKET (1024u * 1024 * 1024)

/* Flags that change what travels on the wire: the client's choice, passed
 * on as it is, so both ends of the relay speak the same protocol. */
#define PASS_THROUGH_CAPS                                                                         \
    (CLIENT_FOUND_ROWS | CLIENT_LONG_FLAG | CLIENT_NO_SCHEMA | CLIENT_ODBC | CLIENT_LOCAL_FILES | \
     CLIENT_IGNORE_SPACE | CLIENT_INTERACTIVE | CLIENT_IGNORE_SIGPIPE | CLIENT_TRANSACTIONS |     \
     CLIENT_MULTI_STATEMENTS | CLIENT_MULTI_RESULTS | CLIENT_PS_MULTI_RESULTS |                   \
     CLIENT_SESSION_TRACK | CLIENT_DEPRECATE_EOF)
/* Ours on this hop. CLIENT_LONG_PASSWORD is MariaDB's CLIENT_MYSQL: with it
 * set, the server sends no MariaDB-only extensions, as the client asked for
 * none from us. */
#define HOP_CAPS                                                                                 \
    (CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH | \
     CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA | CLIENT_CONNECT_WITH_DB)

static void send_login_packet(struct upstream *up, const void *p, size_t len)
{
    if (upstream_write_packet(up, p, len, up->login_seq) < 0)
        upstream_fail(up, 2013, "HY000", "Lost connection to the upstream MySQL server at login");
    up->login_seq++;
    mysql_asm_expect(&up->in, up->login_seq);
}

static int answer_for(struct upstream *up, uint8_t out[32], size_t *len)
{
    return mysql_auth_answer(up->plugin, up->password, up->nonce, out, len);
}

static int set_account(struct upstream *up, const char *user, const char *password)
{
    free(up->user);
    free(up->password);
    up->user = strdup(user);
    up->password = strdup(password ? password : "");
    if (!up->user || !up->password) {
        upstream_fail(up, 1105, "HY000", "out of memory");
        return -ENOMEM;
    }
    return 0;
}

/* Sends the login (or COM_CHANGE_USER) for the account, answering the
 * greeting's nonce with the plugin it named; `seq` is its sequence id. */
static void start_login(struct upstream *up, const char *database, uint16_t charset,
                        bool change_user, uint8_t seq)
{
    const struct mysql_server_greeting *g = &up->greeting;
    memcpy(up->nonce, g->scramble, sizeof(up->nonce));
    /* a plugin we cannot answer is switched by the server when it matters */
    snprintf(up->plugin, sizeof(up->plugin), "%s",
             strcmp(g->plugin, MYSQL_PLUGIN_SHA2) == 0 ? MYSQL_PLUGIN_SHA2 : MYSQL_PLUGIN_NATIVE);
    uint8_t auth[32];
    size_t auth_len = 0;
    answer_for(up, auth, &auth_len);
    struct mysql_login l = {.caps = up->caps,
                            .max_packet = MAX_PACKET,
                            .charset = (uint8_t)charset,
                            .user = up->user,
                            .auth = auth,
                            .auth_len = auth_len,
                            .database = database,
                            .plugin = up->plugin};
    struct buf b;
    buf_init(&b);
    if (change_user)
        mysql_build_change_user(&b, &l, charset);
    else
        mysql_build_login(&b, &l);
    up->state = UPSTREAM_LOGIN;
    up->login_seq = seq;
    send_login_packet(up, b.data, b.len);
    buf_free(&b);
}

/* TLS first: SSLRequest, the handshake, then the login (upstream_tls_ready). */
static void start_tls(struct upstream *up, SSL_CTX *ctx, const char *database, uint8_t charset)
{
    if (!(up->greeting.caps & CLIENT_SSL)) {
        upstream_fail(up, 2026, "HY000",
                      "the upstream MySQL server does not offer TLS (upstream_tls is on)");
        return;
    }
    up->caps |= CLIENT_SSL;
    up->login_charset = charset;
    up->login_database = database ? strdup(database) : NULL;
    struct buf b;
    buf_init(&b);
    mysql_build_ssl_request(&b, up->caps, MAX_PACKET, charset);
    int rc = b.oom ? -ENOMEM : upstream_write_packet(up, b.data, b.len, 1);
    buf_free(&b);
    if (rc < 0 || (database && !up->login_database)) {
        upstream_fail(up, 2026, "HY000", "cannot start TLS with the upstream MySQL server");
        return;
    }
    up->state = UPSTREAM_TLS;
    const char *addr = up->client ? up->client->srv->cfg->upstream : "";
    if (upstream_tls_begin(up, ctx, addr) < 0)
        upstream_fail(up, 2026, "HY000", "cannot start TLS with the upstream MySQL server");
}

void upstream_tls_ready(struct upstream *up)
{
    LOGU(LOG_DEBUG, up, "TLS with the upstream: %s", tls_filter_version(up->tls));
    start_login(up, up->login_database, up->login_charset, false, 2);
    free(up->login_database);
    up->login_database = NULL;
}

void upstream_login(struct upstream *up, const char *user, const char *password,
                    const char *database, uint8_t charset, uint32_t client_caps)
{
    if (up->state != UPSTREAM_GREETED)
        return;
    up->caps =
        ((client_caps & PASS_THROUGH_CAPS) | HOP_CAPS) & (up->greeting.caps | CLIENT_LONG_PASSWORD);
    if (database && *database) /* the SSLRequest must carry the login's flags */
        up->caps |= CLIENT_CONNECT_WITH_DB;
    else
        up->caps &= ~CLIENT_CONNECT_WITH_DB;
    if (set_account(up, user, password) < 0)
        return;
    SSL_CTX *tls = up->client ? up->client->srv->upstream_tls_ctx : NULL;
    if (tls)
        start_tls(up, tls, database, charset);
    else
        start_login(up, database, charset, false, 1);
}

void upstream_change_user(struct upstream *up, const char *user, const char *password,
                          const char *database, uint16_t charset)
{
    if (up->state != UPSTREAM_READY) {
        upstream_fail(up, 2013, "HY000", "the upstream MySQL server is busy or gone");
        return;
    }
    if (set_account(up, user, password) < 0)
        return;
    mysql_asm_next(&up->in);
    start_login(up, database, charset, true, 0); /* a command: its exchange starts at 0 */
    upstream_start_deadline(up);
    upstream_resume(up);
}

static void on_auth_switch(struct upstream *up, const uint8_t *p, size_t len)
{
    const char *plugin;
    const uint8_t *data;
    size_t plen, dlen;
    uint8_t out[32];
    size_t out_len;
    if (mysql_parse_auth_switch(p, len, &plugin, &plen, &data, &dlen) < 0 ||
        dlen < MYSQL_SCRAMBLE_LEN || plen >= sizeof(up->plugin)) {
        upstream_fail(up, 2027, "HY000", "malformed authentication switch from the upstream");
        return;
    }
    memcpy(up->plugin, plugin, plen);
    up->plugin[plen] = '\0';
    memcpy(up->nonce, data, MYSQL_SCRAMBLE_LEN);
    if (answer_for(up, out, &out_len) < 0) {
        upstream_fail(
            up, 1251, "08004",
            "the upstream asks for authentication plugin '%s', which stageproxy cannot answer",
            up->plugin);
        return;
    }
    send_login_packet(up, out, out_len);
}

/* caching_sha2_password's extra round trips: 0x03 fast path done, 0x04
 * full authentication wanted, or the public key we asked for. */
static void on_more_data(struct upstream *up, const uint8_t *p, size_t len)
{
    if (len == 2 && p[1] == 0x03)
        return; /* the OK follows */
    if (len == 2 && p[1] == 0x04) {
        static const uint8_t want_key = 0x02;
        send_login_packet(up, &want_key, 1);
        return;
    }
    uint8_t enc[1024];
    size_t enc_len;
    if (len > 1 && mysql_sha2_rsa_password((const char *)p + 1, len - 1, up->password, up->nonce,
                                           enc, sizeof(enc), &enc_len) == 0) {
        send_login_packet(up, enc, enc_len);
        return;
    }
    upstream_fail(up, 2027, "HY000", "unexpected authentication data from the upstream");
}

static void on_login_packet(struct upstream *up, const uint8_t *p, size_t len)
{
    struct mysql_err_info e;
    if (len > 0 && p[0] == 0xFF && mysql_parse_err(p, len, &e) == 0) {
        upstream_fail(up, e.code, e.sqlstate, "upstream refused the login of '%s': %s", up->user,
                      e.message);
        return;
    }
    if (len > 0 && p[0] == 0x00) {
        struct mysql_reply r;
        mysql_reply_begin(&r, COM_PING, up->caps);
        mysql_reply_packet(&r, p, len, (uint32_t)len);
        up->status = r.status;
        up->state = UPSTREAM_READY;
        uv_timer_stop(&up->timer);
        mysql_asm_free(&up->in);
        mysql_asm_init(&up->in, UPSTREAM_LOGIN_PACKET_LIMIT);
        LOGU(LOG_DEBUG, up, "logged in upstream as '%s'", up->user);
        if (up->client)
            proxy_upstream_logged_in(up->client, r.status);
        return;
    }
    if (len > 0 && p[0] == 0xFE) {
        on_auth_switch(up, p, len);
        return;
    }
    if (len > 0 && p[0] == 0x01) {
        on_more_data(up, p, len);
        return;
    }
    upstream_fail(up, 2027, "HY000", "malformed answer from the upstream at login");
}

static void on_greeting(struct upstream *up, const uint8_t *p, size_t len)
{
    struct mysql_err_info e;
    if (len > 0 && p[0] == 0xFF && mysql_parse_err(p, len, &e) == 0) {
        upstream_fail(up, e.code, e.sqlstate, "the upstream refused the connection: %s", e.message);
        return;
    }
    if (mysql_parse_greeting(p, len, &up->greeting) < 0) {
        upstream_fail(up, 2027, "HY000", "malformed greeting from the upstream");
        return;
    }
    up->state = UPSTREAM_GREETED;
    if (up->client)
        proxy_upstream_greeted(up->client, &up->greeting);
}

/* While logging in, packets are read whole (they are small). */
void upstream_login_feed(struct upstream *up, const uint8_t *data, size_t len)
{
    while (len > 0 && up->state != UPSTREAM_CLOSING && up->state != UPSTREAM_READY) {
        size_t used = 0;
        enum mysql_asm_status st = mysql_asm_feed(&up->in, data, len, &used);
        data += used;
        len -= used;
        if (st < 0) {
            upstream_fail(up, 2027, "HY000", "malformed packet from the upstream");
            return;
        }
        if (st != MYSQL_ASM_PACKET)
            continue;
        const uint8_t *p = up->in.payload.data;
        size_t n = up->in.payload.len;
        up->login_seq = (uint8_t)(up->in.last_seq + 1);
        if (up->state == UPSTREAM_GREETING)
            on_greeting(up, p, n);
        else if (up->state == UPSTREAM_LOGIN)
            on_login_packet(up, p, n);
        else {
            upstream_fail(up, 2027, "HY000", "unexpected packet from the upstream");
            return;
        }
        if (up->state != UPSTREAM_CLOSING) {
            mysql_asm_next(&up->in);
            mysql_asm_expect(&up->in, up->login_seq);
        }
    }
    if (len > 0 && up->state == UPSTREAM_READY)
        upstream_fail(up, 2027, "HY000", "unexpected bytes from the upstream after login");
}
