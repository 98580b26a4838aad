/* Listeners: TCP on an ADDR:PORT string, or a unix socket path. */
#ifndef SP_SERVER_LISTENER_H
#define SP_SERVER_LISTENER_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

/* Binds and listens; `bound` receives the actual address (port 0 resolved). */
int listener_start(uv_loop_t *loop, uv_tcp_t *tcp, const char *addr, uv_connection_cb cb,
                   char *bound, size_t bound_len);
/* Binds a unix socket at `path` that any local user may connect to. A stale
 * socket left by a process that is gone is replaced; a live one, or a file
 * that is not a socket, is an error (UV_EADDRINUSE, UV_EEXIST). */
int listener_start_socket(uv_loop_t *loop, uv_pipe_t *pipe, const char *path, uv_connection_cb cb);
/* Formats a peer address as "ip" and tells whether it is loopback. */
int listener_peer(uv_tcp_t *tcp, char *ip, size_t ip_len, bool *is_loopback);

#endif
