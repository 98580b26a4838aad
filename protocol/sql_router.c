#include "protocol/sql_router.h"

#include <stdbool.h>

#include "protocol/sql_lexer.h"

static bool is_location(const struct sql_cursor *c)
{
    return c->tok.type == SQL_TK_AT || (c->tok.type == SQL_TK_STRING && c->tok.text_len > 0 &&
                                        c->lx.src[c->tok.text_start] == '@');
}

/* SELECT ... FROM @s, ... JOIN @s, LIST_STAGE( / INFER_SCHEMA( anywhere. */
static enum sql_route route_select(struct sql_cursor *c)
{
    bool after_from = false;
    while (c->tok.type != SQL_TK_EOF && c->tok.type != SQL_TK_ERROR) {
        const char *src = c->lx.src;
        if (after_from && is_location(c))
            return SQL_ROUTE_SELECT_STAGE;
        if (sql_token_is(src, &c->tok, "LIST_STAGE") ||
            sql_token_is(src, &c->tok, "INFER_SCHEMA")) {
            sql_cursor_next(c);
            if (sql_token_op(src, &c->tok, "("))
                return SQL_ROUTE_SELECT_STAGE;
            after_from = false;
            continue;
        }
        after_from = sql_token_is(src, &c->tok, "FROM") || sql_token_is(src, &c->tok, "JOIN") ||
                     (after_from && sql_token_op(src, &c->tok, ","));
        sql_cursor_next(c);
    }
    return SQL_ROUTE_OTHER;
}

enum sql_route sql_route_statement(const char *sql, size_t len)
{
    struct sql_cursor c;
    sql_cursor_init(&c, sql, len, SQL_MODE_MYSQL);
    if (c.tok.type == SQL_TK_EOF)
        return SQL_ROUTE_EMPTY;
    if (sql_cursor_kw(&c, "CREATE")) {
        if (sql_cursor_kw(&c, "OR") && !sql_cursor_kw(&c, "REPLACE"))
            return SQL_ROUTE_OTHER;
        return sql_cursor_kw(&c, "STAGE") ? SQL_ROUTE_CREATE_STAGE : SQL_ROUTE_OTHER;
    }
    if (sql_cursor_kw(&c, "DROP"))
        return sql_cursor_kw(&c, "STAGE") ? SQL_ROUTE_DROP_STAGE : SQL_ROUTE_OTHER;
    if (sql_cursor_kw(&c, "DESC") || sql_cursor_kw(&c, "DESCRIBE")) /* DESC stage: a table */
        return sql_cursor_kw(&c, "STAGE") && c.tok.type != SQL_TK_EOF ? SQL_ROUTE_DESC_STAGE
                                                                      : SQL_ROUTE_OTHER;
    if (sql_cursor_kw(&c, "SHOW"))
        return sql_cursor_kw(&c, "STAGES") ? SQL_ROUTE_SHOW_STAGES : SQL_ROUTE_OTHER;
    if (sql_cursor_kw(&c, "LIST"))
        return c.tok.type == SQL_TK_AT ? SQL_ROUTE_LIST : SQL_ROUTE_OTHER;
    if (sql_cursor_kw(&c, "REMOVE") || sql_cursor_kw(&c, "RM"))
        return c.tok.type == SQL_TK_AT ? SQL_ROUTE_REMOVE : SQL_ROUTE_OTHER;
    if (sql_cursor_kw(&c, "PRESIGN"))
        return SQL_ROUTE_PRESIGN;
    if (sql_cursor_kw(&c, "PUT"))
        return SQL_ROUTE_PUT;
    if (sql_cursor_kw(&c, "GET")) /* GET DIAGNOSTICS is MySQL's */
        return c.tok.type == SQL_TK_AT ? SQL_ROUTE_GET : SQL_ROUTE_OTHER;
    if (sql_cursor_kw(&c, "COPY"))
        return sql_cursor_kw(&c, "INTO") ? SQL_ROUTE_COPY : SQL_ROUTE_OTHER;
    if (sql_token_is(sql, &c.tok, "SELECT") || sql_token_is(sql, &c.tok, "WITH") ||
        sql_token_op(sql, &c.tok, "("))
        return route_select(&c);
    return SQL_ROUTE_OTHER;
}

const char *sql_route_name(enum sql_route r)
{
    static const char *const names[] = {
        "empty",  "other",   "CREATE STAGE", "DROP STAGE", "DESC STAGE", "SHOW STAGES",      "LIST",
        "REMOVE", "PRESIGN", "PUT",          "GET",        "COPY INTO",  "SELECT FROM STAGE"};
    return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

bool sql_route_is_list_stage(const char *sql, size_t len)
{
    struct sql_cursor c;
    for (sql_cursor_init(&c, sql, len, SQL_MODE_MYSQL);
         c.tok.type != SQL_TK_EOF && c.tok.type != SQL_TK_ERROR; sql_cursor_next(&c)) {
        if (sql_token_is(sql, &c.tok, "LIST_STAGE")) {
            sql_cursor_next(&c);
            if (sql_token_op(sql, &c.tok, "("))
                return true;
        }
    }
    return false;
}

bool sql_route_kill_connection(const char *sql, size_t len, uint32_t *id)
{
    struct sql_cursor c;
    sql_cursor_init(&c, sql, len, SQL_MODE_MYSQL);
    if (!sql_cursor_kw(&c, "KILL"))
        return false;
    if (!sql_cursor_kw(&c, "HARD"))
        sql_cursor_kw(&c, "SOFT");
    sql_cursor_kw(&c, "CONNECTION");
    if (c.tok.type != SQL_TK_NUMBER || c.tok.len > 10)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < c.tok.len; i++) {
        char d = sql[c.tok.start + i];
        if (d < '0' || d > '9')
            return false;
        v = v * 10 + (uint64_t)(d - '0');
    }
    sql_cursor_next(&c);
    if (c.tok.type != SQL_TK_EOF || v == 0 || v > UINT32_MAX)
        return false;
    *id = (uint32_t)v;
    return true;
}
