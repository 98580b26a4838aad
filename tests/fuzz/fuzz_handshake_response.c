/* Everything a client sends before and around authentication, plus the
 * parameter block of COM_STMT_EXECUTE. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "protocol/mysql_handshake.h"
#include "protocol/mysql_packet.h"
#include "protocol/mysql_resultset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mysql_handshake_response r;
    if (mysql_parse_handshake_response(data, size, &r) == 0 && r.attrs) {
        const uint8_t *v;
        size_t n;
        mysql_attr_get(r.attrs, r.attrs_len, "_client_name", &v, &n);
    }
    struct mysql_change_user cu;
    uint32_t caps = size ? (uint32_t)data[0] << 8 : 0;
    mysql_parse_change_user(data, size, caps | CLIENT_SECURE_CONNECTION, &cu);
    if (size > 2) {
        uint16_t nparams = data[0] % 8;
        uint16_t types[8];
        struct mysql_param params[8];
        memset(types, 0, sizeof(types));
        if (mysql_parse_execute_params(data + 1, size - 1, nparams, types, NULL, params) == 0)
            mysql_params_free(params, nparams);
    }
    return 0;
}
