#include "server/mysql_stmt.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/mysql_packet.h"
#include "protocol/mysql_resultset.h"
#include "protocol/sql_lexer.h"
#include "server/mysql_conn.h"
#include "server/process.h"
#include "server/session.h"

#define MAX_PARAMS            65535
#define MAX_STMTS_PER_SESSION 16382

struct prepared_stmt {
    struct prepared_stmt *next;
    uint32_t id;
    char *sql;
    size_t len;
    uint16_t nparams;
    size_t *param_at; /* offsets of the '?' tokens */
    uint16_t *param_types;
    struct buf *long_data;
};

static void stmt_free(struct prepared_stmt *st)
{
    for (uint16_t i = 0; st->long_data && i < st->nparams; i++)
        buf_free(&st->long_data[i]);
    free(st->long_data);
    free(st->param_types);
    free(st->param_at);
    free(st->sql);
    free(st);
}

void stmt_close_all(struct session *s)
{
    while (s->stmts) {
        struct prepared_stmt *st = s->stmts;
        s->stmts = st->next;
        stmt_free(st);
    }
}

static size_t count_stmts(const struct session *s)
{
    size_t n = 0;
    for (const struct prepared_stmt *st = s->stmts; st; st = st->next)
        n++;
    return n;
}

static struct prepared_stmt *find(struct session *s, uint32_t id)
{
    if (id == MYSQL_STMT_ID_LAST)
        id = s->last_stmt_id;
    for (struct prepared_stmt *st = s->stmts; st; st = st->next)
        if (st->id == id)
            return st;
    return NULL;
}

/* Counts the placeholders of one statement; -1 when there are several. */
static int scan_params(struct prepared_stmt *st)
{
    struct sql_lexer lx;
    struct sql_token tok;
    size_t cap = 0;
    sql_lexer_init(&lx, st->sql, st->len, SQL_MODE_MYSQL);
    for (;;) {
        sql_lexer_next(&lx, &tok);
        if (tok.type == SQL_TK_EOF || tok.type == SQL_TK_ERROR)
            return 0;
        if (sql_token_op(st->sql, &tok, ";")) {
            struct sql_token next;
            sql_lexer_next(&lx, &next);
            if (next.type != SQL_TK_EOF)
                return -1;
            continue;
        }
        if (tok.type != SQL_TK_PARAM)
            continue;
        if (st->nparams == MAX_PARAMS)
            return -2;
        if (st->nparams == cap) {
            cap = cap ? cap * 2 : 8;
            size_t *a = realloc(st->param_at, cap * sizeof(*a));
            if (!a)
                return -3;
            st->param_at = a;
        }
        st->param_at[st->nparams++] = tok.start;
    }
}

static void send_param_defs(struct mysql_conn *c, uint16_t n)
{
    struct buf *s = mysql_conn_scratch(c);
    struct mysql_column col = {
        .name = "?", .type = MYSQL_TYPE_VAR_STRING, .charset = MYSQL_CHARSET_BINARY};
    for (uint16_t i = 0; i < n; i++) {
        buf_reset(s);
        mysql_build_column_def(s, &col, false);
        mysql_conn_send_scratch(c);
    }
    if (n > 0 && !(c->caps & CLIENT_DEPRECATE_EOF)) {
        mysql_build_eof(s, 0, mysql_conn_status(c));
        mysql_conn_send_scratch(c);
    }
}

void stmt_prepare(struct mysql_conn *c, const uint8_t *p, size_t len)
{
    struct session *s = c->sess;
    if (count_stmts(s) >= MAX_STMTS_PER_SESSION) {
        mysql_conn_send_err(c, ER_UNKNOWN, "Too many prepared statements on this connection");
        return;
    }
    s->last_stmt_id = 0; /* until this one succeeds */
    struct prepared_stmt *st = calloc(1, sizeof(*st));
    if (!st || !(st->sql = malloc(len + 1))) {
        free(st);
        mysql_conn_close(c, "out of memory");
        return;
    }
    memcpy(st->sql, p, len);
    st->sql[len] = 0;
    st->len = len;
    int rc = scan_params(st);
    if (rc == 0 && st->nparams) {
        st->param_types = calloc(st->nparams, sizeof(*st->param_types));
        st->long_data = calloc(st->nparams, sizeof(*st->long_data));
        if (!st->param_types || !st->long_data)
            rc = -3;
    }
    if (rc < 0) {
        if (rc == -1)
            mysql_conn_send_err(c, ER_PARSE, st->sql, 1);
        else if (rc == -2)
            mysql_conn_send_err(c, ER_PS_MANY_PARAM);
        else
            mysql_conn_close(c, "out of memory");
        stmt_free(st);
        return;
    }
    st->id = s->next_stmt_id++;
    s->last_stmt_id = st->id;
    st->next = s->stmts;
    s->stmts = st;
    struct buf *b = mysql_conn_scratch(c);
    buf_reset(b);
    /* Columns are described by each EXECUTE's own result set. */
    mysql_build_prepare_ok(b, st->id, 0, st->nparams);
    mysql_conn_send_scratch(c);
    send_param_defs(c, st->nparams);
}

static void append_literal(struct buf *out, const struct mysql_param *prm)
{
    if (prm->null) {
        buf_append_str(out, "NULL");
        return;
    }
    if (!prm->is_string) {
        buf_append(out, prm->text, prm->len);
        return;
    }
    buf_put_u8(out, '\'');
    for (size_t i = 0; i < prm->len; i++) {
        char ch = prm->text[i];
        if (ch == '\'' || ch == '\\')
            buf_put_u8(out, '\\');
        if (ch == 0) {
            buf_append_str(out, "\\0");
            continue;
        }
        buf_put_u8(out, (uint8_t)ch);
    }
    buf_put_u8(out, '\'');
}

/* The statement text with every '?' replaced by its parameter. */
static int bind_text(const struct prepared_stmt *st, const struct mysql_param *params,
                     struct buf *out)
{
    size_t from = 0;
    for (uint16_t i = 0; i < st->nparams; i++) {
        buf_append(out, st->sql + from, st->param_at[i] - from);
        append_literal(out, &params[i]);
        from = st->param_at[i] + 1;
    }
    buf_append(out, st->sql + from, st->len - from);
    return out->oom ? -1 : 0;
}

void stmt_execute(struct mysql_conn *c, const uint8_t *p, size_t len)
{
    struct prepared_stmt *st = find(c->sess, mysql_command_id(p, len));
    if (len < 9 || !st) {
        mysql_conn_send_err(c, ER_UNKNOWN_STMT_HANDLER, mysql_command_id(p, len),
                            "mysqld_stmt_execute");
        return;
    }
    struct mysql_param *params = st->nparams ? calloc(st->nparams, sizeof(*params)) : NULL;
    if (st->nparams && !params) {
        mysql_conn_close(c, "out of memory");
        return;
    }
    if (mysql_parse_execute_params(p + 9, len - 9, st->nparams, st->param_types, st->long_data,
                                   params) < 0) {
        free(params);
        mysql_conn_send_err(c, ER_WRONG_ARGUMENTS, "mysqld_stmt_execute");
        return;
    }
    struct buf sql;
    buf_init(&sql);
    int rc = bind_text(st, params, &sql);
    mysql_params_free(params, st->nparams);
    free(params);
    for (uint16_t i = 0; i < st->nparams; i++)
        buf_free(&st->long_data[i]);
    if (rc < 0) {
        buf_free(&sql);
        mysql_conn_close(c, "out of memory");
        return;
    }
    c->binary_rows = true; /* until the next command, even if this one goes asynchronous */
    mysql_command_run_statement(c, (const char *)sql.data, sql.len);
    buf_free(&sql);
}

void stmt_send_long_data(struct mysql_conn *c, const uint8_t *p, size_t len)
{
    /* No answer, not even on error (the error surfaces at EXECUTE). */
    struct prepared_stmt *st = find(c->sess, mysql_command_id(p, len));
    if (!st || len < 6)
        return;
    uint16_t param = (uint16_t)(p[4] | p[5] << 8);
    if (param >= st->nparams)
        return;
    if (st->long_data[param].len + (len - 6) > (size_t)c->srv->cfg->max_allowed_packet)
        return;
    buf_append(&st->long_data[param], p + 6, len - 6);
}

void stmt_reset(struct mysql_conn *c, const uint8_t *p, size_t len)
{
    struct prepared_stmt *st = find(c->sess, mysql_command_id(p, len));
    if (!st) {
        mysql_conn_send_err(c, ER_UNKNOWN_STMT_HANDLER, mysql_command_id(p, len),
                            "mysqld_stmt_reset");
        return;
    }
    for (uint16_t i = 0; i < st->nparams; i++)
        buf_free(&st->long_data[i]);
    mysql_conn_send_ok(c, 0, 0, NULL);
}

void stmt_close(struct mysql_conn *c, const uint8_t *p, size_t len)
{
    /* COM_STMT_CLOSE has no answer. */
    uint32_t id = mysql_command_id(p, len);
    for (struct prepared_stmt **pp = &c->sess->stmts; *pp; pp = &(*pp)->next) {
        if ((*pp)->id == id) {
            struct prepared_stmt *st = *pp;
            *pp = st->next;
            stmt_free(st);
            return;
        }
    }
}

void stmt_command(struct mysql_conn *c, uint8_t command, const uint8_t *arg, size_t len)
{
    switch (command) {
    case COM_STMT_EXECUTE:
        stmt_execute(c, arg, len);
        break;
    case COM_STMT_SEND_LONG_DATA:
        stmt_send_long_data(c, arg, len);
        break;
    case COM_STMT_RESET:
        stmt_reset(c, arg, len);
        break;
    case COM_STMT_CLOSE:
        stmt_close(c, arg, len);
        break;
    default: /* COM_STMT_FETCH: our statements open no cursors */
        mysql_conn_send_err(c, ER_UNKNOWN_COM);
        break;
    }
}
