#include "protocol/proxy_header.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t v2_signature[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                         0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
#define V1_MAX 107

/* Whether `data` can still become the start of `prefix`. */
static bool may_start(const uint8_t *data, size_t len, const void *prefix, size_t prefix_len)
{
    return memcmp(data, prefix, len < prefix_len ? len : prefix_len) == 0;
}

static int v1_port(const char *s, uint16_t *out)
{
    /* 0..65535 in decimal, no sign, no leading zero */
    size_t n = strlen(s);
    if (n == 0 || n > 5 || (n > 1 && s[0] == '0') || strspn(s, "0123456789") != n)
        return -EINVAL;
    long v = strtol(s, NULL, 10);
    if (v > 65535)
        return -EINVAL;
    *out = (uint16_t)v;
    return 0;
}

static int v1_address(const char *s, bool ipv6, char *out)
{
    unsigned char bin[16];
    if (strlen(s) >= 46 || inet_pton(ipv6 ? AF_INET6 : AF_INET, s, bin) != 1)
        return -EINVAL;
    strcpy(out, s);
    return 0;
}

/* "PROXY TCP4 src dst sport dport\r\n" or "PROXY UNKNOWN ...\r\n" */
static int parse_v1(const uint8_t *data, size_t len, struct proxy_header *out)
{
    const uint8_t *end = memchr(data, '\n', len < V1_MAX ? len : V1_MAX);
    if (!end)
        return len < V1_MAX ? 0 : -EINVAL;
    size_t line_len = (size_t)(end - data) + 1;
    if (line_len < 2 || end[-1] != '\r')
        return -EINVAL;
    char line[V1_MAX + 1];
    memcpy(line, data, line_len - 2);
    line[line_len - 2] = 0;
    if (memchr(line, 0, line_len - 2))
        return -EINVAL;
    if (strncmp(line, "PROXY UNKNOWN", 13) == 0 && (line[13] == 0 || line[13] == ' ')) {
        out->local = true;
        return (int)line_len;
    }
    char *f[6], *save = NULL;
    int n = 0;
    for (char *t = strtok_r(line, " ", &save); t && n < 6; t = strtok_r(NULL, " ", &save))
        f[n++] = t;
    if (n != 6 || strtok_r(NULL, " ", &save) || strcmp(f[0], "PROXY") != 0)
        return -EINVAL;
    /* single spaces only, as the specification writes them */
    for (size_t i = 0; i + 1 < line_len - 2; i++)
        if (data[i] == ' ' && data[i + 1] == ' ')
            return -EINVAL;
    if (strcmp(f[1], "TCP4") != 0 && strcmp(f[1], "TCP6") != 0)
        return -EINVAL;
    out->ipv6 = f[1][3] == '6';
    if (v1_address(f[2], out->ipv6, out->src_ip) < 0 ||
        v1_address(f[3], out->ipv6, out->dst_ip) < 0 || v1_port(f[4], &out->src_port) < 0 ||
        v1_port(f[5], &out->dst_port) < 0)
        return -EINVAL;
    return (int)line_len;
}

static int parse_v2(const uint8_t *data, size_t len, struct proxy_header *out)
{
    if (len < 16)
        return 0;
    uint8_t version = data[12] >> 4, command = data[12] & 0x0F;
    size_t body = (size_t)data[14] << 8 | data[15];
    if (version != 2 || command > 1 || 16 + body > PROXY_HEADER_MAX)
        return -EINVAL;
    if (len < 16 + body)
        return 0;
    const uint8_t *a = data + 16;
    uint8_t family = data[13] >> 4, transport = data[13] & 0x0F;
    if (command == 0) { /* LOCAL: the balancer's own check; the addresses are not a client */
        out->local = true;
        return (int)(16 + body);
    }
    if (family == 1 && transport == 1 && body >= 12) {
        inet_ntop(AF_INET, a, out->src_ip, sizeof(out->src_ip));
        inet_ntop(AF_INET, a + 4, out->dst_ip, sizeof(out->dst_ip));
        out->src_port = (uint16_t)(a[8] << 8 | a[9]);
        out->dst_port = (uint16_t)(a[10] << 8 | a[11]);
    } else if (family == 2 && transport == 1 && body >= 36) {
        out->ipv6 = true;
        inet_ntop(AF_INET6, a, out->src_ip, sizeof(out->src_ip));
        inet_ntop(AF_INET6, a + 16, out->dst_ip, sizeof(out->dst_ip));
        out->src_port = (uint16_t)(a[32] << 8 | a[33]);
        out->dst_port = (uint16_t)(a[34] << 8 | a[35]);
    } else if (family == 0) { /* UNSPEC: a client we cannot name */
        out->local = true;
    } else {
        return -EINVAL; /* unix sockets and datagrams are not TCP clients */
    }
    return (int)(16 + body);
}

int proxy_header_parse(const uint8_t *data, size_t len, struct proxy_header *out)
{
    memset(out, 0, sizeof(*out));
    if (len == 0)
        return 0;
    if (may_start(data, len, v2_signature, sizeof(v2_signature)))
        return len < sizeof(v2_signature) ? 0 : parse_v2(data, len, out);
    if (may_start(data, len, "PROXY ", 6))
        return len < 6 ? 0 : parse_v1(data, len, out);
    return -EINVAL;
}
