/* The SQL lexer in both modes, statement splitting and the router (with
 * its KILL reader). */
#include <stddef.h>
#include <stdint.h>

#include "protocol/sql_lexer.h"
#include "protocol/sql_router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *sql = (const char *)data;
    for (int mode = 0; mode < 2; mode++) {
        struct sql_lexer lx;
        struct sql_token t;
        struct buf b = {0};
        sql_lexer_init(&lx, sql, size, (enum sql_lexer_mode)mode);
        do {
            size_t before = lx.pos;
            sql_lexer_next(&lx, &t);
            if (t.start + t.len > size ||
                (lx.pos <= before && t.type != SQL_TK_EOF && t.type != SQL_TK_ERROR))
                __builtin_trap(); /* tokens stay in bounds and always advance */
            sql_token_unquote(sql, &t, &b);
            buf_reset(&b);
        } while (t.type != SQL_TK_EOF && t.type != SQL_TK_ERROR);
        buf_free(&b);
    }
    size_t pos = 0, start, len;
    while (sql_split_next(sql, size, &pos, &start, &len)) {
        if (start + len > size)
            __builtin_trap();
        sql_route_statement(sql + start, len);
        uint32_t id;
        if (sql_route_kill_connection(sql + start, len, &id) && id == 0)
            __builtin_trap(); /* KILL 0 names no connection */
    }
    return 0;
}
