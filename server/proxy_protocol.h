/* PROXY protocol on the listeners (`proxy_protocol_from`): a connection
 * from one of the listed networks (a load balancer) must begin with a
 * PROXY header, version 1 or 2, and the client it names stands in for the
 * peer everywhere: logs, USER(), the loopback rule, the processlist. A
 * header that names no client (v2 LOCAL, v1 UNKNOWN: the balancer's own
 * health check) keeps the balancer's address. Peers outside the networks
 * are served as they connect, and a header from them is not believed. */
#ifndef SP_SERVER_PROXY_PROTOCOL_H
#define SP_SERVER_PROXY_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/buf.h"

struct proxy_protocol_net {
    bool ipv6;
    uint8_t addr[16];
    unsigned bits;
};

struct proxy_protocol_nets {
    struct proxy_protocol_net *nets;
    size_t n;
};

/* "ADDR[/BITS][,...]" (empty: none) into `out`; -EINVAL when malformed. */
int proxy_protocol_parse_nets(const char *list, struct proxy_protocol_nets *out);
void proxy_protocol_free_nets(struct proxy_protocol_nets *nets);

/* Whether a TCP connection from `peer_ip` (as listener_peer writes it) must
 * begin with a header. */
bool proxy_protocol_expected(const struct proxy_protocol_nets *nets, const char *peer_ip);

/* Takes what was read while the header is not whole (a partial one waits
 * in `acc`). Returns 1 once it is: `data` and `len` move past it, and the
 * client it names, if any, is in `ip` and `loopback`. Returns 0 when more
 * is needed, and -1 (logged with the connection's prefix and id) when the
 * bytes are no header. */
int proxy_protocol_take(struct buf *acc, const uint8_t **data, size_t *len, char *ip,
                        size_t ip_size, bool *loopback, const char *log_prefix, uint32_t id);

#endif
