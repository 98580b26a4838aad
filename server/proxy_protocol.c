#include "server/proxy_protocol.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/proxy_header.h"
#include "server/log.h"

static int parse_net(const char *s, size_t len, struct proxy_protocol_net *out)
{
    char text[64];
    if (len == 0 || len >= sizeof(text))
        return -EINVAL;
    memcpy(text, s, len);
    text[len] = 0;
    char *slash = strchr(text, '/');
    if (slash)
        *slash = 0;
    memset(out, 0, sizeof(*out));
    out->ipv6 = strchr(text, ':') != NULL;
    if (inet_pton(out->ipv6 ? AF_INET6 : AF_INET, text, out->addr) != 1)
        return -EINVAL;
    unsigned max = out->ipv6 ? 128 : 32;
    out->bits = max;
    if (slash) {
        char *end;
        long bits = strtol(slash + 1, &end, 10);
        if (!slash[1] || *end || bits < 0 || bits > (long)max)
            return -EINVAL;
        out->bits = (unsigned)bits;
    }
    return 0;
}

int proxy_protocol_parse_nets(const char *list, struct proxy_protocol_nets *out)
{
    out->nets = NULL;
    out->n = 0;
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        struct proxy_protocol_net net;
        while (len > 0 && *p == ' ')
            p++, len--;
        while (len > 0 && p[len - 1] == ' ')
            len--;
        if (parse_net(p, len, &net) < 0) {
            proxy_protocol_free_nets(out);
            return -EINVAL;
        }
        struct proxy_protocol_net *grown = realloc(out->nets, (out->n + 1) * sizeof(*grown));
        if (!grown) {
            proxy_protocol_free_nets(out);
            return -ENOMEM;
        }
        out->nets = grown;
        out->nets[out->n++] = net;
        p += strcspn(p, ",");
        if (*p == ',')
            p++;
    }
    return 0;
}

void proxy_protocol_free_nets(struct proxy_protocol_nets *nets)
{
    free(nets->nets);
    nets->nets = NULL;
    nets->n = 0;
}

static bool in_net(const struct proxy_protocol_net *net, bool ipv6, const uint8_t *addr)
{
    if (net->ipv6 != ipv6)
        return false;
    unsigned whole = net->bits / 8, rest = net->bits % 8;
    if (memcmp(net->addr, addr, whole) != 0)
        return false;
    uint8_t mask = (uint8_t)(0xFF << (8 - rest));
    return rest == 0 || (net->addr[whole] & mask) == (addr[whole] & mask);
}

bool proxy_protocol_expected(const struct proxy_protocol_nets *nets, const char *peer_ip)
{
    uint8_t addr[16];
    bool ipv6 = strchr(peer_ip, ':') != NULL;
    if (nets->n == 0 || inet_pton(ipv6 ? AF_INET6 : AF_INET, peer_ip, addr) != 1)
        return false;
    if (ipv6 && IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)addr)) { /* dual-stack socket */
        memmove(addr, addr + 12, 4);
        ipv6 = false;
    }
    for (size_t i = 0; i < nets->n; i++)
        if (in_net(&nets->nets[i], ipv6, addr))
            return true;
    return false;
}

static bool is_loopback(const struct proxy_header *h)
{
    return h->ipv6 ? strcmp(h->src_ip, "::1") == 0 : strncmp(h->src_ip, "127.", 4) == 0;
}

int proxy_protocol_take(struct buf *acc, const uint8_t **data, size_t *len, char *ip,
                        size_t ip_size, bool *loopback, const char *log_prefix, uint32_t id)
{
    size_t before = acc->len;
    size_t take = *len < PROXY_HEADER_MAX - before ? *len : PROXY_HEADER_MAX - before;
    buf_append(acc, *data, take);
    struct proxy_header h;
    int rc = acc->oom ? -EINVAL : proxy_header_parse(acc->data, acc->len, &h);
    if (rc < 0 || (rc == 0 && take < *len)) { /* past the longest header: none */
        log_conn(LOG_INFO, log_prefix, id, "no valid PROXY protocol header from %s", ip);
        return -1;
    }
    if (rc == 0)
        return 0;
    log_conn(LOG_DEBUG, log_prefix, id, "PROXY header from %s: client %s", ip,
             h.local ? "not named" : h.src_ip);
    if (!h.local) {
        snprintf(ip, ip_size, "%s", h.src_ip);
        *loopback = is_loopback(&h);
    }
    *data += (size_t)rc - before;
    *len -= (size_t)rc - before;
    return 1;
}
