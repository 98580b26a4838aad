#include "server/http_conn.h"

#include <llhttp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/buf.h"
#include "server/list.h"
#include "server/listener.h"
#include "server/log.h"
#include "server/process.h"

#define HTTP_MAX_HEADER_BYTES  (16 * 1024)
#define HTTP_IDLE_TIMEOUT_MS   60000
#define HTTP_HEADER_TIMEOUT_MS 10000

enum http_conn_state {
    HTTP_CONN_READING, /* waiting for (more of) a request */
    HTTP_CONN_CLOSING,
};

struct http_conn {
    uv_tcp_t tcp;
    struct list_node node;
    struct server *srv;
    uint32_t id;
    enum http_conn_state state;
    llhttp_t parser;
    bool in_request;  /* a request line was seen and not yet answered */
    bool close_after; /* Connection: close, or an error */
    size_t header_bytes;
    uint64_t last_activity_ms;
    uint64_t request_started_ms;
    size_t write_pending;
    struct buf url;
    char peer_ip[46];
};

struct http_write {
    uv_write_t req;
    struct http_conn *conn;
    size_t len;
    char data[];
};

#define LOGH(level, h, ...) log_conn(level, "h", (h)->id, __VA_ARGS__)

static void http_close_cb(uv_handle_t *handle)
{
    struct http_conn *h = handle->data;
    struct server *srv = h->srv;
    buf_free(&h->url);
    free(h);
    server_connection_gone(srv);
}

static void http_close(struct http_conn *h, const char *reason)
{
    if (h->state == HTTP_CONN_CLOSING)
        return;
    LOGH(LOG_DEBUG, h, "closing: %s", reason);
    h->state = HTTP_CONN_CLOSING;
    list_remove(&h->node);
    h->srv->n_http_conns--;
    uv_close((uv_handle_t *)&h->tcp, http_close_cb);
}

static void http_write_cb(uv_write_t *req, int status)
{
    struct http_write *w = (struct http_write *)req;
    struct http_conn *h = w->conn;
    h->write_pending -= w->len;
    free(w);
    if (h->state == HTTP_CONN_CLOSING)
        return;
    if (status < 0 || (h->close_after && h->write_pending == 0))
        http_close(h, status < 0 ? uv_strerror(status) : "response sent");
}

static void http_send(struct http_conn *h, int status, const char *reason, const char *body)
{
    size_t body_len = strlen(body);
    struct http_write *w = malloc(sizeof(*w) + body_len + 256);
    if (!w) {
        http_close(h, "out of memory");
        return;
    }
    int n = snprintf(w->data, 256,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: "
                     "%zu\r\n%s\r\n",
                     status, reason, body_len, h->close_after ? "Connection: close\r\n" : "");
    memcpy(w->data + n, body, body_len);
    w->len = (size_t)n + body_len;
    w->conn = h;
    h->write_pending += w->len;
    uv_buf_t b = uv_buf_init(w->data, (unsigned)w->len);
    if (uv_write(&w->req, (uv_stream_t *)&h->tcp, &b, 1, http_write_cb) < 0) {
        h->write_pending -= w->len;
        free(w);
        http_close(h, "write failed");
    }
}

static void http_send_error(struct http_conn *h, int status, const char *reason, const char *msg)
{
    char body[512];
    snprintf(body, sizeof(body), "{\"error\":{\"code\":%d,\"message\":\"%s\"}}", status, msg);
    http_send(h, status, reason, body);
}

static int on_message_begin(llhttp_t *p)
{
    struct http_conn *h = p->data;
    h->in_request = true;
    h->header_bytes = 0;
    h->request_started_ms = uv_now(h->srv->loop);
    buf_reset(&h->url);
    return 0;
}

static int count_header_bytes(struct http_conn *h, size_t len)
{
    h->header_bytes += len;
    return h->header_bytes > HTTP_MAX_HEADER_BYTES ? -1 : 0;
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
    struct http_conn *h = p->data;
    if (count_header_bytes(h, len) < 0)
        return -1;
    buf_append(&h->url, at, len);
    return 0;
}

static int on_header_piece(llhttp_t *p, const char *at, size_t len)
{
    (void)at;
    return count_header_bytes(p->data, len);
}

static bool url_is(const struct buf *url, const char *path)
{
    size_t n = strlen(path);
    if (url->len < n || memcmp(url->data, path, n) != 0)
        return false;
    return url->len == n || url->data[n] == '?';
}

static int on_message_complete(llhttp_t *p)
{
    struct http_conn *h = p->data;
    h->in_request = false;
    if (!llhttp_should_keep_alive(p))
        h->close_after = true;
    if (url_is(&h->url, "/healthz")) {
        if (p->method == HTTP_GET || p->method == HTTP_HEAD)
            http_send(h, 200, "OK", "{\"status\":\"ok\"}");
        else
            http_send_error(h, 405, "Method Not Allowed", "method not allowed");
    } else {
        http_send_error(h, 404, "Not Found", "not found");
    }
    h->last_activity_ms = uv_now(h->srv->loop);
    return 0;
}

static const llhttp_settings_t http_settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_piece,
    .on_header_value = on_header_piece,
    .on_message_complete = on_message_complete,
};

static void http_read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *b)
{
    struct http_conn *h = stream->data;
    h->srv->read_buf_busy = false;
    if (nread == 0)
        return;
    if (nread < 0) {
        http_close(h, nread == UV_EOF ? "client closed" : uv_strerror((int)nread));
        return;
    }
    h->last_activity_ms = uv_now(h->srv->loop);
    if (h->close_after)
        return; /* the answer is on its way; ignore anything pipelined after it */
    enum llhttp_errno err = llhttp_execute(&h->parser, b->base, (size_t)nread);
    if (err == HPE_OK)
        return;
    h->close_after = true;
    if (h->header_bytes > HTTP_MAX_HEADER_BYTES)
        http_send_error(h, 431, "Request Header Fields Too Large", "request headers too large");
    else
        http_send_error(h, 400, "Bad Request", "malformed HTTP request");
    uv_read_stop(stream);
}

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
    h->state = HTTP_CONN_READING;
    buf_init(&h->url);
    uv_tcp_init(srv->loop, &h->tcp);
    h->tcp.data = h;
    list_push_back(&srv->http_conns, &h->node);
    srv->n_http_conns++;
    if (uv_accept(listener, (uv_stream_t *)&h->tcp) < 0) {
        http_close(h, "accept failed");
        return;
    }
    bool loopback;
    listener_peer(&h->tcp, h->peer_ip, sizeof(h->peer_ip), &loopback);
    h->last_activity_ms = uv_now(srv->loop);
    llhttp_init(&h->parser, HTTP_REQUEST, &http_settings);
    h->parser.data = h;
    if (srv->n_http_conns > (size_t)srv->cfg->http_max_connections) {
        h->close_after = true;
        http_send_error(h, 503, "Service Unavailable", "too many connections");
        return;
    }
    if (uv_read_start((uv_stream_t *)&h->tcp, server_alloc_cb, http_read_cb) < 0)
        http_close(h, "read failed");
}

void http_conn_close_all(struct server *srv, bool force)
{
    struct list_node *n, *tmp;
    LIST_FOREACH_SAFE (n, tmp, &srv->http_conns) {
        struct http_conn *h = LIST_CONTAINER(n, struct http_conn, node);
        if (force || (!h->in_request && h->write_pending == 0))
            http_close(h, "server shutdown");
        else
            h->close_after = true;
    }
}

void http_conn_janitor(struct server *srv, uint64_t now)
{
    struct list_node *n, *tmp;
    LIST_FOREACH_SAFE (n, tmp, &srv->http_conns) {
        struct http_conn *h = LIST_CONTAINER(n, struct http_conn, node);
        /* A client that dribbles its headers (slowloris) or idles is dropped. */
        if (h->in_request && now - h->request_started_ms > HTTP_HEADER_TIMEOUT_MS)
            http_close(h, "header timeout");
        else if (!h->in_request && now - h->last_activity_ms > HTTP_IDLE_TIMEOUT_MS)
            http_close(h, "idle timeout");
    }
}
