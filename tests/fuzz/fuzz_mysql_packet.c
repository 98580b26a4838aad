/* The packet decoder: reassembly with arbitrary chunking, and the basic
 * type readers, on arbitrary bytes; some packets switch to passing on. */
#include <stddef.h>
#include <stdint.h>

#include "protocol/mysql_packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t step = (size_t)data[0] + 1; /* the first byte picks the read size */
    struct mysql_asm a;
    mysql_asm_init(&a, 1 << 20);
    mysql_asm_expect(&a, data[1]);
    size_t pos = 2;
    while (pos < size) {
        size_t used, take = size - pos < step ? size - pos : step;
        enum mysql_asm_status st = mysql_asm_feed(&a, data + pos, take, &used);
        pos += used;
        if (st < 0)
            break;
        if (st == MYSQL_ASM_PACKET) {
            struct mysql_rd r;
            mysql_rd_init(&r, a.payload.data, a.payload.len);
            while (mysql_rd_left(&r) > 0 && !r.err) {
                size_t n;
                switch (mysql_rd_u8(&r) % 4) {
                case 0:
                    mysql_rd_lenenc(&r, NULL);
                    break;
                case 1:
                    mysql_rd_lenenc_str(&r, &n);
                    break;
                case 2:
                    mysql_rd_nul_str(&r, &n);
                    break;
                default:
                    mysql_rd_u32(&r);
                    break;
                }
            }
            mysql_asm_next(&a);
            mysql_asm_expect(&a, 0);
        } else if (used == 0) {
            break;
        } else if ((data[0] & 0x80) && !a.discard && a.payload.len > 16) {
            mysql_asm_discard(&a); /* the rest is passed on, as in proxy mode */
        }
    }
    mysql_asm_free(&a);
    return 0;
}
