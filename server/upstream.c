/* The upstream connection: connect, read the greeting, log in as a client
 * (mysql_native_password, caching_sha2_password with its fast path, or its
 * full authentication by RSA), and the socket's read and write paths. */
#include "server/upstream.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/mysql_auth.h"
#include "server/config.h"
#include "server/log.h"
#include "server/mysql_conn.h"
#include "server/mysql_errors.h"
#include "server/process.h"

#define LOGU(level, up, ...) log_conn(level, "u", (up)->id, __VA_ARGS__)

#define LOGIN_PACKET_LIMIT 65536
#define WRITE_HIGH_WATER   (1024 * 1024)
#define MAX_PACKET         (1024u * 1024 * 1024)

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

struct up_write {
    uv_write_t req;
    struct upstream *up;
    size_t len;
    uint8_t *data;
};

static void up_release(struct upstream *up)
{
    if (--up->handles_open > 0)
        return;
    up->metrics->upstream_open--;
    mysql_asm_free(&up->in);
    tls_filter_free(up->tls);
    free(up->login_database);
    if (up->password)
        memset(up->password, 0, strlen(up->password));
    free(up->user);
    free(up->password);
    free(up);
}

static void up_closed_cb(uv_handle_t *h)
{
    up_release(h->data);
}

/* A logged-in session with nothing in flight ends with COM_QUIT, so the
 * server counts a goodbye and not an aborted client. Best effort: written
 * now or not at all, as the handle closes next. */
static void say_goodbye(struct upstream *up)
{
    static const uint8_t quit[5] = {1, 0, 0, 0, COM_QUIT};
    uint8_t cipher[256];
    uv_buf_t b = uv_buf_init((char *)quit, sizeof(quit));
    if (up->tls) {
        size_t n = 0;
        if (tls_filter_write(up->tls, quit, sizeof(quit)) == 0) {
            tls_filter_shutdown(up->tls); /* close_notify after it */
            if (tls_filter_pending_output(up->tls) <= sizeof(cipher))
                n = tls_filter_take_output(up->tls, cipher, sizeof(cipher));
        }
        b = uv_buf_init((char *)cipher, (unsigned)n);
    }
    if (b.len > 0 && up->write_pending == 0)
        uv_try_write((uv_stream_t *)&up->tcp, &b, 1);
}

void upstream_close(struct upstream *up)
{
    if (!up || up->state == UPSTREAM_CLOSING)
        return;
    if (up->state == UPSTREAM_READY)
        say_goodbye(up);
    LOGU(LOG_DEBUG, up, "upstream closing");
    up->state = UPSTREAM_CLOSING;
    up->client = NULL;
    uv_close((uv_handle_t *)&up->timer, up_closed_cb);
    uv_close((uv_handle_t *)&up->tcp, up_closed_cb);
}

/* Tells the client (if still there) and closes. */
static void fail(struct upstream *up, uint16_t code, const char *sqlstate, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void fail(struct upstream *up, uint16_t code, const char *sqlstate, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    struct mysql_conn *c = up->client;
    LOGU(LOG_INFO, up, "upstream: %s", msg);
    upstream_close(up);
    if (c)
        proxy_upstream_failed(c, code, sqlstate, msg);
}

static void write_cb(uv_write_t *req, int status)
{
    struct up_write *w = (struct up_write *)req;
    struct upstream *up = w->up;
    up->write_pending -= w->len;
    free(w->data);
    free(w);
    if (up->state == UPSTREAM_CLOSING)
        return;
    if (status < 0) {
        fail(up, 2013, "HY000", "Lost connection to the upstream MySQL server (%s)",
             uv_strerror(status));
        return;
    }
    if (up->write_pending < WRITE_HIGH_WATER / 2 && up->client)
        mysql_conn_resume_input(up->client);
}

bool upstream_owes_answer(const struct upstream *up)
{
    return up->state == UPSTREAM_LOGIN || up->state == UPSTREAM_RELAY;
}

bool upstream_backlogged(const struct upstream *up)
{
    return up->write_pending >= WRITE_HIGH_WATER;
}

/* Writes what the socket takes at once when nothing is queued ahead (then
 * no request, no callback and no poll-set change are needed): the bytes
 * written, or a negative error. */
static int write_now(struct upstream *up, const void *data, size_t len)
{
    if (up->write_pending > 0)
        return 0;
    uv_buf_t now = uv_buf_init((char *)data, (unsigned)len);
    int n = uv_try_write((uv_stream_t *)&up->tcp, &now, 1);
    return n == UV_EAGAIN ? 0 : n;
}

int upstream_send_wire(struct upstream *up, uint8_t *data, size_t len)
{
    metrics_add(&up->metrics->upstream_bytes_out, len);
    int n = write_now(up, data, len);
    if (n < 0 || (size_t)n == len) {
        free(data);
        return n < 0 ? n : 0;
    }
    size_t off = (size_t)n;
    struct up_write *w = malloc(sizeof(*w));
    if (!w) {
        free(data);
        return -ENOMEM;
    }
    w->up = up;
    w->data = data;
    w->len = len - off;
    up->write_pending += len - off;
    uv_buf_t ub = uv_buf_init((char *)data + off, (unsigned)(len - off));
    int rc = uv_write(&w->req, (uv_stream_t *)&up->tcp, &ub, 1, write_cb);
    if (rc < 0) {
        up->write_pending -= len - off;
        free(data);
        free(w);
    }
    return rc;
}

/* Hands `data` (malloc'd; freed once written) to the socket, through TLS
 * when it is on. */
static int submit(struct upstream *up, uint8_t *data, size_t len)
{
    if (!up->tls)
        return upstream_send_wire(up, data, len);
    int rc = upstream_tls_send(up, data, len);
    free(data);
    return rc;
}

int upstream_write_packet(struct upstream *up, const void *payload, size_t len, uint8_t seq)
{
    struct buf b;
    buf_init(&b);
    mysql_frame(&b, payload, len, &seq);
    if (b.oom) {
        buf_free(&b);
        return -ENOMEM;
    }
    return submit(up, b.data, b.len);
}

int upstream_write_raw(struct upstream *up, const void *data, size_t len)
{
    if (!up->tls) { /* straight from the caller's bytes; only the rest is copied */
        int n = write_now(up, data, len);
        if (n < 0)
            return n;
        metrics_add(&up->metrics->upstream_bytes_out, (uint64_t)n);
        data = (const uint8_t *)data + n;
        len -= (size_t)n;
        if (len == 0)
            return 0;
    }
    uint8_t *copy = malloc(len);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, data, len);
    return submit(up, copy, len);
}

/* ---- logging in ---- */

static void start_deadline(struct upstream *up);
void upstream_resume(struct upstream *up);

static void send_login_packet(struct upstream *up, const void *p, size_t len)
{
    if (upstream_write_packet(up, p, len, up->login_seq) < 0)
        fail(up, 2013, "HY000", "Lost connection to the upstream MySQL server at login");
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
        fail(up, 1105, "HY000", "out of memory");
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
        fail(up, 2026, "HY000",
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
        fail(up, 2026, "HY000", "cannot start TLS with the upstream MySQL server");
        return;
    }
    up->state = UPSTREAM_TLS;
    const char *addr = up->client ? up->client->srv->cfg->upstream : "";
    if (upstream_tls_begin(up, ctx, addr) < 0)
        fail(up, 2026, "HY000", "cannot start TLS with the upstream MySQL server");
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
        fail(up, 2013, "HY000", "the upstream MySQL server is busy or gone");
        return;
    }
    if (set_account(up, user, password) < 0)
        return;
    mysql_asm_next(&up->in);
    start_login(up, database, charset, true, 0); /* a command: its exchange starts at 0 */
    start_deadline(up);
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
        fail(up, 2027, "HY000", "malformed authentication switch from the upstream");
        return;
    }
    memcpy(up->plugin, plugin, plen);
    up->plugin[plen] = '\0';
    memcpy(up->nonce, data, MYSQL_SCRAMBLE_LEN);
    if (answer_for(up, out, &out_len) < 0) {
        fail(up, 1251, "08004",
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
    fail(up, 2027, "HY000", "unexpected authentication data from the upstream");
}

static void on_login_packet(struct upstream *up, const uint8_t *p, size_t len)
{
    struct mysql_err_info e;
    if (len > 0 && p[0] == 0xFF && mysql_parse_err(p, len, &e) == 0) {
        fail(up, e.code, e.sqlstate, "upstream refused the login of '%s': %s", up->user, e.message);
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
        mysql_asm_init(&up->in, LOGIN_PACKET_LIMIT);
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
    fail(up, 2027, "HY000", "malformed answer from the upstream at login");
}

static void on_greeting(struct upstream *up, const uint8_t *p, size_t len)
{
    struct mysql_err_info e;
    if (len > 0 && p[0] == 0xFF && mysql_parse_err(p, len, &e) == 0) {
        fail(up, e.code, e.sqlstate, "the upstream refused the connection: %s", e.message);
        return;
    }
    if (mysql_parse_greeting(p, len, &up->greeting) < 0) {
        fail(up, 2027, "HY000", "malformed greeting from the upstream");
        return;
    }
    up->state = UPSTREAM_GREETED;
    if (up->client)
        proxy_upstream_greeted(up->client, &up->greeting);
}

/* While logging in, packets are read whole (they are small). */
static void login_feed(struct upstream *up, const uint8_t *data, size_t len)
{
    while (len > 0 && up->state != UPSTREAM_CLOSING && up->state != UPSTREAM_READY) {
        size_t used = 0;
        enum mysql_asm_status st = mysql_asm_feed(&up->in, data, len, &used);
        data += used;
        len -= used;
        if (st < 0) {
            fail(up, 2027, "HY000", "malformed packet from the upstream");
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
            fail(up, 2027, "HY000", "unexpected packet from the upstream");
            return;
        }
        if (up->state != UPSTREAM_CLOSING) {
            mysql_asm_next(&up->in);
            mysql_asm_expect(&up->in, up->login_seq);
        }
    }
    if (len > 0 && up->state == UPSTREAM_READY)
        fail(up, 2027, "HY000", "unexpected bytes from the upstream after login");
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    (void)h;
    (void)suggested;
    char *p = malloc(UPSTREAM_HEADROOM + UPSTREAM_READ_SIZE);
    *b = uv_buf_init(p ? p + UPSTREAM_HEADROOM : NULL, p ? UPSTREAM_READ_SIZE : 0);
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    struct upstream *up = s->data;
    uint8_t *base = b->base ? (uint8_t *)b->base - UPSTREAM_HEADROOM : NULL;
    if (nread <= 0 || up->state == UPSTREAM_CLOSING) {
        free(base);
        if (nread < 0 && up->state != UPSTREAM_CLOSING)
            fail(up, 2013, "HY000", "Lost connection to the upstream MySQL server (%s)",
                 nread == UV_EOF ? "it closed the connection" : uv_strerror((int)nread));
        return;
    }
    metrics_add(&up->metrics->upstream_bytes_in, (uint64_t)nread);
    if (up->tls) {
        int rc = upstream_tls_received(up, (const uint8_t *)b->base, (size_t)nread);
        free(base);
        if (rc == -ECONNRESET && up->state != UPSTREAM_CLOSING)
            fail(up, 2013, "HY000", "Lost connection to the upstream MySQL server (TLS closed)");
        else if (rc < 0 && up->state != UPSTREAM_CLOSING)
            fail(up, 2026, "HY000", "TLS with the upstream MySQL server failed: %s",
                 tls_filter_error(up->tls));
        return;
    }
    upstream_deliver(up, base, (uint8_t *)b->base, (size_t)nread);
}

void upstream_deliver(struct upstream *up, uint8_t *base, uint8_t *data, size_t len)
{
    if (up->state == UPSTREAM_READY || up->state == UPSTREAM_RELAY) {
        upstream_relay_read(up, base, data, len);
        return;
    }
    if (up->state == UPSTREAM_CLOSING || up->state == UPSTREAM_TLS)
        free(base);
    else {
        login_feed(up, data, len);
        free(base);
    }
}

void upstream_resume(struct upstream *up)
{
    if (up->state == UPSTREAM_CLOSING || up->reading)
        return;
    if (uv_read_start((uv_stream_t *)&up->tcp, alloc_cb, read_cb) == 0)
        up->reading = true;
}

void upstream_pause(struct upstream *up)
{
    if (!up->reading)
        return;
    uv_read_stop((uv_stream_t *)&up->tcp);
    up->reading = false;
}

static void timeout_cb(uv_timer_t *t)
{
    struct upstream *up = t->data;
    fail(up, 2013, "HY000", "the upstream MySQL server did not answer within %ld s",
         up->client ? up->client->srv->cfg->upstream_connect_timeout : 0L);
}

static void connect_cb(uv_connect_t *req, int status)
{
    struct upstream *up = req->data;
    if (up->state == UPSTREAM_CLOSING)
        return;
    if (status < 0) {
        const char *addr = up->client ? up->client->srv->cfg->upstream : "?";
        fail(up, 1105, "HY000", "Can't connect to the upstream MySQL server on '%s' (%s)", addr,
             uv_strerror(status));
        return;
    }
    uv_tcp_nodelay(&up->tcp, 1);
    up->state = UPSTREAM_GREETING;
    upstream_resume(up);
}

static void start_connect(struct upstream *up, const struct sockaddr *sa)
{
    int rc = uv_tcp_connect(&up->connect_req, &up->tcp, sa, connect_cb);
    if (rc < 0)
        fail(up, 1105, "HY000", "Can't connect to the upstream MySQL server on '%s' (%s)",
             up->client ? up->client->srv->cfg->upstream : "?", uv_strerror(rc));
}

static void resolved_cb(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct upstream *up = req->data;
    if (up->state != UPSTREAM_CLOSING) {
        if (status < 0 || !res)
            fail(up, 2005, "HY000", "Unknown upstream MySQL server host '%s' (%s)",
                 up->client ? up->client->srv->cfg->upstream : "?", uv_strerror(status));
        else
            start_connect(up, res->ai_addr);
    }
    uv_freeaddrinfo(res);
    up_release(up); /* the resolver's hold */
}

/* IP literals connect at once; names are resolved on the threadpool. */
static void start_resolve(struct upstream *up, const char *hostport)
{
    char host[256], port[8];
    int port_no;
    struct sockaddr_storage sa;
    if (config_parse_address(hostport, host, sizeof(host), &port_no) < 0) {
        fail(up, 2005, "HY000", "invalid upstream address '%s'", hostport);
        return;
    }
    snprintf(port, sizeof(port), "%d", port_no);
    if (uv_ip4_addr(host, port_no, (struct sockaddr_in *)&sa) == 0 ||
        uv_ip6_addr(host, port_no, (struct sockaddr_in6 *)&sa) == 0) {
        start_connect(up, (struct sockaddr *)&sa);
        return;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    up->resolve_req.data = up;
    up->handles_open++;
    int rc = uv_getaddrinfo(up->tcp.loop, &up->resolve_req, resolved_cb, host, port, &hints);
    if (rc < 0) {
        up->handles_open--;
        fail(up, 2005, "HY000", "Unknown upstream MySQL server host '%s' (%s)", host,
             uv_strerror(rc));
    }
}

static void start_deadline(struct upstream *up)
{
    uv_timer_start(
        &up->timer, timeout_cb,
        (uint64_t)(up->client ? up->client->srv->cfg->upstream_connect_timeout : 10) * 1000, 0);
}

static void open_cb(uv_timer_t *t)
{
    struct upstream *up = t->data;
    start_deadline(up);
    if (up->client)
        start_resolve(up, up->client->srv->cfg->upstream);
}

struct upstream *upstream_open(struct mysql_conn *c)
{
    struct server *srv = c->srv;
    struct upstream *up = calloc(1, sizeof(*up));
    if (!up)
        return NULL;
    up->client = c;
    up->metrics = &srv->metrics;
    metrics_add(&up->metrics->upstream_open, 1);
    up->id = c->id;
    up->state = UPSTREAM_CONNECTING;
    mysql_asm_init(&up->in, LOGIN_PACKET_LIMIT);
    mysql_asm_expect(&up->in, 0);
    uv_tcp_init(srv->loop, &up->tcp);
    uv_timer_init(srv->loop, &up->timer);
    up->tcp.data = up->timer.data = up->connect_req.data = up;
    up->handles_open = 2;
    /* from the loop: a failure then reaches a client that holds the pointer */
    uv_timer_start(&up->timer, open_cb, 0, 0);
    return up;
}
