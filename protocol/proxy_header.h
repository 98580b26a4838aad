/* The PROXY protocol header (HAProxy's, versions 1 and 2) that a load
 * balancer sends first on a connection to say whose it is. */
#ifndef SP_PROTOCOL_PROXY_HEADER_H
#define SP_PROTOCOL_PROXY_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest header taken: version 1 is at most 107 bytes; version 2's
 * addresses take 216 at most, and the rest of this is for its TLVs. */
#define PROXY_HEADER_MAX 1024

struct proxy_header {
    bool local; /* the balancer's own connection (v2 LOCAL, v1 UNKNOWN): no client */
    bool ipv6;
    char src_ip[46]; /* the client, as text */
    uint16_t src_port;
    char dst_ip[46];
    uint16_t dst_port;
};

/* Parses a header at the start of `data`: its length once it is whole, 0
 * while more bytes are needed (never past PROXY_HEADER_MAX), or -EINVAL
 * when the bytes are not a header we take. */
int proxy_header_parse(const uint8_t *data, size_t len, struct proxy_header *out);

#endif
