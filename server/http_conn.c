#include "server/http_conn.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/tls_filter.h"
#include "server/http_internal.h"
#include "server/listener.h"
#include "server/metrics.h"
#include "server/process.h"
#include "server/proxy_protocol.h"

#define HTTP_MAX_URL_BYTES    (8 * 1024)
#define HTTP_MAX_HEADER_BYTES (16 * 1024)
#define HTTP_MAX_HEADERS      100
#define HTTP_LINGER_MS        2000

static void http_read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *b);

static void set_state(struct http_conn *h, enum http_conn_state state)
{
    h->state = state;
}

static void http_close_cb(uv_handle_t *handle)
{
    struct http_conn *h = handle->data;
    struct server *srv = h->srv;
    buf_free(&h->req.url);
    buf_free(&h->req.headers);
    free(h->req.user);
    buf_free(&h->pending);
    tls_filter_free(h->tls);
    free(h);
    server_connection_gone(srv);
}

void http_conn_close(struct http_conn *h, const char *reason)
{
    if (h->state == HTTP_CONN_CLOSING)
        return;
    LOGH(LOG_DEBUG, h, "closing: %s", reason);
    const struct http_handler *handler = h->handler;
    h->handler = NULL;
    set_state(h, HTTP_CONN_CLOSING);
    if (handler)
        handler->abort(h); /* after the state change, so it cannot answer */
    h->handler_data = NULL;
    list_remove(&h->node);
    h->srv->n_http_conns--;
    uv_close((uv_handle_t *)&h->tcp, http_close_cb);
}

static void shutdown_cb(uv_shutdown_t *req, int status)
{
    free(req);
}

void http_conn_close_answered(struct http_conn *h)
{
    if (!h->linger) {
        http_conn_close(h, "answered");
        return;
    }
    /* The client may still be sending what we refused: closing now would
     * reset the connection and could destroy our answer in flight. Send a
     * FIN and drain for a moment instead. */
    set_state(h, HTTP_CONN_LINGER);
    h->last_activity_ms = uv_now(h->srv->loop);
    uv_shutdown_t *req = malloc(sizeof(*req));
    if (!req || uv_shutdown(req, (uv_stream_t *)&h->tcp, shutdown_cb) < 0) {
        free(req);
        http_conn_close(h, "answered");
        return;
    }
    http_conn_update_reading(h);
}

void http_conn_update_reading(struct http_conn *h)
{
    bool want = h->state == HTTP_CONN_LINGER ||
                (h->state != HTTP_CONN_CLOSING && !h->body_paused && !h->parser_paused);
    if (want == h->reading)
        return;
    h->reading = want;
    if (want) {
        if (uv_read_start((uv_stream_t *)&h->tcp, loop_ctx_alloc_cb, http_read_cb) < 0)
            http_conn_close(h, "read failed");
    } else {
        uv_read_stop((uv_stream_t *)&h->tcp);
    }
}

void http_conn_pause_body(struct http_conn *h)
{
    h->body_paused = true;
    http_conn_update_reading(h);
}

void http_conn_resume_body(struct http_conn *h)
{
    if (!h->body_paused)
        return;
    h->body_paused = false;
    h->last_activity_ms = uv_now(h->srv->loop);
    http_conn_update_reading(h);
}

/* The first value of header `name`, and the number of times it came. */
static const char *find_header(const struct http_conn *h, const char *name, unsigned *count)
{
    const char *first = NULL;
    const char *p = (const char *)h->req.headers.data, *end = p + h->req.headers.len;
    *count = 0;
    while (p < end) {
        const char *value = p + strlen(p) + 1;
        if (strcmp(p, name) == 0 && (*count)++ == 0)
            first = value;
        p = value + strlen(value) + 1;
    }
    return first;
}

const char *http_header(const struct http_conn *h, const char *name)
{
    unsigned count;
    return find_header(h, name, &count);
}

unsigned http_header_count(const struct http_conn *h, const char *name)
{
    unsigned count;
    find_header(h, name, &count);
    return count;
}

/* ---- llhttp callbacks ---- */

static int on_message_begin(llhttp_t *p)
{
    struct http_conn *h = p->data;
    set_state(h, HTTP_CONN_HEADERS);
    memset(&h->req.route, 0, sizeof(h->req.route));
    buf_reset(&h->req.url);
    buf_reset(&h->req.headers);
    h->req.n_headers = 0;
    h->req.header_bytes = 0;
    free(h->req.user);
    h->req.user = NULL;
    h->req.body_bytes = 0;
    h->req.expect_continue = h->req.continue_sent = false;
    h->req.started_ms = uv_now(h->srv->loop);
    h->status = 0;
    h->response_started = false;
    h->chunked = false;
    return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
    struct http_conn *h = p->data;
    h->req.method = (llhttp_method_t)p->method;
    if (h->req.url.len + len > HTTP_MAX_URL_BYTES) {
        h->status = 414;
        return -1;
    }
    buf_append(&h->req.url, at, len);
    return 0;
}

static int header_piece(struct http_conn *h, const char *at, size_t len, bool lower)
{
    h->req.header_bytes += len;
    if (h->req.header_bytes > HTTP_MAX_HEADER_BYTES) {
        h->status = 431;
        return -1;
    }
    size_t start = h->req.headers.len;
    buf_append(&h->req.headers, at, len);
    if (lower && !h->req.headers.oom)
        for (size_t i = start; i < h->req.headers.len; i++)
            h->req.headers.data[i] = (uint8_t)tolower(h->req.headers.data[i]);
    return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
    return header_piece(p->data, at, len, true);
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
    return header_piece(p->data, at, len, false);
}

static int on_header_field_complete(llhttp_t *p)
{
    struct http_conn *h = p->data;
    if (++h->req.n_headers > HTTP_MAX_HEADERS) {
        h->status = 431;
        return -1;
    }
    buf_put_u8(&h->req.headers, 0);
    return 0;
}

static int on_header_value_complete(llhttp_t *p)
{
    struct http_conn *h = p->data;
    buf_put_u8(&h->req.headers, 0);
    return 0;
}

static int on_headers_complete(llhttp_t *p)
{
    struct http_conn *h = p->data;
    if (h->req.url.oom || h->req.headers.oom) {
        h->status = 503;
        return -1;
    }
    if (!llhttp_should_keep_alive(p))
        h->close_after = true;
    const char *expect = http_header(h, "expect");
    h->req.expect_continue = expect && strcasecmp(expect, "100-continue") == 0;
    http_route_parse((const char *)h->req.url.data, h->req.url.len, &h->req.route);
    set_state(h, HTTP_CONN_BODY);
    http_dispatch(h);
    return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    struct http_conn *h = p->data;
    h->req.body_bytes += len;
    metrics_add(&h->srv->main_ctx.metrics.http_body_bytes_in, len);
    if (h->state == HTTP_CONN_BODY && h->handler && h->handler->body)
        h->handler->body(h, at, len);
    return 0;
}

static int on_message_complete(llhttp_t *p)
{
    struct http_conn *h = p->data;
    h->last_activity_ms = uv_now(h->srv->loop);
    if (h->state == HTTP_CONN_DISCARD) {
        set_state(h, HTTP_CONN_IDLE); /* answered already */
        return h->close_after ? HPE_PAUSED : 0;
    }
    set_state(h, HTTP_CONN_RESPONDING);
    if (h->handler)
        h->handler->complete(h);
    /* answered at once: go on with what the client pipelined */
    if (h->state == HTTP_CONN_IDLE && !h->close_after)
        return 0;
    return HPE_PAUSED;
}

static const llhttp_settings_t http_settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_header_field_complete = on_header_field_complete,
    .on_header_value_complete = on_header_value_complete,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* ---- reading ---- */

static void protocol_error(struct http_conn *h, enum llhttp_errno err)
{
    const struct http_handler *handler = h->handler;
    h->handler = NULL;
    if (handler)
        handler->abort(h);
    h->handler_data = NULL;
    h->close_after = true;
    h->linger = true;
    if (h->response_started) {
        http_conn_close(h, "malformed request while answering");
        return;
    }
    int status = h->status ? h->status : 400;
    set_state(h, HTTP_CONN_RESPONDING);
    if (status == 431)
        http_respond_error(h, 431, 431, "request headers too large or too many");
    else if (status == 414)
        http_respond_error(h, 414, 414, "request target too long");
    else if (status == 503)
        http_respond_error(h, 503, 503, "out of memory");
    else
        http_respond_error(h, 400, 400, llhttp_errno_name(err));
}

/* Parses data; when a request is being answered, what follows waits in
 * `pending` and reading stops. */
static void http_feed(struct http_conn *h, const char *data, size_t len)
{
    bool from_pending = data == (const char *)h->pending.data;
    enum llhttp_errno err = llhttp_execute(&h->parser, data, len);
    if (h->state == HTTP_CONN_CLOSING)
        return;
    if (err == HPE_PAUSED) {
        const char *pos = llhttp_get_error_pos(&h->parser);
        size_t rest = (size_t)(data + len - pos);
        if (from_pending) {
            memmove(h->pending.data, pos, rest);
            h->pending.len = rest;
        } else {
            buf_reset(&h->pending);
            buf_append(&h->pending, pos, rest);
        }
        h->parser_paused = true;
        http_conn_update_reading(h);
        if (h->state == HTTP_CONN_IDLE && h->close_after && h->write_pending == 0)
            http_conn_close_answered(h);
        return;
    }
    if (from_pending)
        h->pending.len = 0;
    if (err != HPE_OK)
        protocol_error(h, err);
}

static void http_take_plain(struct http_conn *h, const char *data, size_t len)
{
    if (h->linger || h->state == HTTP_CONN_CLOSING)
        return;           /* after an error nothing more is parsed */
    if (h->parser_paused) /* TLS may hand over more than one read's worth */
        buf_append(&h->pending, data, len);
    else
        http_feed(h, data, len);
}

/* Decrypts what arrived; the filter's answers (handshake, alerts) go out. */
static void http_pump_tls(struct http_conn *h, const char *data, size_t len)
{
    if (tls_filter_feed(h->tls, data, len) < 0) {
        http_conn_close(h, "TLS error");
        return;
    }
    for (;;) {
        int n =
            tls_filter_read(h->tls, h->srv->main_ctx.plain_buf, sizeof(h->srv->main_ctx.plain_buf));
        if (n > 0) {
            http_take_plain(h, (const char *)h->srv->main_ctx.plain_buf, (size_t)n);
            if (h->state == HTTP_CONN_CLOSING)
                return;
            continue;
        }
        if (n == TLS_FILTER_ERROR)
            LOGH(LOG_INFO, h, "TLS failed: %s", tls_filter_error(h->tls));
        http_flush_tls(h);
        if (n == TLS_FILTER_CLOSED || n == TLS_FILTER_ERROR)
            http_conn_close(h, n == TLS_FILTER_CLOSED ? "TLS close_notify" : "TLS error");
        return;
    }
}

/* Takes the load balancer's PROXY header off the front of what was read
 * (`pending` holds a partial one): 1 when bytes follow it, 0 when nothing
 * is left to process, -1 after closing the connection. */
static int read_proxy_header(struct http_conn *h, const char **data, size_t *len)
{
    int rc = proxy_protocol_take(&h->pending, (const uint8_t **)data, len, h->peer_ip,
                                 sizeof(h->peer_ip), &h->loopback, "h", h->id);
    if (rc < 0)
        http_conn_close(h, "bad PROXY protocol header");
    if (rc <= 0)
        return rc;
    buf_reset(&h->pending);
    h->proxy_header_due = false;
    return *len > 0 ? 1 : 0;
}

static void http_read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *b)
{
    struct http_conn *h = stream->data;
    h->srv->main_ctx.read_buf_busy = false;
    if (nread == 0)
        return;
    if (nread < 0) {
        if (nread == UV_EOF && h->state == HTTP_CONN_RESPONDING) {
            h->close_after = true; /* half-closed: answer, then close */
            h->parser_paused = true;
            http_conn_update_reading(h);
            return;
        }
        http_conn_close(h, nread == UV_EOF ? "client closed" : uv_strerror((int)nread));
        return;
    }
    h->last_activity_ms = uv_now(h->srv->loop);
    metrics_add(&h->srv->main_ctx.metrics.http_bytes_in, (uint64_t)nread);
    const char *data = b->base;
    size_t len = (size_t)nread;
    if (h->proxy_header_due && read_proxy_header(h, &data, &len) <= 0)
        return;
    if (h->tls)
        http_pump_tls(h, data, len);
    else
        http_take_plain(h, data, len);
}

void http_conn_request_done(struct http_conn *h)
{
    h->handler = NULL;
    h->handler_data = NULL;
    h->body_paused = false;
    metrics_http_request(&h->srv->main_ctx.metrics, h->status,
                         (double)(uv_now(h->srv->loop) - h->req.started_ms) / 1000.0);
    LOGH(LOG_DEBUG, h, "%s %.*s -> %d", llhttp_method_name(h->req.method), (int)h->req.url.len,
         (const char *)h->req.url.data, h->status);
    if (h->state == HTTP_CONN_BODY) {
        /* answered before the body arrived: drop the rest of it; a client
         * told to wait for 100 Continue will not send it at all */
        set_state(h, HTTP_CONN_DISCARD);
        if (h->req.expect_continue && !h->req.continue_sent)
            h->close_after = true;
        if (h->close_after && h->write_pending == 0)
            http_conn_close_answered(h);
        http_conn_update_reading(h);
        return;
    }
    set_state(h, HTTP_CONN_IDLE);
    h->last_activity_ms = uv_now(h->srv->loop);
    if (h->close_after) {
        if (h->write_pending == 0)
            http_conn_close_answered(h);
        return;
    }
    if (!h->parser_paused)
        return; /* answered inside the parser's callback; it goes on by itself */
    h->parser_paused = false;
    llhttp_resume(&h->parser);
    if (h->pending.len > 0)
        http_feed(h, (const char *)h->pending.data, h->pending.len);
    if (h->state != HTTP_CONN_CLOSING)
        http_conn_update_reading(h);
}

/* ---- accepting, shutdown, timeouts ---- */

void http_conn_accept_cb(uv_stream_t *listener, int status)
{
    struct server *srv = listener->data;
    if (status < 0)
        return;
    struct http_conn *h = calloc(1, sizeof(*h));
    if (!h)
        return;
    h->srv = srv;
    h->id = ++srv->next_conn_id;
    set_state(h, HTTP_CONN_IDLE);
    buf_init(&h->req.url);
    buf_init(&h->req.headers);
    buf_init(&h->pending);
    uv_tcp_init(srv->loop, &h->tcp);
    h->tcp.data = h;
    list_push_back(&srv->http_conns, &h->node);
    srv->n_http_conns++;
    metrics_add(&srv->main_ctx.metrics.http_connections_total, 1);
    if (uv_accept(listener, (uv_stream_t *)&h->tcp) < 0) {
        http_conn_close(h, "accept failed");
        return;
    }
    uv_tcp_nodelay(&h->tcp, 1);
    listener_peer(&h->tcp, h->peer_ip, sizeof(h->peer_ip), &h->loopback);
    h->proxy_header_due = proxy_protocol_expected(&srv->proxy_protocol_nets, h->peer_ip);
    h->req.started_ms = uv_now(srv->loop); /* the PROXY header's deadline counts from here */
    h->last_activity_ms = uv_now(srv->loop);
    llhttp_init(&h->parser, HTTP_REQUEST, &http_settings);
    h->parser.data = h;
    if (srv->http_tls_ctx && !(h->tls = tls_filter_new(srv->http_tls_ctx, true))) {
        http_conn_close(h, "out of memory");
        return;
    }
    if (srv->n_http_conns > (size_t)srv->cfg->http_max_connections) {
        h->close_after = true;
        h->req.started_ms = h->last_activity_ms;
        set_state(h, HTTP_CONN_RESPONDING);
        http_respond_error(h, 503, 503, "too many connections");
        return;
    }
    http_conn_update_reading(h);
}

void http_conn_close_all(struct server *srv, bool force)
{
    struct list_node *n, *tmp;
    LIST_FOREACH_SAFE (n, tmp, &srv->http_conns) {
        struct http_conn *h = LIST_CONTAINER(n, struct http_conn, node);
        if (force || (h->state == HTTP_CONN_IDLE && h->write_pending == 0))
            http_conn_close(h, "server shutdown");
        else
            h->close_after = true;
    }
}

void http_conn_janitor(struct server *srv, uint64_t now)
{
    uint64_t header_ms = (uint64_t)srv->cfg->http_header_timeout * 1000;
    uint64_t idle_ms = (uint64_t)srv->cfg->http_idle_timeout * 1000;
    struct list_node *n, *tmp;
    LIST_FOREACH_SAFE (n, tmp, &srv->http_conns) {
        struct http_conn *h = LIST_CONTAINER(n, struct http_conn, node);
        uint64_t quiet = now - h->last_activity_ms;
        /* A client that dribbles its headers (slowloris), stalls its body or
         * idles is dropped; one waiting for storage or reading slowly is not. */
        if (h->state == HTTP_CONN_HEADERS && now - h->req.started_ms > header_ms)
            http_conn_close(h, "header timeout");
        else if (h->proxy_header_due && now - h->req.started_ms > header_ms) {
            LOGH(LOG_INFO, h, "PROXY header timeout from %s", h->peer_ip);
            http_conn_close(h, "PROXY header timeout");
        } else if ((h->state == HTTP_CONN_BODY || h->state == HTTP_CONN_DISCARD) &&
                   !h->body_paused && quiet > idle_ms)
            http_conn_close(h, "body timeout");
        else if (h->state == HTTP_CONN_IDLE && quiet > idle_ms)
            http_conn_close(h, "idle timeout");
        else if (h->state == HTTP_CONN_LINGER && quiet > HTTP_LINGER_MS)
            http_conn_close(h, "linger over");
    }
}
