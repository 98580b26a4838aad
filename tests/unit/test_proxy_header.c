#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "protocol/proxy_header.h"
#include "test.h"

static int parse_text(const char *s, struct proxy_header *h)
{
    return proxy_header_parse((const uint8_t *)s, strlen(s), h);
}

static const uint8_t sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

int main(void)
{
    struct proxy_header h;
    /* version 1: the line, and what comes after it is not the header's */
    const char *v1 = "PROXY TCP4 192.0.2.7 10.0.0.1 51234 3307\r\nJ";
    CHECK_EQ(parse_text(v1, &h), (int)strlen(v1) - 1);
    CHECK(!h.local && !h.ipv6 && strcmp(h.src_ip, "192.0.2.7") == 0 && h.src_port == 51234);
    CHECK(strcmp(h.dst_ip, "10.0.0.1") == 0 && h.dst_port == 3307);
    CHECK_EQ(parse_text("PROXY TCP6 2001:db8::7 ::1 1 65535\r\n", &h), 36);
    CHECK(h.ipv6 && strcmp(h.src_ip, "2001:db8::7") == 0 && h.dst_port == 65535);
    CHECK_EQ(parse_text("PROXY UNKNOWN\r\n", &h), 15);
    CHECK(h.local);
    CHECK_EQ(parse_text("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n", &h), 35);
    /* incomplete: more is needed; a line past 107 bytes never ends well */
    CHECK_EQ(parse_text("PROX", &h), 0);
    CHECK_EQ(parse_text("PROXY TCP4 192.0.2.7 10.0.0.1 51234 3307\r", &h), 0);
    char longer[200];
    memset(longer, 'x', sizeof(longer));
    memcpy(longer, "PROXY ", 6);
    CHECK_EQ(proxy_header_parse((const uint8_t *)longer, sizeof(longer), &h), -EINVAL);
    /* malformed */
    CHECK_EQ(parse_text("PROXY TCP4 192.0.2.7 10.0.0.1 51234 3307\n", &h), -EINVAL);
    CHECK_EQ(parse_text("PROXY TCP4 192.0.2.7 10.0.0.1 51234 65536\r\n", &h), -EINVAL);
    CHECK_EQ(parse_text("PROXY TCP4 192.0.2.7 10.0.0.1 051234 3307\r\n", &h), -EINVAL);
    CHECK_EQ(parse_text("PROXY TCP4 192.0.2.7  10.0.0.1 51234 3307\r\n", &h), -EINVAL);
    CHECK_EQ(parse_text("PROXY TCP4 2001:db8::7 10.0.0.1 1 2\r\n", &h), -EINVAL);
    CHECK_EQ(parse_text("PROXY UDP4 192.0.2.7 10.0.0.1 1 2\r\n", &h), -EINVAL);
    CHECK_EQ(parse_text("PROXY TCP4 192.0.2.7 10.0.0.1 1\r\n", &h), -EINVAL);
    CHECK_EQ(parse_text("\x0a\x00\x00\x00", &h), -EINVAL); /* a MySQL packet, say */
    CHECK_EQ(parse_text("GET / HTTP/1.1\r\n", &h), -EINVAL);
    /* version 2 */
    uint8_t v2[16 + 36 + 8];
    memcpy(v2, sig, 12);
    v2[12] = 0x21; /* v2, PROXY */
    v2[13] = 0x11; /* TCP over IPv4 */
    v2[14] = 0;
    v2[15] = 12 + 5; /* the addresses and a TLV */
    uint8_t a4[12] = {192, 0, 2, 7, 10, 0, 0, 1, 0xC8, 0x22, 0x0C, 0xEB};
    memcpy(v2 + 16, a4, 12);
    memcpy(v2 + 28, "\x04\x00\x02hi", 5);
    CHECK_EQ(proxy_header_parse(v2, 33, &h), 33);
    CHECK(!h.local && strcmp(h.src_ip, "192.0.2.7") == 0 && h.src_port == 51234);
    CHECK(strcmp(h.dst_ip, "10.0.0.1") == 0 && h.dst_port == 3307);
    CHECK_EQ(proxy_header_parse(v2, 32, &h), 0);
    CHECK_EQ(proxy_header_parse(v2, 11, &h), 0);
    v2[13] = 0x21; /* TCP over IPv6 */
    v2[15] = 36;
    memset(v2 + 16, 0, 36);
    v2[16] = 0x20, v2[17] = 0x01, v2[18] = 0x0d, v2[19] = 0xb8, v2[31] = 7;
    v2[47] = 1, v2[48] = 0, v2[49] = 80, v2[50] = 0x0C, v2[51] = 0xEB;
    CHECK_EQ(proxy_header_parse(v2, 52, &h), 52);
    CHECK(h.ipv6 && strcmp(h.src_ip, "2001:db8::7") == 0 && strcmp(h.dst_ip, "::1") == 0);
    CHECK(h.src_port == 80 && h.dst_port == 3307);
    v2[12] = 0x20; /* LOCAL: a health check, no client named */
    CHECK_EQ(proxy_header_parse(v2, 52, &h), 52);
    CHECK(h.local);
    v2[12] = 0x21;
    v2[13] = 0x31; /* a unix socket */
    CHECK_EQ(proxy_header_parse(v2, 52, &h), -EINVAL);
    v2[13] = 0x11;
    v2[15] = 8; /* too short for its addresses */
    CHECK_EQ(proxy_header_parse(v2, 24, &h), -EINVAL);
    v2[12] = 0x11; /* version 1 in the binary form */
    CHECK_EQ(proxy_header_parse(v2, 24, &h), -EINVAL);
    v2[12] = 0x21;
    v2[14] = 0x10; /* past PROXY_HEADER_MAX */
    CHECK_EQ(proxy_header_parse(v2, 24, &h), -EINVAL);
    return test_finish("proxy_header");
}
