/* The answer tracker on arbitrary packet sequences, and the client side of
 * the login (greeting, ERR, AuthSwitchRequest) on arbitrary payloads. The
 * first byte picks the command and the capabilities; then each packet is
 * one length byte and that many bytes (its declared length may be larger,
 * as for a chunk of a long packet). */
#include <stddef.h>
#include <stdint.h>

#include "protocol/mysql_login.h"
#include "protocol/mysql_packet.h"
#include "protocol/mysql_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    struct mysql_server_greeting g;
    struct mysql_err_info e;
    const char *plugin;
    const uint8_t *d;
    size_t plen, dlen;
    mysql_parse_greeting(data + 1, size - 1, &g);
    mysql_parse_err(data + 1, size - 1, &e);
    mysql_parse_auth_switch(data + 1, size - 1, &plugin, &plen, &d, &dlen);
    static const uint8_t commands[] = {COM_QUERY,      COM_STMT_EXECUTE, COM_STMT_PREPARE,
                                       COM_STMT_FETCH, COM_FIELD_LIST,   COM_STATISTICS,
                                       COM_PING,       COM_SET_OPTION,   COM_PROCESS_INFO};
    struct mysql_reply r;
    mysql_reply_begin(&r, commands[data[0] % sizeof(commands)],
                      (data[0] & 0x80) ? CLIENT_DEPRECATE_EOF : 0);
    size_t pos = 1;
    while (pos < size) {
        size_t n = data[pos++];
        uint32_t declared = (uint32_t)n;
        if (n == 255) /* a long packet's first chunk */
            declared = MYSQL_MAX_PACKET_CHUNK, n = MYSQL_REPLY_PREFIX;
        if (n > size - pos)
            n = size - pos;
        if (declared < n)
            declared = (uint32_t)n;
        enum mysql_reply_event ev = mysql_reply_packet(&r, data + pos, n, declared);
        pos += n;
        if (ev == MYSQL_REPLY_INFILE)
            mysql_reply_infile_sent(&r);
        else if (ev != MYSQL_REPLY_MORE)
            break;
    }
    return 0;
}
