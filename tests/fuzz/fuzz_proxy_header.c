/* The PROXY protocol header parser on arbitrary bytes. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/proxy_header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct proxy_header h;
    int rc = proxy_header_parse(data, size, &h);
    /* a verdict within the limit, never past the bytes given */
    if (rc == 0 && size >= PROXY_HEADER_MAX)
        __builtin_trap();
    if (rc > 0 && ((size_t)rc > size || rc > PROXY_HEADER_MAX))
        __builtin_trap();
    if (rc > 0 && !h.local) {
        unsigned char bin[16];
        int family = h.ipv6 ? AF_INET6 : AF_INET;
        if (inet_pton(family, h.src_ip, bin) != 1 || inet_pton(family, h.dst_ip, bin) != 1)
            __builtin_trap();
    }
    /* a whole header is one: any shorter prefix of it still asks for more */
    if (rc > 0 && proxy_header_parse(data, (size_t)rc - 1, &h) != 0)
        __builtin_trap();
    return 0;
}
