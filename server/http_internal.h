/* What the pieces of the HTTP listener tell each other: the connection
 * (http_conn.c), the answers (http_response.c), the dispatch of a request
 * to its handler (http_dispatch.c) and the handlers. */
#ifndef SP_SERVER_HTTP_INTERNAL_H
#define SP_SERVER_HTTP_INTERNAL_H

#include "server/http_conn.h"
#include "server/log.h"

#define LOGH(level, h, ...) log_conn(level, "h", (h)->id, __VA_ARGS__)

/* Every answer's last byte is queued: the next request may start. */
void http_conn_request_done(struct http_conn *h);
void http_conn_close(struct http_conn *h, const char *reason);
/* Closes once the answer is out; after a refused request, gracefully. */
void http_conn_close_answered(struct http_conn *h);
/* Sends what the connection's TLS filter has ready. */
int http_flush_tls(struct http_conn *h);
/* Starts or stops reading as the connection's state wants. */
void http_conn_update_reading(struct http_conn *h);

/* Headers are in: authenticates and hands the request to its handler, or
 * answers it. */
void http_dispatch(struct http_conn *h);

struct stage_error;
/* A stage refused (unknown, no right, unsupported) as an HTTP answer. */
void http_respond_stage_error(struct http_conn *h, const struct stage_error *err);

/* Authenticates the request (Basic, or root without a password from
 * loopback); answers 401 itself and returns -1 when it fails. */
int http_auth_request(struct http_conn *h);
/* The request is `name`'s; -1 after closing the connection (out of memory). */
int http_auth_set_user(struct http_conn *h, const char *name);

/* The handlers' entry points, each called with an authenticated request. */
void http_upload_to_stage_begin(struct http_conn *h);
void http_file_put_begin(struct http_conn *h);
void http_file_get_begin(struct http_conn *h);
void http_file_delete_begin(struct http_conn *h);
void http_file_list_begin(struct http_conn *h);

#endif
