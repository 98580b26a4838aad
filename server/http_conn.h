/* HTTP/1.1 connections on the loop, parsed with llhttp: keep-alive,
 * pipelining, chunked bodies, Expect: 100-continue, limits and timeouts.
 * A request's handler receives its body as it arrives and answers through
 * the http_respond_* functions, which end the request. */
#ifndef SP_SERVER_HTTP_CONN_H
#define SP_SERVER_HTTP_CONN_H

#include <llhttp.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "protocol/buf.h"
#include "protocol/http_route.h"
#include "server/list.h"

struct server;
struct user;
struct http_conn;

enum http_conn_state {
    HTTP_CONN_IDLE,       /* between requests */
    HTTP_CONN_HEADERS,    /* reading a request line and its headers */
    HTTP_CONN_BODY,       /* the handler takes the body as it arrives */
    HTTP_CONN_DISCARD,    /* answered early; the rest of the body is dropped */
    HTTP_CONN_RESPONDING, /* the request is in; the handler is answering */
    HTTP_CONN_LINGER,     /* answered an error; draining before the close */
    HTTP_CONN_CLOSING,
};

struct http_handler {
    /* Body bytes, de-chunked; valid during the call only. */
    void (*body)(struct http_conn *h, const char *data, size_t len);
    /* The whole request is in. */
    void (*complete)(struct http_conn *h);
    /* The connection goes away before the handler answered: let go of it. */
    void (*abort)(struct http_conn *h);
};

struct http_request {
    llhttp_method_t method;
    struct buf url;
    struct buf headers; /* "name\0value\0" pairs, names lower-cased */
    unsigned n_headers;
    size_t header_bytes;
    struct http_route route;
    char *user; /* the authenticated user's name (a reload may replace the user table) */
    uint64_t started_ms;
    uint64_t body_bytes;
    bool expect_continue;
    bool continue_sent;
};

struct http_conn {
    uv_tcp_t tcp;
    struct list_node node;
    struct server *srv;
    uint32_t id;
    enum http_conn_state state;
    llhttp_t parser;
    struct http_request req;
    const struct http_handler *handler;
    void *handler_data;
    int status; /* of the answer, for the log and the metrics */
    bool response_started;
    bool chunked;       /* the answer's body goes out in chunks */
    bool close_after;   /* Connection: close, or an error: close once answered */
    bool body_paused;   /* the handler cannot take more body yet */
    bool parser_paused; /* a request is being answered; what follows waits */
    bool reading;
    bool loopback;
    bool linger;            /* close gracefully: the client may still be sending */
    struct tls_filter *tls; /* HTTPS: bytes pass through it both ways */
    struct buf pending;     /* bytes that arrived after the request being answered */
    bool proxy_header_due;  /* from a load balancer: its PROXY header comes first */
    size_t write_pending;
    void (*on_drain)(struct http_conn *h); /* once the client has read enough */
    uint64_t last_activity_ms;
    char peer_ip[46];
};

void http_conn_accept_cb(uv_stream_t *listener, int status);
void http_conn_close_all(struct server *srv, bool force);
void http_conn_janitor(struct server *srv, uint64_t now);

/* A request header by lower-case name, or NULL; and how often it came. */
const char *http_header(const struct http_conn *h, const char *name);
unsigned http_header_count(const struct http_conn *h, const char *name);

/* Flow control of the request body (uploads waiting for storage). */
void http_conn_pause_body(struct http_conn *h);
void http_conn_resume_body(struct http_conn *h);

/* Complete answers; each ends the request. `headers` are extra lines, each
 * ending in CRLF, or NULL. */
void http_respond(struct http_conn *h, int status, const char *headers, const char *content_type,
                  const char *body, size_t len);
void http_respond_json(struct http_conn *h, int status, const char *headers, const char *json);
/* {"error":{"code":code,"message":message}} */
void http_respond_error(struct http_conn *h, int status, int code, const char *message);
void http_respond_error_headers(struct http_conn *h, int status, int code, const char *message,
                                const char *headers);

/* Streamed answers: a head with a known length (or -1: chunked), body
 * pieces, and the end, which ends the request. */
int http_respond_head(struct http_conn *h, int status, const char *headers,
                      const char *content_type, int64_t content_length);
int http_respond_body(struct http_conn *h, const void *data, size_t len);
void http_respond_end(struct http_conn *h);
/* Whether the client lags so far behind that the handler should wait for
 * on_drain before producing more. */
bool http_conn_backlogged(const struct http_conn *h);
/* Gives up on a streamed answer: the connection is closed. */
void http_conn_fail(struct http_conn *h, const char *reason);

/* "100 Continue" when the client asked for it. */
void http_send_continue(struct http_conn *h);

#endif
