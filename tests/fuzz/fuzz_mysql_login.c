/* What an upstream server sends while we log in to it: the greeting, ERR,
 * AuthSwitchRequest and the public key of caching_sha2_password's full
 * authentication, on arbitrary bytes. Whatever parses is used as the
 * upstream code would use it. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "protocol/mysql_login.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mysql_server_greeting g;
    if (mysql_parse_greeting(data, size, &g) == 0) {
        /* strings are NUL-terminated within their fields */
        if (memchr(g.version, 0, sizeof(g.version)) == NULL ||
            memchr(g.plugin, 0, sizeof(g.plugin)) == NULL)
            __builtin_trap();
        uint8_t out[32];
        size_t n;
        mysql_auth_answer(g.plugin, "pw", g.scramble, out, &n);
    }
    struct mysql_err_info e;
    if (mysql_parse_err(data, size, &e) == 0 && memchr(e.message, 0, sizeof(e.message)) == NULL)
        __builtin_trap();
    const char *plugin;
    const uint8_t *sw;
    size_t plen, dlen;
    if (mysql_parse_auth_switch(data, size, &plugin, &plen, &sw, &dlen) == 0 &&
        ((const uint8_t *)plugin + plen > data + size || sw + dlen > data + size))
        __builtin_trap();              /* the spans stay inside the packet */
    if (size > 1 && data[0] == 0x01) { /* AuthMoreData carrying a PEM key */
        static const uint8_t nonce[MYSQL_SCRAMBLE_LEN];
        uint8_t enc[1024];
        size_t enc_len;
        mysql_sha2_rsa_password((const char *)data + 1, size - 1, "pw", nonce, enc, sizeof(enc),
                                &enc_len);
    }
    return 0;
}
