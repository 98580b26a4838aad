#include "server/mysql_result.h"

#include <string.h>

#include "protocol/mysql_packet.h"
#include "server/mysql_conn.h"
#include "server/mysql_errors.h"
#include "server/process.h"
#include "server/session.h"

static const struct mysql_error_info error_table[] = {
#define X(name, code, state, fmt) {code, state, fmt},
    MYSQL_ERRORS(X)
#undef X
};

const struct mysql_error_info *mysql_error_info(enum mysql_error e)
{
    return &error_table[e];
}

void mysql_result_begin(struct mysql_conn *c, const struct mysql_column *cols, size_t n)
{
    struct buf *s = mysql_conn_scratch(c);
    buf_reset(s);
    mysql_put_lenenc(s, n);
    mysql_conn_send_scratch(c);
    uint16_t cs = session_charset(c->sess);
    for (size_t i = 0; i < n; i++) {
        struct mysql_column col = cols[i];
        if (col.charset == 0)
            col.charset = cs;
        mysql_build_column_def(s, &col, false);
        mysql_conn_send_scratch(c);
    }
    if (!(c->caps & CLIENT_DEPRECATE_EOF)) {
        mysql_build_eof(s, 0, mysql_conn_status(c));
        mysql_conn_send_scratch(c);
    }
}

void mysql_result_row(struct mysql_conn *c, const struct mysql_column *cols,
                      const struct mysql_value *v, size_t n)
{
    struct buf *s = mysql_conn_scratch(c);
    buf_reset(s);
    if (c->binary_rows)
        mysql_build_binary_row(s, cols, v, n);
    else
        mysql_build_text_row(s, v, n);
    mysql_conn_send_scratch(c);
}

void mysql_result_end(struct mysql_conn *c)
{
    mysql_conn_send_eof(c);
}
