#include "protocol/sql_router.h"

#include <stdbool.h>

#include "protocol/sql_lexer.h"

struct cursor {
    struct sql_lexer lx;
    struct sql_token tok;
};

static void advance(struct cursor *c)
{
    sql_lexer_next(&c->lx, &c->tok);
}

static bool accept_kw(struct cursor *c, const char *kw)
{
    if (!sql_token_is(c->lx.src, &c->tok, kw))
        return false;
    advance(c);
    return true;
}

static bool is_location(const struct cursor *c)
{
    return c->tok.type == SQL_TK_AT || (c->tok.type == SQL_TK_STRING && c->tok.text_len > 0 &&
                                        c->lx.src[c->tok.text_start] == '@');
}

/* SELECT ... FROM @s, ... JOIN @s, LIST_STAGE( / INFER_SCHEMA( anywhere. */
static enum sql_route route_select(struct cursor *c)
{
    bool after_from = false;
    while (c->tok.type != SQL_TK_EOF && c->tok.type != SQL_TK_ERROR) {
        const char *src = c->lx.src;
        if (after_from && is_location(c))
            return SQL_ROUTE_SELECT_STAGE;
        if (sql_token_is(src, &c->tok, "LIST_STAGE") ||
            sql_token_is(src, &c->tok, "INFER_SCHEMA")) {
            advance(c);
            if (sql_token_op(src, &c->tok, "("))
                return SQL_ROUTE_SELECT_STAGE;
            after_from = false;
            continue;
        }
        after_from = sql_token_is(src, &c->tok, "FROM") || sql_token_is(src, &c->tok, "JOIN") ||
                     (after_from && sql_token_op(src, &c->tok, ","));
        advance(c);
    }
    return SQL_ROUTE_OTHER;
}

enum sql_route sql_route_statement(const char *sql, size_t len)
{
    struct cursor c;
    sql_lexer_init(&c.lx, sql, len, SQL_MODE_MYSQL);
    advance(&c);
    if (c.tok.type == SQL_TK_EOF)
        return SQL_ROUTE_EMPTY;
    if (accept_kw(&c, "CREATE")) {
        if (accept_kw(&c, "OR") && !accept_kw(&c, "REPLACE"))
            return SQL_ROUTE_OTHER;
        return accept_kw(&c, "STAGE") ? SQL_ROUTE_CREATE_STAGE : SQL_ROUTE_OTHER;
    }
    if (accept_kw(&c, "DROP"))
        return accept_kw(&c, "STAGE") ? SQL_ROUTE_DROP_STAGE : SQL_ROUTE_OTHER;
    if (accept_kw(&c, "DESC") || accept_kw(&c, "DESCRIBE"))
        return accept_kw(&c, "STAGE") ? SQL_ROUTE_DESC_STAGE : SQL_ROUTE_OTHER;
    if (accept_kw(&c, "SHOW"))
        return accept_kw(&c, "STAGES") ? SQL_ROUTE_SHOW_STAGES : SQL_ROUTE_OTHER;
    if (accept_kw(&c, "LIST"))
        return c.tok.type == SQL_TK_AT ? SQL_ROUTE_LIST : SQL_ROUTE_OTHER;
    if (accept_kw(&c, "REMOVE") || accept_kw(&c, "RM"))
        return c.tok.type == SQL_TK_AT ? SQL_ROUTE_REMOVE : SQL_ROUTE_OTHER;
    if (accept_kw(&c, "PRESIGN"))
        return SQL_ROUTE_PRESIGN;
    if (accept_kw(&c, "PUT"))
        return SQL_ROUTE_PUT;
    if (accept_kw(&c, "GET"))
        return SQL_ROUTE_GET;
    if (accept_kw(&c, "COPY"))
        return accept_kw(&c, "INTO") ? SQL_ROUTE_COPY : SQL_ROUTE_OTHER;
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
    struct cursor c;
    sql_lexer_init(&c.lx, sql, len, SQL_MODE_MYSQL);
    for (advance(&c); c.tok.type != SQL_TK_EOF && c.tok.type != SQL_TK_ERROR; advance(&c)) {
        if (sql_token_is(sql, &c.tok, "LIST_STAGE")) {
            advance(&c);
            if (sql_token_op(sql, &c.tok, "("))
                return true;
        }
    }
    return false;
}
