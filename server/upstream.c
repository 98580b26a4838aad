/* The upstream connection: connect (resolving names off the loop), the
 * deadline, the socket's read and write paths, and the goodbye. Logging in
 * is upstream_login.c; answers are upstream_relay.c. */
#include "server/upstream.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/config.h"
#include "server/log.h"
#include "server/mysql_conn.h"
#include "server/mysql_errors.h"
#include "server/process.h"

#define LOGU(level, up, ...) log_conn(level, "u", (up)->id, __VA_ARGS__)

#define WRITE_HIGH_WATER (1024 * 1024)

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
    metrics_add(&up->metrics->upstream_open, (uint64_t)-1);
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
        uv_try_write(&up->sock.stream, &b, 1);
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
    uv_close(&up->sock.handle, up_closed_cb);
}

void upstream_fail(struct upstream *up, uint16_t code, const char *sqlstate, const char *fmt, ...)
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
        upstream_fail(up, 2013, "HY000", "Lost connection to the upstream MySQL server (%s)",
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
    int n = uv_try_write(&up->sock.stream, &now, 1);
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
    int rc = uv_write(&w->req, &up->sock.stream, &ub, 1, write_cb);
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

/* A packet of one chunk, without TLS, goes out from the caller's bytes
 * with a header of its own: nothing is allocated unless the socket leaves
 * some of it for later. 1 when that is not this case. */
static int write_packet_direct(struct upstream *up, const uint8_t *payload, size_t len, uint8_t seq)
{
    if (up->tls || up->write_pending > 0 || len >= MYSQL_MAX_PACKET_CHUNK)
        return 1;
    uint8_t hdr[4] = {(uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16), seq};
    uv_buf_t bufs[2] = {uv_buf_init((char *)hdr, 4), uv_buf_init((char *)payload, (unsigned)len)};
    int n = uv_try_write(&up->sock.stream, bufs, 2);
    if (n == UV_EAGAIN)
        n = 0;
    if (n < 0)
        return n;
    metrics_add(&up->metrics->upstream_bytes_out, (uint64_t)n);
    size_t done = (size_t)n;
    int rc = 0;
    if (done < 4)
        rc = upstream_write_raw(up, hdr + done, 4 - done);
    if (rc == 0 && done < 4 + len) {
        size_t skip = done > 4 ? done - 4 : 0;
        rc = upstream_write_raw(up, payload + skip, len - skip);
    }
    return rc;
}

int upstream_write_packet(struct upstream *up, const void *payload, size_t len, uint8_t seq)
{
    int direct = write_packet_direct(up, payload, len, seq);
    if (direct <= 0)
        return direct;
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

uint8_t *upstream_buf_get(struct upstream *up)
{
    struct loop_ctx *lc = loop_ctx_of(&up->sock.handle);
    uint8_t *p = lc->upstream_spare;
    lc->upstream_spare = NULL;
    return p ? p : malloc(UPSTREAM_HEADROOM + UPSTREAM_READ_SIZE);
}

void upstream_buf_put(struct upstream *up, uint8_t *base)
{
    struct loop_ctx *lc = loop_ctx_of(&up->sock.handle);
    if (!lc->upstream_spare)
        lc->upstream_spare = base;
    else
        free(base);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    (void)suggested;
    uint8_t *p = upstream_buf_get(h->data);
    *b = uv_buf_init(p ? (char *)p + UPSTREAM_HEADROOM : NULL, p ? UPSTREAM_READ_SIZE : 0);
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    struct upstream *up = s->data;
    uint8_t *base = b->base ? (uint8_t *)b->base - UPSTREAM_HEADROOM : NULL;
    if (nread <= 0 || up->state == UPSTREAM_CLOSING) {
        upstream_buf_put(up, base);
        if (nread < 0 && up->state != UPSTREAM_CLOSING)
            upstream_fail(up, 2013, "HY000", "Lost connection to the upstream MySQL server (%s)",
                          nread == UV_EOF ? "it closed the connection" : uv_strerror((int)nread));
        return;
    }
    metrics_add(&up->metrics->upstream_bytes_in, (uint64_t)nread);
    if (up->tls) {
        int rc = upstream_tls_received(up, (const uint8_t *)b->base, (size_t)nread);
        upstream_buf_put(up, base);
        if (rc == -ECONNRESET && up->state != UPSTREAM_CLOSING)
            upstream_fail(up, 2013, "HY000",
                          "Lost connection to the upstream MySQL server (TLS closed)");
        else if (rc < 0 && up->state != UPSTREAM_CLOSING)
            upstream_fail(up, 2026, "HY000", "TLS with the upstream MySQL server failed: %s",
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
        upstream_buf_put(up, base);
    else {
        upstream_login_feed(up, data, len);
        upstream_buf_put(up, base);
    }
}

void upstream_resume(struct upstream *up)
{
    if (up->state == UPSTREAM_CLOSING || up->reading)
        return;
    if (uv_read_start(&up->sock.stream, alloc_cb, read_cb) == 0)
        up->reading = true;
}

void upstream_pause(struct upstream *up)
{
    if (!up->reading)
        return;
    uv_read_stop(&up->sock.stream);
    up->reading = false;
}

static void timeout_cb(uv_timer_t *t)
{
    struct upstream *up = t->data;
    upstream_fail(up, 2013, "HY000", "the upstream MySQL server did not answer within %ld s",
                  up->client ? up->client->srv->cfg->upstream_connect_timeout : 0L);
}

static void connect_failed(struct upstream *up, int status)
{
    upstream_fail(up, 1105, "HY000", "Can't connect to the upstream MySQL server %s '%s' (%s)",
                  up->sock.handle.type == UV_NAMED_PIPE ? "through socket" : "on",
                  up->client ? up->client->srv->cfg->upstream : "?", uv_strerror(status));
}

static void connect_cb(uv_connect_t *req, int status)
{
    struct upstream *up = req->data;
    if (up->state == UPSTREAM_CLOSING)
        return;
    if (status < 0) {
        connect_failed(up, status);
        return;
    }
    if (up->sock.handle.type == UV_TCP)
        uv_tcp_nodelay(&up->sock.tcp, 1);
    up->state = UPSTREAM_GREETING;
    upstream_resume(up);
}

static void start_connect(struct upstream *up, const struct sockaddr *sa)
{
    int rc = uv_tcp_connect(&up->connect_req, &up->sock.tcp, sa, connect_cb);
    if (rc < 0)
        connect_failed(up, rc);
}

static void resolved_cb(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct upstream *up = req->data;
    if (up->state != UPSTREAM_CLOSING) {
        if (status < 0 || !res)
            upstream_fail(up, 2005, "HY000", "Unknown upstream MySQL server host '%s' (%s)",
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
        upstream_fail(up, 2005, "HY000", "invalid upstream address '%s'", hostport);
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
    int rc =
        uv_getaddrinfo(up->sock.handle.loop, &up->resolve_req, resolved_cb, host, port, &hints);
    if (rc < 0) {
        up->handles_open--;
        upstream_fail(up, 2005, "HY000", "Unknown upstream MySQL server host '%s' (%s)", host,
                      uv_strerror(rc));
    }
}

void upstream_start_deadline(struct upstream *up)
{
    uv_timer_start(
        &up->timer, timeout_cb,
        (uint64_t)(up->client ? up->client->srv->cfg->upstream_connect_timeout : 10) * 1000, 0);
}

static void open_cb(uv_timer_t *t)
{
    struct upstream *up = t->data;
    upstream_start_deadline(up);
    if (!up->client)
        return;
    if (up->sock.handle.type == UV_NAMED_PIPE)
        uv_pipe_connect(&up->connect_req, &up->sock.pipe, up->client->srv->cfg->upstream,
                        connect_cb);
    else
        start_resolve(up, up->client->srv->cfg->upstream);
}

struct upstream *upstream_open(struct mysql_conn *c)
{
    struct server *srv = c->srv;
    struct upstream *up = calloc(1, sizeof(*up));
    if (!up)
        return NULL;
    up->client = c;
    up->metrics = &mysql_conn_loop(c)->metrics;
    metrics_add(&up->metrics->upstream_open, 1);
    up->id = c->id;
    up->state = UPSTREAM_CONNECTING;
    mysql_asm_init(&up->in, UPSTREAM_LOGIN_PACKET_LIMIT);
    mysql_asm_expect(&up->in, 0);
    if (config_upstream_is_socket(srv->cfg->upstream))
        uv_pipe_init(srv->loop, &up->sock.pipe, 0);
    else
        uv_tcp_init(srv->loop, &up->sock.tcp);
    uv_timer_init(srv->loop, &up->timer);
    up->sock.handle.data = up->timer.data = up->connect_req.data = up;
    up->handles_open = 2;
    /* from the loop: a failure then reaches a client that holds the pointer */
    uv_timer_start(&up->timer, open_cb, 0, 0);
    return up;
}
