/* TCP listeners on an ADDR:PORT string. */
#ifndef SP_SERVER_LISTENER_H
#define SP_SERVER_LISTENER_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

/* Binds and listens; `bound` receives the actual address (port 0 resolved). */
int listener_start(uv_loop_t *loop, uv_tcp_t *tcp, const char *addr, uv_connection_cb cb,
                   char *bound, size_t bound_len);
/* Formats a peer address as "ip" and tells whether it is loopback. */
int listener_peer(uv_tcp_t *tcp, char *ip, size_t ip_len, bool *is_loopback);

#endif
