/* Answers on an HTTP connection: each write owns its bytes until its
 * callback; a streamed answer waits for on_drain when the client lags. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/tls_filter.h"
#include "server/http_internal.h"
#include "server/metrics.h"
#include "server/process.h"

#define HTTP_HIGH_WATER (1024 * 1024)
#define HTTP_LOW_WATER  (256 * 1024)

struct http_write {
    uv_write_t req;
    struct http_conn *conn;
    size_t len;
    char data[];
};

static const char *status_text(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 206:
        return "Partial Content";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 416:
        return "Range Not Satisfiable";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 507:
        return "Insufficient Storage";
    default:
        return "Unknown";
    }
}

static void write_cb(uv_write_t *req, int status)
{
    struct http_write *w = (struct http_write *)req;
    struct http_conn *h = w->conn;
    h->write_pending -= w->len;
    free(w);
    if (h->state == HTTP_CONN_CLOSING)
        return;
    if (status < 0) {
        http_conn_close(h, uv_strerror(status));
        return;
    }
    bool refused_body =
        h->state == HTTP_CONN_DISCARD && h->req.expect_continue && !h->req.continue_sent;
    if (h->close_after && h->write_pending == 0 && (h->state == HTTP_CONN_IDLE || refused_body)) {
        http_conn_close_answered(h);
        return;
    }
    if (h->on_drain && h->write_pending < HTTP_LOW_WATER) {
        void (*drain)(struct http_conn *) = h->on_drain;
        h->on_drain = NULL;
        drain(h);
    }
}

static int submit(struct http_conn *h, struct http_write *w)
{
    w->conn = h;
    h->write_pending += w->len;
    metrics_add(&h->srv->main_ctx.metrics.http_bytes_out, w->len);
    uv_buf_t b = uv_buf_init(w->data, (unsigned)w->len);
    if (uv_write(&w->req, (uv_stream_t *)&h->tcp, &b, 1, write_cb) < 0) {
        h->write_pending -= w->len;
        free(w);
        http_conn_close(h, "write failed");
        return -1;
    }
    return 0;
}

/* What TLS has to send: records, handshake answers, alerts. */
int http_flush_tls(struct http_conn *h)
{
    size_t n = tls_filter_pending_output(h->tls);
    if (n == 0 || h->state == HTTP_CONN_CLOSING)
        return 0;
    struct http_write *w = malloc(sizeof(*w) + n);
    if (!w) {
        http_conn_close(h, "out of memory");
        return -1;
    }
    w->len = tls_filter_take_output(h->tls, w->data, n);
    return submit(h, w);
}

/* Queues head (may be NULL) + data as one write. */
static int queue(struct http_conn *h, const char *head, size_t head_len, const void *data,
                 size_t len)
{
    if (h->state == HTTP_CONN_CLOSING)
        return -1;
    if (h->tls) {
        if ((head_len && tls_filter_write(h->tls, head, head_len) < 0) ||
            (len && tls_filter_write(h->tls, data, len) < 0)) {
            http_conn_close(h, "TLS write failed");
            return -1;
        }
        return http_flush_tls(h);
    }
    struct http_write *w = malloc(sizeof(*w) + head_len + len);
    if (!w) {
        http_conn_close(h, "out of memory");
        return -1;
    }
    if (head_len)
        memcpy(w->data, head, head_len);
    if (len)
        memcpy(w->data + head_len, data, len);
    w->len = head_len + len;
    return submit(h, w);
}

static int format_head(struct http_conn *h, char *out, size_t out_len, int status,
                       const char *headers, const char *content_type, int64_t content_length)
{
    /* a client told to wait for 100 Continue that gets its answer instead
     * will not send the body, so the connection cannot be reused */
    if (h->state == HTTP_CONN_BODY && h->req.expect_continue && !h->req.continue_sent)
        h->close_after = true;
    if (h->srv->shutting_down)
        h->close_after = true;
    h->status = status;
    h->response_started = true;
    char length[64] = "";
    if (content_length >= 0)
        snprintf(length, sizeof(length), "Content-Length: %" PRId64 "\r\n", content_length);
    else if (content_length == -1)
        snprintf(length, sizeof(length), "Transfer-Encoding: chunked\r\n");
    /* a HEAD answer announces the framing but sends no body to frame */
    h->chunked = content_length == -1 && h->req.method != HTTP_HEAD;
    return snprintf(out, out_len, "HTTP/1.1 %d %s\r\nServer: stageproxy/%s\r\n%s%s%s%s%s%s", status,
                    status_text(status), STAGEPROXY_VERSION, content_type ? "Content-Type: " : "",
                    content_type ? content_type : "", content_type ? "\r\n" : "", length,
                    headers ? headers : "", h->close_after ? "Connection: close\r\n\r\n" : "\r\n");
}

void http_respond(struct http_conn *h, int status, const char *headers, const char *content_type,
                  const char *body, size_t len)
{
    char head[2048];
    int64_t length = status == 204 ? -2 : (int64_t)len; /* -2: no length header at all */
    int n = format_head(h, head, sizeof(head), status, headers, content_type, length);
    bool head_only = h->req.method == HTTP_HEAD || status == 304 || status == 204;
    if (n > 0 && (size_t)n < sizeof(head))
        queue(h, head, (size_t)n, body, head_only ? 0 : len);
    else
        http_conn_close(h, "response head too large");
    http_conn_request_done(h);
}

void http_respond_json(struct http_conn *h, int status, const char *headers, const char *json)
{
    http_respond(h, status, headers, "application/json", json, strlen(json));
}

void http_respond_error(struct http_conn *h, int status, int code, const char *message)
{
    http_respond_error_headers(h, status, code, message, NULL);
}

void http_respond_error_headers(struct http_conn *h, int status, int code, const char *message,
                                const char *headers)
{
    json_t *o = json_pack("{s:{s:i,s:s}}", "error", "code", code, "message", message);
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (!text) {
        http_conn_close(h, "out of memory");
        return;
    }
    if (status == 401)
        headers = "WWW-Authenticate: Basic realm=\"stageproxy\"\r\n";
    http_respond_json(h, status, headers, text);
    free(text);
}

int http_respond_head(struct http_conn *h, int status, const char *headers,
                      const char *content_type, int64_t content_length)
{
    char head[2048];
    int n = format_head(h, head, sizeof(head), status, headers, content_type, content_length);
    if (n <= 0 || (size_t)n >= sizeof(head)) {
        http_conn_close(h, "response head too large");
        return -1;
    }
    return queue(h, head, (size_t)n, NULL, 0);
}

int http_respond_body(struct http_conn *h, const void *data, size_t len)
{
    if (len == 0 || h->req.method == HTTP_HEAD)
        return 0;
    if (!h->chunked)
        return queue(h, NULL, 0, data, len);
    char frame[32];
    int n = snprintf(frame, sizeof(frame), "%zx\r\n", len);
    struct buf b;
    buf_init(&b);
    buf_append(&b, frame, (size_t)n);
    buf_append(&b, data, len);
    buf_append(&b, "\r\n", 2);
    int rc = b.oom ? -1 : queue(h, NULL, 0, b.data, b.len);
    buf_free(&b);
    return rc;
}

void http_respond_end(struct http_conn *h)
{
    if (h->chunked)
        queue(h, NULL, 0, "0\r\n\r\n", 5);
    http_conn_request_done(h);
}

bool http_conn_backlogged(const struct http_conn *h)
{
    return h->write_pending >= HTTP_HIGH_WATER;
}

void http_conn_fail(struct http_conn *h, const char *reason)
{
    h->status = h->status ? h->status : 500;
    http_conn_close(h, reason);
}

void http_send_continue(struct http_conn *h)
{
    if (!h->req.expect_continue || h->req.continue_sent || h->response_started)
        return;
    h->req.continue_sent = true;
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    queue(h, cont, sizeof(cont) - 1, NULL, 0);
}
