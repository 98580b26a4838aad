/* Parsing SELECT: the select list, FROM (tables and table functions),
 * WHERE, GROUP BY, HAVING, ORDER BY and LIMIT, into a struct select_stmt. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/mysql_errors.h"
#include "server/session.h"
#include "server/session_expr.h"
#include "server/session_select.h"

static const char *parse_alias(struct parser *p)
{
    bool as = px_accept(p, "AS");
    const struct sql_token *t = px_cur(p);
    if (t->type == SQL_TK_QIDENT || t->type == SQL_TK_STRING ||
        (t->type == SQL_TK_IDENT && !px_is_reserved(p, t))) {
        p->pos++;
        return px_text(p, t);
    }
    if (as)
        px_syntax_error(p);
    return NULL;
}

static bool parse_select_list(struct parser *p, struct select_stmt *st)
{
    struct select_item tmp[SEL_MAX_ROW_CELLS];
    int k = 0;
    do {
        if (k == SEL_MAX_ROW_CELLS) {
            fail(p, ER_NOT_SUPPORTED_YET, "more than 256 columns");
            return false;
        }
        struct select_item *it = &tmp[k++];
        memset(it, 0, sizeof(*it));
        if (px_accept_op(p, "*"))
            continue;
        const struct sql_token *t = px_cur(p);
        if ((t->type == SQL_TK_IDENT || t->type == SQL_TK_QIDENT) &&
            sql_token_op(p->src, px_peek(p, 1), ".") && sql_token_op(p->src, px_peek(p, 2), "*")) {
            it->star_qual = px_text(p, t);
            p->pos += 3;
            continue;
        }
        if (!(it->expr = px_parse_expr(p)))
            return false;
        it->label = parse_alias(p);
        if (p->err)
            return false;
        if (!it->label)
            it->label = px_label(p, it->expr);
    } while (px_accept_op(p, ","));
    st->nitems = k;
    st->items = arena_alloc(p->a, sizeof(*st->items) * (size_t)k);
    if (!st->items)
        return false;
    memcpy(st->items, tmp, sizeof(*st->items) * (size_t)k);
    return true;
}

static bool parse_table_ref(struct parser *p, struct table_ref *ref)
{
    const struct sql_token *t = px_cur(p);
    if (px_is_op(p, "(")) {
        fail(p, ER_NOT_SUPPORTED_YET, "derived tables");
        return false;
    }
    if (t->type != SQL_TK_IDENT && t->type != SQL_TK_QIDENT) {
        px_syntax_error(p);
        return false;
    }
    ref->name = px_text(p, t);
    p->pos++;
    if (px_is_op(p, "(")) {
        /* a table function: its arguments were read by whoever provides it */
        int depth = 0;
        do {
            depth += px_is_op(p, "(") - px_is_op(p, ")");
            p->pos++;
        } while (depth > 0 && px_cur(p)->type != SQL_TK_EOF);
        ref->is_function = true;
    } else if (px_is_op(p, ".") &&
               (px_peek(p, 1)->type == SQL_TK_IDENT || px_peek(p, 1)->type == SQL_TK_QIDENT)) {
        ref->schema = ref->name;
        ref->name = px_text(p, px_peek(p, 1));
        p->pos += 2;
    }
    ref->alias = parse_alias(p);
    return !p->err;
}

static bool parse_from(struct parser *p, struct select_stmt *st)
{
    if (px_accept(p, "DUAL"))
        return true;
    do {
        bool left = false;
        for (;;) {
            if (st->ntables == 8) {
                fail(p, ER_NOT_SUPPORTED_YET, "more than 8 tables");
                return false;
            }
            struct table_ref *ref = &st->tables[st->ntables++];
            ref->left_join = left;
            if (!parse_table_ref(p, ref))
                return false;
            if (st->ntables > 1 && px_accept(p, "ON")) {
                if (!px_parse_expr(p))
                    return false;
            } else if (st->ntables > 1 && px_accept(p, "USING")) {
                struct node tmp = {0};
                if (!px_accept_op(p, "(") || !px_parse_args(p, &tmp))
                    return false;
            }
            px_accept(p, "NATURAL");
            left = px_accept(p, "LEFT") || px_accept(p, "RIGHT");
            px_accept(p, "OUTER");
            bool join = px_accept(p, "INNER") || px_accept(p, "CROSS");
            if (!px_accept(p, "JOIN") && !px_accept(p, "STRAIGHT_JOIN")) {
                if (left || join)
                    px_syntax_error(p);
                break;
            }
        }
    } while (!p->err && px_accept_op(p, ","));
    return !p->err;
}

/* A non-negative integer token; the source is not NUL-terminated. */
static bool take_count(struct parser *p, int64_t *out)
{
    const struct sql_token *t = px_cur(p);
    char tmp[24];
    if (t->type != SQL_TK_NUMBER || t->len >= sizeof(tmp)) {
        px_syntax_error(p);
        return false;
    }
    memcpy(tmp, p->src + t->start, t->len);
    tmp[t->len] = 0;
    char *end;
    errno = 0;
    long long v = strtoll(tmp, &end, 10);
    if (*end || errno || v < 0) {
        px_syntax_error(p);
        return false;
    }
    p->pos++;
    *out = v;
    return true;
}

static bool parse_limit(struct parser *p, struct select_stmt *st)
{
    int64_t first;
    if (!take_count(p, &first))
        return false;
    if (px_accept_op(p, ",")) {
        st->offset = first;
        return take_count(p, &st->limit);
    }
    st->limit = first;
    return !px_accept(p, "OFFSET") || take_count(p, &st->offset);
}

/* BY term [ASC|DESC], ... of GROUP BY and ORDER BY, after their first word. */
static bool parse_terms(struct parser *p, struct order_item *terms, int *n, const char *clause)
{
    if (!px_accept(p, "BY"))
        return px_syntax_error(p), false;
    do {
        if (*n == SEL_MAX_TERMS) {
            char what[48];
            snprintf(what, sizeof(what), "more than %d %s terms", SEL_MAX_TERMS, clause);
            return fail(p, ER_NOT_SUPPORTED_YET, what), false;
        }
        struct order_item *o = &terms[(*n)++];
        if (!(o->expr = px_parse_expr(p)))
            return false;
        o->desc = px_accept(p, "DESC");
        if (!o->desc)
            px_accept(p, "ASC");
    } while (px_accept_op(p, ","));
    return true;
}

bool sel_parse_select(struct parser *p, struct select_stmt *st)
{
    st->limit = -1;
    p->stmt = st;
    if (!px_accept(p, "SELECT")) {
        px_syntax_error(p);
        return false;
    }
    for (;;) {
        if (px_accept(p, "DISTINCT") || px_accept(p, "DISTINCTROW"))
            st->distinct = true;
        else if (!(px_accept(p, "ALL") || px_accept(p, "HIGH_PRIORITY") ||
                   px_accept(p, "STRAIGHT_JOIN") || px_accept(p, "SQL_SMALL_RESULT") ||
                   px_accept(p, "SQL_BIG_RESULT") || px_accept(p, "SQL_BUFFER_RESULT") ||
                   px_accept(p, "SQL_NO_CACHE") || px_accept(p, "SQL_CACHE") ||
                   px_accept(p, "SQL_CALC_FOUND_ROWS")))
            break;
    }
    if (!parse_select_list(p, st))
        return false;
    if (px_accept(p, "INTO")) {
        fail(p, ER_NOT_SUPPORTED_YET, "SELECT ... INTO");
        return false;
    }
    if (px_accept(p, "FROM") && !parse_from(p, st))
        return false;
    if (px_accept(p, "WHERE") && !(st->where = px_parse_expr(p)))
        return false;
    if (px_accept(p, "GROUP") && !parse_terms(p, st->groups, &st->ngroups, "GROUP BY"))
        return false;
    if (px_accept(p, "WITH")) {
        if (!px_accept(p, "ROLLUP"))
            return px_syntax_error(p), false;
        return fail(p, ER_NOT_SUPPORTED_YET, "WITH ROLLUP in stage-only mode"), false;
    }
    if (px_accept(p, "HAVING") && !(st->having = px_parse_expr(p)))
        return false;
    if (px_accept(p, "ORDER") && !parse_terms(p, st->orders, &st->norders, "ORDER BY"))
        return false;
    if (px_accept(p, "LIMIT") && !parse_limit(p, st))
        return false;
    if (px_accept(p, "FOR")) {
        if (!px_accept(p, "UPDATE") && !px_accept(p, "SHARE"))
            return px_syntax_error(p), false;
    } else if (px_accept(p, "LOCK")) {
        if (!px_accept(p, "IN") || !px_accept(p, "SHARE") || !px_accept(p, "MODE"))
            return px_syntax_error(p), false;
    }
    if (px_accept(p, "UNION")) {
        fail(p, ER_NOT_SUPPORTED_YET, "UNION in stage-only mode");
        return false;
    }
    if (px_cur(p)->type != SQL_TK_EOF) {
        px_syntax_error(p);
        return false;
    }
    return true;
}
