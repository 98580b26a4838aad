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

struct mysql_column mysql_col_text(const char *name)
{
    struct mysql_column c = {.name = name, .type = MYSQL_TYPE_VAR_STRING, .length = 1024};
    return c;
}

struct mysql_column mysql_col_int(const char *name)
{
    struct mysql_column c = {.name = name,
                             .type = MYSQL_TYPE_LONGLONG,
                             .charset = MYSQL_CHARSET_BINARY,
                             .length = 21,
                             .flags = MYSQL_FLAG_BINARY | MYSQL_FLAG_NUM};
    return c;
}

void mysql_result_begin(struct mysql_conn *c, const struct mysql_column *cols, size_t n)
{
    struct buf *s = &c->srv->scratch;
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
    struct buf *s = &c->srv->scratch;
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

void mysql_result_simple(struct mysql_conn *c, const struct mysql_column *cols, size_t ncols,
                         const char *const *rows, size_t nrows)
{
    struct mysql_value v[64];
    if (ncols > 64)
        ncols = 64;
    mysql_result_begin(c, cols, ncols);
    for (size_t r = 0; r < nrows; r++) {
        for (size_t i = 0; i < ncols; i++) {
            const char *s = rows[r * ncols + i];
            v[i].null = s == NULL;
            v[i].s = s ? s : "";
            v[i].len = s ? strlen(s) : 0;
        }
        mysql_result_row(c, cols, v, ncols);
    }
    mysql_result_end(c);
}
