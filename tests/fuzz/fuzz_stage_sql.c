/* The stage grammar, every statement kind, on arbitrary text. */
#include <stddef.h>
#include <stdint.h>

#include "protocol/stage_sql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int kind = STAGE_STMT_CREATE; kind <= STAGE_STMT_PRESIGN; kind++) {
        struct stage_stmt st;
        stage_sql_parse((const char *)data, size, (enum stage_stmt_kind)kind, &st);
        if (st.name && !st.err_code && st.kind != STAGE_STMT_SHOW && st.name[0] != '~' &&
            !stage_name_valid(st.name))
            __builtin_trap(); /* a parsed name is always a plain identifier */
        stage_stmt_free(&st);
    }
    return 0;
}
