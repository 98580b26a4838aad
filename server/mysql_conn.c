#include "server/mysql_conn.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/listener.h"
#include "server/log.h"
#include "server/process.h"
#include "server/proxy.h"
#include "server/proxy_protocol.h"
#include "server/relay.h"
#include "server/session.h"
#include "server/upstream.h"

/* Packets before authentication are small; anything bigger is hostile. */
#define PREAUTH_PACKET_LIMIT 8192
/* Stop reading commands while this much output waits for a slow client. */
#define WRITE_HIGH_WATER     (1024 * 1024)

struct write_req {
    uv_write_t req;
    struct mysql_conn *conn;
    size_t len;
    uint8_t *data; /* freed when written */
};

static void conn_process(struct mysql_conn *c, const uint8_t *data, size_t len);
static void start_reading(struct mysql_conn *c);
static void conn_begin(struct mysql_conn *c);

#define LOGC(level, c, ...) log_conn(level, "m", (c)->id, __VA_ARGS__)

static void conn_release(struct mysql_conn *c)
{
    struct server *srv = c->srv;
    if (c->relay)
        c->relay->assigned--;
    mysql_asm_free(&c->in);
    buf_free(&c->out);
    buf_free(&c->unread);
    tls_filter_free(c->tls);
    session_free(c->sess);
    mysql_auth_pending_clear(&c->auth);
    free(c->rest_sql);
    free(c);
    server_connection_gone(srv);
}

static void conn_free(struct mysql_conn *c)
{
    list_remove(&c->move_node);
    if (mysql_conn_on_relay(c)) { /* counting and freeing are the main loop's */
        c->dead = true;
        relay_hand_over(c->srv, NULL, c);
        return;
    }
    conn_release(c);
}

void mysql_conn_free_dead(struct mysql_conn *c)
{
    c->srv->n_mysql_conns--;
    conn_release(c);
}

static void close_cb(uv_handle_t *h)
{
    struct mysql_conn *c = h->data;
    /* A storage or catalog callback still points here: it frees us. */
    if (!c->busy) {
        conn_free(c);
        return;
    }
    c->free_when_idle = true;
    if (c->on_drain) {
        /* a streaming answer waits for a client that is gone: let it stop */
        void (*drain)(struct mysql_conn *) = c->on_drain;
        c->on_drain = NULL;
        drain(c);
    }
}

void mysql_conn_async_begin(struct mysql_conn *c)
{
    c->busy = true;
}

void mysql_conn_command_begin(struct mysql_conn *c)
{
    c->command_started_ms = uv_now(c->sock.handle.loop); /* the processlist's Time */
    if (c->command_started_ns == 0) {
        c->command_started_ns = uv_hrtime();
        c->command_upstream = false;
    }
}

/* The command's answer is queued whole: its time goes to the metrics. */
static void command_end(struct mysql_conn *c)
{
    if (c->command_started_ns == 0)
        return;
    metrics_mysql_command(&mysql_conn_loop(c)->metrics, c->command_upstream,
                          uv_hrtime() - c->command_started_ns);
    c->command_started_ns = 0;
}

static void resume_input(struct mysql_conn *c);

bool mysql_conn_async_end(struct mysql_conn *c)
{
    command_end(c);
    c->busy = false;
    if (c->free_when_idle) {
        conn_free(c);
        return false;
    }
    if (c->state == MYSQL_CONN_CLOSING)
        return false;
    if (server_shutting_down(c->srv) && c->state == MYSQL_CONN_COMMAND) {
        /* the command that held the connection open at shutdown is done */
        mysql_conn_close_after_flush(c, "server shutdown");
        return false;
    }
    mysql_conn_flush(c);
    resume_input(c);
    mysql_move_consider(c);
    return true;
}

static const char *const state_names[] = {"handshake", "auth-switch", "auth-full",   "command",
                                          "infile",    "closing",     "proxy-header"};

void mysql_conn_set_state(struct mysql_conn *c, enum mysql_conn_state state)
{
    LOGC(LOG_DEBUG, c, "state %s -> %s", state_names[c->state], state_names[state]);
    c->state = state;
}

void mysql_conn_close(struct mysql_conn *c, const char *reason)
{
    if (c->state == MYSQL_CONN_CLOSING)
        return;
    LOGC(LOG_DEBUG, c, "closing: %s", reason);
    mysql_conn_set_state(c, MYSQL_CONN_CLOSING);
    /* an answer the upstream owed us ends with it: nothing else would free us */
    if (c->up && c->busy && upstream_owes_answer(c->up))
        c->busy = false;
    upstream_close(c->up);
    c->up = NULL;
    list_remove(&c->node);
    list_remove(&c->move_node);
    if (!mysql_conn_on_relay(c)) /* a relay's are counted when the main loop frees them */
        c->srv->n_mysql_conns--;
    /* Pending writes complete with UV_ECANCELED before close_cb runs. */
    uv_close(&c->sock.handle, close_cb);
}

void mysql_conn_close_after_flush(struct mysql_conn *c, const char *reason)
{
    if (c->state == MYSQL_CONN_CLOSING)
        return;
    c->close_after_flush = true;
    mysql_conn_flush(c);
    if (c->write_pending == 0)
        mysql_conn_close(c, reason);
    else if (c->reading) {
        uv_read_stop(&c->sock.stream);
        c->reading = false;
    }
}

static void write_cb(uv_write_t *req, int status)
{
    struct write_req *w = (struct write_req *)req;
    struct mysql_conn *c = w->conn;
    c->write_pending -= w->len;
    free(w->data);
    free(w);
    if (c->state == MYSQL_CONN_CLOSING)
        return;
    if (status < 0) {
        mysql_conn_close(c, uv_strerror(status));
        return;
    }
    if (c->write_pending == 0 && c->close_after_flush) {
        mysql_conn_close(c, "done");
        return;
    }
    if (c->write_pending == 0 && c->go_home)
        mysql_move_consider(c);
    if (c->write_pending < WRITE_HIGH_WATER / 2) {
        if (c->on_drain) {
            void (*drain)(struct mysql_conn *) = c->on_drain;
            c->on_drain = NULL;
            drain(c); /* a streaming answer produces its next part */
            return;
        }
        /* The client caught up: take its next commands. */
        resume_input(c);
    }
}

bool mysql_conn_backlogged(const struct mysql_conn *c)
{
    return c->write_pending + c->out.len >= WRITE_HIGH_WATER;
}

void mysql_conn_resume_input(struct mysql_conn *c)
{
    resume_input(c);
    mysql_move_consider(c);
}

/* Processes what arrived while we could not, then reads again. */
static void resume_input(struct mysql_conn *c)
{
    if (c->reading || c->busy || c->close_after_flush || c->state == MYSQL_CONN_CLOSING)
        return;
    if (c->unread.len > 0) {
        struct buf pending = c->unread;
        buf_init(&c->unread);
        conn_process(c, pending.data, pending.len);
        buf_free(&pending);
        mysql_conn_flush(c);
    }
    if (c->state != MYSQL_CONN_CLOSING && !c->busy && c->unread.len == 0 &&
        c->write_pending < WRITE_HIGH_WATER)
        start_reading(c);
}

/* Writes what the socket takes now and queues the rest, which keeps `base`:
 * true then; false when `base` is the caller's again (all written, or the
 * connection closed). */
static bool write_or_queue(struct mysql_conn *c, uint8_t *base, const uint8_t *data, size_t len)
{
    /* Most answers fit the socket buffer: written now, they need no request,
     * no callback and no change of the poll set (which uv_write's drain
     * costs: a syscall per answer). */
    if (c->write_pending == 0) {
        uv_buf_t now = uv_buf_init((char *)data, (unsigned)len);
        int n = uv_try_write(&c->sock.stream, &now, 1);
        if (n > 0) {
            metrics_add(&mysql_conn_loop(c)->metrics.mysql_bytes_out, (uint64_t)n);
            data += n;
            len -= (size_t)n;
        } else if (n != UV_EAGAIN) {
            mysql_conn_close(c, uv_strerror(n));
            return false;
        }
        if (len == 0)
            return false;
    }
    struct write_req *w = malloc(sizeof(*w));
    if (!w) {
        mysql_conn_close(c, "out of memory");
        return false;
    }
    w->conn = c;
    w->data = base;
    w->len = len;
    uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
    c->write_pending += len;
    metrics_add(&mysql_conn_loop(c)->metrics.mysql_bytes_out, len);
    int rc = uv_write(&w->req, &c->sock.stream, &b, 1, write_cb);
    if (rc < 0) {
        c->write_pending -= len;
        free(w);
        mysql_conn_close(c, uv_strerror(rc));
        return false;
    }
    return true;
}

static void submit_write_at(struct mysql_conn *c, uint8_t *base, const uint8_t *data, size_t len)
{
    if (!write_or_queue(c, base, data, len))
        free(base);
}

static void submit_write(struct mysql_conn *c, uint8_t *data, size_t len)
{
    submit_write_at(c, data, data, len);
}

static void flush_tls_output(struct mysql_conn *c)
{
    size_t n = tls_filter_pending_output(c->tls);
    if (n == 0)
        return;
    uint8_t *data = malloc(n);
    if (!data) {
        mysql_conn_close(c, "out of memory");
        return;
    }
    n = tls_filter_take_output(c->tls, data, n);
    submit_write(c, data, n);
}

void mysql_conn_flush(struct mysql_conn *c)
{
    if (c->state == MYSQL_CONN_CLOSING)
        return;
    if (c->out.oom) {
        mysql_conn_close(c, "out of memory");
        return;
    }
    if (c->tls) {
        if (c->out.len > 0 && tls_filter_write(c->tls, c->out.data, c->out.len) < 0) {
            mysql_conn_close(c, tls_filter_error(c->tls));
            return;
        }
        buf_reset(&c->out);
        flush_tls_output(c);
        return;
    }
    if (c->out.len == 0)
        return;
    /* The write request takes the buffer over; no copy. */
    uint8_t *data = c->out.data;
    size_t len = c->out.len;
    buf_init(&c->out);
    submit_write(c, data, len);
}

bool mysql_conn_forward(struct mysql_conn *c, uint8_t *base, const uint8_t *data, size_t len)
{
    mysql_conn_flush(c); /* what we queued before goes first */
    if (c->state == MYSQL_CONN_CLOSING)
        return false;
    if (!c->tls)
        return write_or_queue(c, base, data, len);
    if (tls_filter_write(c->tls, data, len) < 0) { /* it copies */
        mysql_conn_close(c, tls_filter_error(c->tls));
        return false;
    }
    flush_tls_output(c);
    return false;
}

void mysql_conn_send(struct mysql_conn *c, const void *payload, size_t len)
{
    mysql_frame(&c->out, payload, len, &c->seq);
}

void mysql_conn_send_scratch(struct mysql_conn *c)
{
    struct buf *s = mysql_conn_scratch(c);
    if (s->oom) {
        buf_reset(s);
        mysql_conn_close(c, "out of memory");
        return;
    }
    mysql_conn_send(c, s->data, s->len);
    buf_reset(s);
}

uint16_t mysql_conn_status(const struct mysql_conn *c)
{
    if (proxy_mode(c->srv)) /* the transaction state is the upstream's */
        return (uint16_t)((c->up_status & ~SERVER_MORE_RESULTS_EXISTS) |
                          (c->sess ? c->sess->more_results : 0));
    return c->sess ? session_status_flags(c->sess) : SERVER_STATUS_AUTOCOMMIT;
}

void mysql_conn_send_ok(struct mysql_conn *c, uint64_t affected, uint64_t insert_id,
                        const char *info)
{
    struct mysql_ok ok = {affected, insert_id, mysql_conn_status(c),
                          0,        info,      (c->caps & CLIENT_SESSION_TRACK) != 0};
    struct buf *s = mysql_conn_scratch(c);
    buf_reset(s);
    mysql_build_ok(s, &ok, 0x00);
    mysql_conn_send_scratch(c);
}

void mysql_conn_send_eof(struct mysql_conn *c)
{
    struct buf *s = mysql_conn_scratch(c);
    buf_reset(s);
    mysql_build_terminator(s, c->caps, 0, mysql_conn_status(c));
    mysql_conn_send_scratch(c);
}

void mysql_conn_send_err_text(struct mysql_conn *c, uint16_t code, const char *sqlstate,
                              const char *msg)
{
    struct buf *s = mysql_conn_scratch(c);
    buf_reset(s);
    /* Before the client's flags are known, the SQLSTATE marker is left out. */
    uint32_t caps = c->state == MYSQL_CONN_HANDSHAKE && c->caps == 0 ? 0 : c->caps;
    mysql_build_err(s, code, sqlstate, msg, caps);
    mysql_conn_send_scratch(c);
    metrics_mysql_error(&mysql_conn_loop(c)->metrics, code);
    if (c->sess)
        session_note_error(c->sess, code, msg);
}

void mysql_conn_send_err(struct mysql_conn *c, enum mysql_error e, ...)
{
    const struct mysql_error_info *info = mysql_error_info(e);
    char msg[512];
    va_list ap;
    va_start(ap, e);
    vsnprintf(msg, sizeof(msg), info->fmt, ap);
    va_end(ap);
    mysql_conn_send_err_text(c, info->code, info->sqlstate, msg);
}

static void fail_packet(struct mysql_conn *c, enum mysql_asm_status st)
{
    if (c->state != MYSQL_CONN_COMMAND && c->state != MYSQL_CONN_INFILE) {
        /* 0x16 0x03: a TLS ClientHello where a MySQL packet belongs. */
        if (c->in.hdr[0] == 0x16 && c->in.hdr[1] == 0x03)
            LOGC(LOG_INFO, c, "TLS ClientHello on the plain MySQL port from %s", c->peer_ip);
        else
            LOGC(LOG_INFO, c, "malformed or oversized packet before authentication from %s",
                 c->peer_ip);
        mysql_conn_send_err(c, ER_HANDSHAKE);
    } else if (st == MYSQL_ASM_TOO_LARGE) {
        mysql_conn_send_err(c, ER_NET_PACKET_TOO_LARGE);
    } else if (st == MYSQL_ASM_BAD_SEQUENCE) {
        mysql_conn_send_err(c, ER_NET_PACKETS_OUT_OF_ORDER);
    }
    mysql_conn_close_after_flush(c, "bad packet");
}

static bool can_process_more(const struct mysql_conn *c)
{
    return c->state != MYSQL_CONN_CLOSING && !c->close_after_flush && !c->busy && !c->go_home &&
           c->write_pending + c->out.len < WRITE_HIGH_WATER &&
           !(c->up && upstream_backlogged(c->up));
}

static void stop_reading(struct mysql_conn *c)
{
    if (c->reading) {
        uv_read_stop(&c->sock.stream);
        c->reading = false;
    }
}

/* The packet in `in` was handled: make ready for the next. */
static void packet_done(struct mysql_conn *c)
{
    c->pass_judged = false;
    mysql_asm_next(&c->in);
    /* A new command starts at 0; an auth exchange continues after ours. */
    mysql_asm_expect(&c->in, c->state == MYSQL_CONN_COMMAND ? 0 : c->seq);
    if (c->state == MYSQL_CONN_INFILE && c->infile_passed)
        mysql_asm_discard(&c->in);
}

static void dispatch(struct mysql_conn *c, const uint8_t *p, size_t len)
{
    if (c->state == MYSQL_CONN_COMMAND) {
        mysql_command_packet(c, p, len);
        if (c->state == MYSQL_CONN_COMMAND && !c->busy && !c->go_home)
            command_end(c);
    } else if (c->state == MYSQL_CONN_INFILE)
        proxy_infile_packet(c, p, len);
    else
        mysql_handshake_packet(c, p, len);
}

/* Processes plaintext: whole packets are dispatched in order; a partial one
 * waits in the assembler; what arrives while the client is not reading our
 * output is kept for later (pipelined commands are answered in order). */
static void conn_process(struct mysql_conn *c, const uint8_t *data, size_t len)
{
    while (len > 0 && c->state != MYSQL_CONN_CLOSING) {
        if (!can_process_more(c)) {
            if (!c->close_after_flush)
                buf_append(&c->unread, data, len);
            stop_reading(c);
            return;
        }
        size_t used = 0;
        bool passing = c->in.discard;
        enum mysql_asm_status st = mysql_asm_feed(&c->in, data, len, &used);
        if (passing && used > 0)
            proxy_pass_bytes(c, data, used);
        data += used;
        len -= used;
        if (st < 0) {
            fail_packet(c, st);
            return;
        }
        if (st != MYSQL_ASM_PACKET) {
            if (c->up && c->state == MYSQL_CONN_COMMAND && !passing)
                proxy_pass_consider(c);
            continue;
        }
        bool was_plain = c->tls == NULL;
        c->seq = (uint8_t)(c->in.last_seq + 1);
        if (passing && c->state == MYSQL_CONN_INFILE)
            proxy_infile_passed(c);
        else if (passing)
            proxy_pass_end(c);
        else
            dispatch(c, c->in.payload.data, c->in.payload.len);
        if (c->go_home) { /* the packet moves with it; what follows waits */
            if (len > 0)
                buf_append(&c->unread, data, len);
            stop_reading(c);
            return;
        }
        packet_done(c);
        /* After an SSLRequest the rest of the bytes are the TLS handshake. */
        if (was_plain && c->tls && len > 0) {
            if (tls_filter_feed(c->tls, data, len) < 0)
                mysql_conn_close(c, "TLS error");
            return;
        }
    }
}

/* Decrypts what TLS has and processes the plaintext. */
static void conn_pump_tls(struct mysql_conn *c)
{
    for (;;) {
        if (c->state == MYSQL_CONN_CLOSING)
            return;
        int n = tls_filter_read(c->tls, mysql_conn_loop(c)->plain_buf,
                                sizeof(mysql_conn_loop(c)->plain_buf));
        if (n > 0) {
            conn_process(c, mysql_conn_loop(c)->plain_buf, (size_t)n);
            continue;
        }
        if (n == TLS_FILTER_CLOSED) {
            mysql_conn_close(c, "TLS close_notify");
            return;
        }
        if (n == TLS_FILTER_ERROR) {
            LOGC(LOG_INFO, c, "TLS failed: %s", tls_filter_error(c->tls));
            flush_tls_output(c); /* the alert */
            mysql_conn_close_after_flush(c, "TLS error");
            return;
        }
        return;
    }
}

/* Takes the load balancer's PROXY header off the front of what was read:
 * 1 when it is whole and bytes follow it (`data` and `len` moved past it),
 * 0 when nothing is left to process, -1 after closing the connection. */
static int read_proxy_header(struct mysql_conn *c, const uint8_t **data, size_t *len)
{
    int rc = proxy_protocol_take(&c->unread, data, len, c->peer_ip, sizeof(c->peer_ip),
                                 &c->peer_loopback, "m", c->id);
    if (rc < 0)
        mysql_conn_close(c, "bad PROXY protocol header");
    if (rc <= 0)
        return rc;
    buf_free(&c->unread);
    mysql_conn_set_state(c, MYSQL_CONN_HANDSHAKE);
    conn_begin(c);
    return *len > 0 && c->state != MYSQL_CONN_CLOSING ? 1 : 0;
}

static void read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *b)
{
    struct mysql_conn *c = stream->data;
    mysql_conn_loop(c)->read_buf_busy = false;
    if (nread == 0)
        return;
    if (nread < 0) {
        mysql_conn_close(c, nread == UV_EOF ? "client closed" : uv_strerror((int)nread));
        return;
    }
    metrics_add(&mysql_conn_loop(c)->metrics.mysql_bytes_in, (uint64_t)nread);
    const uint8_t *data = (const uint8_t *)b->base;
    size_t len = (size_t)nread;
    if (c->state == MYSQL_CONN_PROXY_HEADER && read_proxy_header(c, &data, &len) <= 0)
        return;
    if (c->tls) {
        if (tls_filter_feed(c->tls, data, len) < 0) {
            mysql_conn_close(c, "TLS error");
            return;
        }
        conn_pump_tls(c);
    } else {
        bool was_plain = true;
        conn_process(c, data, len);
        /* The SSLRequest may share a segment with the ClientHello. */
        if (was_plain && c->tls && c->state != MYSQL_CONN_CLOSING)
            conn_pump_tls(c);
    }
    mysql_conn_flush(c);
    mysql_move_consider(c);
}

void mysql_conn_run_held_packet(struct mysql_conn *c)
{
    c->go_home = false;
    dispatch(c, c->in.payload.data, c->in.payload.len);
    if (c->state != MYSQL_CONN_CLOSING)
        packet_done(c);
    mysql_conn_flush(c);
}

void mysql_conns_close_idle(struct list_node *conns, bool force)
{
    struct list_node *n, *tmp;
    LIST_FOREACH_SAFE (n, tmp, conns) {
        struct mysql_conn *c = LIST_CONTAINER(n, struct mysql_conn, node);
        /* a command moving to the main loop runs there first */
        bool in_flight = c->busy || c->state == MYSQL_CONN_INFILE || c->in.discard || c->go_home;
        if (force || (!in_flight && c->write_pending == 0 && c->unread.len == 0))
            mysql_conn_close(c, "server shutdown");
        else if (!in_flight)
            mysql_conn_close_after_flush(c, "server shutdown");
    }
}

static void start_reading(struct mysql_conn *c)
{
    if (c->reading || c->state == MYSQL_CONN_CLOSING)
        return;
    int rc = uv_read_start(&c->sock.stream, loop_ctx_alloc_cb, read_cb);
    if (rc < 0)
        mysql_conn_close(c, uv_strerror(rc));
    else
        c->reading = true;
}

struct mysql_conn *mysql_conn_find(struct server *srv, uint32_t id)
{
    struct list_node *n, *tmp;
    LIST_FOREACH_SAFE (n, tmp, &srv->mysql_conns) {
        struct mysql_conn *c = LIST_CONTAINER(n, struct mysql_conn, node);
        if (c->id == id)
            return c;
    }
    return NULL;
}

/* The client is known: the greeting (or, in proxy mode, the upstream's). */
static void conn_begin(struct mysql_conn *c)
{
    LOGC(LOG_DEBUG, c, "connection from %s", c->peer_ip);
    if (proxy_mode(c->srv)) {
        if (proxy_accept(c) < 0) {
            mysql_conn_close(c, "out of memory");
            return;
        }
    } else {
        mysql_handshake_start(c);
        mysql_conn_flush(c);
    }
    start_reading(c);
}

void mysql_conn_accept_cb(uv_stream_t *listener, int status)
{
    struct server *srv = listener->data;
    if (status < 0) {
        log_warn("accept failed: %s", uv_strerror(status));
        return;
    }
    struct mysql_conn *c = calloc(1, sizeof(*c));
    if (!c) {
        log_error("out of memory accepting a connection");
        return;
    }
    c->srv = srv;
    c->id = ++srv->next_conn_id;
    if (c->id == 0)
        c->id = ++srv->next_conn_id;
    c->state = MYSQL_CONN_HANDSHAKE;
    c->connected_ms = uv_now(srv->loop);
    mysql_asm_init(&c->in, PREAUTH_PACKET_LIMIT);
    mysql_asm_expect(&c->in, 1);
    buf_init(&c->out);
    buf_init(&c->unread);
    if (listener->type == UV_NAMED_PIPE)
        uv_pipe_init(srv->loop, &c->sock.pipe, 0);
    else
        uv_tcp_init(srv->loop, &c->sock.tcp);
    c->sock.handle.data = c;
    list_push_back(&srv->mysql_conns, &c->node);
    srv->n_mysql_conns++;
    metrics_add(&srv->main_ctx.metrics.mysql_connections_total, 1);
    if (uv_accept(listener, &c->sock.stream) < 0) {
        mysql_conn_close(c, "accept failed");
        return;
    }
    if (c->sock.handle.type == UV_TCP) {
        uv_tcp_nodelay(&c->sock.tcp, 1);
        listener_peer(&c->sock.tcp, c->peer_ip, sizeof(c->peer_ip), &c->peer_loopback);
    } else { /* our unix socket: a client on this machine, as MySQL names it */
        snprintf(c->peer_ip, sizeof(c->peer_ip), "localhost");
        c->peer_loopback = true;
    }
    if (server_shutting_down(srv)) {
        mysql_conn_send_err(c, ER_SERVER_SHUTDOWN);
        mysql_conn_close_after_flush(c, "shutting down");
        return;
    }
    if (srv->n_mysql_conns > (size_t)srv->cfg->max_connections) {
        LOGC(LOG_WARN, c, "too many connections (%zu), refusing %s", srv->n_mysql_conns - 1,
             c->peer_ip);
        mysql_conn_send_err(c, ER_CON_COUNT);
        mysql_conn_close_after_flush(c, "too many connections");
        return;
    }
    if (c->sock.handle.type == UV_TCP &&
        proxy_protocol_expected(&srv->proxy_protocol_nets, c->peer_ip)) {
        mysql_conn_set_state(c, MYSQL_CONN_PROXY_HEADER); /* the greeting waits for it */
        start_reading(c);
        return;
    }
    conn_begin(c);
}

/* Called by the handshake once authentication succeeded. */
void mysql_conn_authenticated(struct mysql_conn *c)
{
    c->in.limit = (size_t)c->srv->cfg->max_allowed_packet;
}
