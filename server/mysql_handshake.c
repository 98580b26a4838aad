/* Connection phase: greeting, optional TLS upgrade, authentication with
 * mysql_native_password or caching_sha2_password, and COM_CHANGE_USER. */
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/mysql_auth.h"
#include "server/log.h"
#include "server/mysql_conn.h"
#include "server/process.h"
#include "server/proxy.h"
#include "server/session.h"
#include "server/upstream.h"

#define LOGC(level, c, ...) log_conn(level, "m", (c)->id, __VA_ARGS__)

/* What we offer; see mysql-clients-compat §1.3. No compression, no session
 * tracking, no query attributes, no LOCAL INFILE yet. */
#define SERVER_CAPS                                                                             \
    (CLIENT_LONG_PASSWORD | CLIENT_FOUND_ROWS | CLIENT_LONG_FLAG | CLIENT_CONNECT_WITH_DB |     \
     CLIENT_PROTOCOL_41 | CLIENT_INTERACTIVE | CLIENT_TRANSACTIONS | CLIENT_SECURE_CONNECTION | \
     CLIENT_MULTI_STATEMENTS | CLIENT_MULTI_RESULTS | CLIENT_PS_MULTI_RESULTS |                 \
     CLIENT_PLUGIN_AUTH | CLIENT_CONNECT_ATTRS | CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA |        \
     CLIENT_DEPRECATE_EOF)

void mysql_conn_authenticated(struct mysql_conn *c);

/* Ours on the client's hop, whatever the upstream says. */
#define HOP_CAPS                                                                                 \
    (CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH | \
     CLIENT_CONNECT_ATTRS | CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA | CLIENT_CONNECT_WITH_DB)

static uint32_t server_caps(const struct mysql_conn *c)
{
    uint32_t caps = SERVER_CAPS;
    if (c->up) /* proxy: only what the upstream speaks too, so both hops agree */
        caps = (SERVER_CAPS | CLIENT_LOCAL_FILES | CLIENT_SESSION_TRACK) &
               (c->up->greeting.caps | HOP_CAPS);
    return caps | (c->srv->tls_ctx ? CLIENT_SSL : 0);
}

static const char *required_plugin(const struct mysql_conn *c)
{
    return c->srv->cfg->auth_plugin;
}

void mysql_auth_pending_clear(struct mysql_auth_pending *a)
{
    free(a->user);
    free(a->database);
    memset(a, 0, sizeof(*a));
}

void mysql_handshake_start(struct mysql_conn *c)
{
    if (RAND_bytes(c->scramble, sizeof(c->scramble)) != 1) {
        mysql_conn_close(c, "no randomness for the scramble");
        return;
    }
    mysql_scramble_sanitize(c->scramble);
    struct mysql_greeting g = {
        .server_version = c->srv->server_version,
        .connection_id = c->id,
        .capabilities = server_caps(c),
        .charset = 255, /* utf8mb4_0900_ai_ci, as MySQL 8 */
        .status = SERVER_STATUS_AUTOCOMMIT,
        .auth_plugin = required_plugin(c),
    };
    if (c->up) { /* proxy: the upstream's version and defaults */
        g.server_version = c->up->greeting.version;
        g.charset = c->up->greeting.charset;
        g.status = c->up->greeting.status;
    }
    memcpy(g.scramble, c->scramble, sizeof(g.scramble));
    struct buf *s = mysql_conn_scratch(c);
    buf_reset(s);
    mysql_build_greeting(s, &g);
    c->seq = 0;
    mysql_conn_send_scratch(c);
}

static void deny(struct mysql_conn *c, const char *user, bool used_password)
{
    LOGC(LOG_INFO, c, "access denied for '%s'@'%s'", user, c->peer_ip);
    mysql_conn_send_err(c, ER_ACCESS_DENIED, user, c->peer_ip, used_password ? "YES" : "NO");
    mysql_conn_close_after_flush(c, "access denied");
}

static void auth_succeeded(struct mysql_conn *c, bool sha2_fast_path)
{
    struct mysql_auth_pending *a = &c->auth;
    bool proxy = proxy_mode(c->srv);
    if (!proxy && a->database && !session_database_exists(c->srv, a->database)) {
        mysql_conn_send_err(c, ER_BAD_DB, a->database);
        mysql_conn_close_after_flush(c, "unknown database");
        return;
    }
    if (sha2_fast_path) {
        static const uint8_t fast_ok[2] = {0x01, 0x03};
        mysql_conn_send(c, fast_ok, sizeof(fast_ok));
    }
    struct session *old = c->sess;
    c->sess = session_new(c, a->account->name, a->database, a->charset);
    session_free(old);
    if (!c->sess) {
        mysql_conn_close(c, "out of memory");
        return;
    }
    if (proxy) { /* the OK waits for the upstream to accept our login */
        c->auth_charset = a->charset;
        mysql_auth_pending_clear(a);
        proxy_login_upstream(c);
        return;
    }
    LOGC(LOG_INFO, c, "%s '%s'@'%s'%s%s", a->change_user ? "changed user to" : "login", a->user,
         c->peer_ip, c->tls ? " over " : "", c->tls ? tls_filter_version(c->tls) : "");
    mysql_conn_set_state(c, MYSQL_CONN_COMMAND);
    mysql_conn_authenticated(c);
    mysql_conn_send_ok(c, 0, 0, NULL);
    mysql_auth_pending_clear(a);
}

/* Checks an answer computed for `plugin` against the account. */
static void verify_answer(struct mysql_conn *c, const char *plugin, const uint8_t *resp, size_t len)
{
    const struct user *u = c->auth.account;
    bool used_pw = !(len == 0 || (len == 1 && resp[0] == 0));
    if (!u) { /* removed by a reload during the exchange */
        deny(c, c->auth.user, used_pw);
        return;
    }
    if (strcmp(plugin, MYSQL_PLUGIN_NATIVE) == 0) {
        if (mysql_native_verify(&u->verifier, c->scramble, resp, len))
            auth_succeeded(c, false);
        else
            deny(c, c->auth.user, used_pw);
        return;
    }
    if (mysql_sha2_verify(&u->verifier, c->scramble, resp, len)) {
        /* Like MySQL, an empty password is answered with OK alone: clients
         * (libmariadb among them) do not read a fast-auth marker then. */
        auth_succeeded(c, used_pw);
        return;
    }
    /* Over TLS, a scramble we cannot match gets a second chance with the
     * cleartext password (caching_sha2 "full authentication"). */
    if (c->tls && used_pw && len == 32) {
        static const uint8_t full_auth[2] = {0x01, 0x04};
        mysql_conn_send(c, full_auth, sizeof(full_auth));
        mysql_conn_set_state(c, MYSQL_CONN_AUTH_FULL);
        return;
    }
    deny(c, c->auth.user, used_pw);
}

static void switch_plugin(struct mysql_conn *c)
{
    struct buf *s = mysql_conn_scratch(c);
    buf_reset(s);
    mysql_build_auth_switch(s, required_plugin(c), c->scramble);
    mysql_conn_send_scratch(c);
    mysql_conn_set_state(c, MYSQL_CONN_AUTH_SWITCH);
}

/* Common to the login and COM_CHANGE_USER once their packet is parsed. */
static void begin_auth(struct mysql_conn *c, const char *user, size_t user_len, const char *db,
                       size_t db_len, const char *plugin, size_t plugin_len, const uint8_t *auth,
                       size_t auth_len)
{
    struct mysql_auth_pending *a = &c->auth;
    a->user = strndup(user, user_len);
    a->database = db ? strndup(db, db_len) : NULL;
    if (!a->user || (db && !a->database)) {
        mysql_conn_close(c, "out of memory");
        return;
    }
    bool used_pw = !(auth_len == 0 || (auth_len == 1 && auth[0] == 0));
    if (strlen(a->user) != user_len) {
        deny(c, "", used_pw);
        return;
    }
    a->account = users_find(&c->srv->users, user, user_len);
    if (!a->account || !users_may_connect_from(a->account, c->peer_loopback)) {
        deny(c, a->user, used_pw);
        return;
    }
    /* Without a plugin name the answer is a native scramble (pre-plugin clients). */
    char client_plugin[64] = MYSQL_PLUGIN_NATIVE;
    if (plugin && plugin_len > 0 && plugin_len < sizeof(client_plugin)) {
        memcpy(client_plugin, plugin, plugin_len);
        client_plugin[plugin_len] = 0;
    }
    /* A client without CLIENT_PLUGIN_AUTH cannot follow a switch: its native
     * answer is checked as it is. */
    bool can_switch = (c->caps & CLIENT_PLUGIN_AUTH) != 0;
    if (can_switch && strcmp(client_plugin, required_plugin(c)) != 0) {
        LOGC(LOG_DEBUG, c, "client answered with %s: switching to %s", client_plugin,
             required_plugin(c));
        switch_plugin(c);
        return;
    }
    verify_answer(c, can_switch ? client_plugin : MYSQL_PLUGIN_NATIVE, auth, auth_len);
}

static void log_client(struct mysql_conn *c, const struct mysql_handshake_response *r)
{
    const uint8_t *v;
    size_t n;
    if (log_level_now() < LOG_DEBUG || !r->attrs)
        return;
    if (mysql_attr_get(r->attrs, r->attrs_len, "_client_name", &v, &n) == 0)
        LOGC(LOG_DEBUG, c, "client %.*s, flags 0x%08x, charset %u", (int)n, (const char *)v,
             r->client_flags, r->charset);
    if (mysql_attr_get(r->attrs, r->attrs_len, "program_name", &v, &n) == 0)
        LOGC(LOG_DEBUG, c, "program %.*s", (int)n, (const char *)v);
}

static void handle_response(struct mysql_conn *c, const uint8_t *p, size_t len)
{
    struct mysql_handshake_response r;
    int rc = mysql_parse_handshake_response(p, len, &r);
    if (rc < 0) {
        LOGC(LOG_INFO, c, "bad handshake response from %s", c->peer_ip);
        mysql_conn_send_err(c, ER_HANDSHAKE);
        mysql_conn_close_after_flush(c, "bad handshake");
        return;
    }
    if (r.is_ssl_request) {
        if (!c->srv->tls_ctx || c->tls) {
            mysql_conn_send_err(c, ER_HANDSHAKE);
            mysql_conn_close_after_flush(c, "unexpected SSLRequest");
            return;
        }
        c->tls = tls_filter_new(c->srv->tls_ctx, true);
        if (!c->tls)
            mysql_conn_close(c, "out of memory");
        c->tls_requested = true;
        return;
    }
    if (c->tls_requested && !c->tls) {
        mysql_conn_close(c, "TLS expected");
        return;
    }
    c->caps = r.client_flags & server_caps(c);
    c->auth.charset = r.charset;
    c->auth.change_user = false;
    log_client(c, &r);
    begin_auth(c, r.user, r.user_len, r.database, r.database_len, r.plugin, r.plugin_len, r.auth,
               r.auth_len);
}

void mysql_handshake_packet(struct mysql_conn *c, const uint8_t *p, size_t len)
{
    switch (c->state) {
    case MYSQL_CONN_HANDSHAKE:
        handle_response(c, p, len);
        break;
    case MYSQL_CONN_AUTH_SWITCH:
        verify_answer(c, required_plugin(c), p, len);
        break;
    case MYSQL_CONN_AUTH_FULL:
        if (c->auth.account && mysql_cleartext_verify(&c->auth.account->verifier, p, len))
            auth_succeeded(c, false);
        else
            deny(c, c->auth.user, true);
        break;
    default:
        break;
    }
}

void mysql_handshake_users_replaced(struct mysql_conn *c)
{
    struct mysql_auth_pending *a = &c->auth;
    if (!a->account)
        return;
    a->account = users_find(&c->srv->users, a->user, strlen(a->user));
    if (a->account && !users_may_connect_from(a->account, c->peer_loopback))
        a->account = NULL;
}

void mysql_handshake_change_user(struct mysql_conn *c, const uint8_t *p, size_t len)
{
    struct mysql_change_user cu;
    if (mysql_parse_change_user(p, len, c->caps, &cu) < 0) {
        mysql_conn_send_err(c, ER_HANDSHAKE);
        mysql_conn_close_after_flush(c, "bad COM_CHANGE_USER");
        return;
    }
    mysql_auth_pending_clear(&c->auth);
    c->auth.change_user = true;
    c->auth.charset = cu.charset ? (uint16_t)cu.charset : session_charset(c->sess);
    mysql_conn_set_state(c, MYSQL_CONN_HANDSHAKE);
    c->in.limit = 8192;
    begin_auth(c, cu.user, cu.user_len, cu.database, cu.database_len, cu.plugin, cu.plugin_len,
               cu.auth, cu.auth_len);
}
