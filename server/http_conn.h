/* HTTP/1.1 connections on the loop, parsed with llhttp. For now the
 * listener answers health checks; uploads come with the HTTP issue. */
#ifndef SP_SERVER_HTTP_CONN_H
#define SP_SERVER_HTTP_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct server;

void http_conn_accept_cb(uv_stream_t *listener, int status);
void http_conn_close_all(struct server *srv, bool force);
void http_conn_janitor(struct server *srv, uint64_t now);

#endif
