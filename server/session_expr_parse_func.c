/* Function calls in expressions: aggregates, and the functions MySQL
 * gives a syntax of their own (INTERVAL arithmetic, DATE_ADD and friends,
 * TIMESTAMPDIFF / TIMESTAMPADD, TRIM ... FROM, POSITION ... IN; CAST and
 * CONVERT are in session_convert.c). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/mysql_errors.h"
#include "server/session_date.h"
#include "server/session_expr.h"

static const char *const aggregates[] = {"COUNT", "MIN", "MAX", "SUM", "AVG", NULL};

/* `found`, or a syntax error. */
static bool expected(struct parser *p, bool found)
{
    if (!found)
        px_syntax_error(p);
    return found;
}

/* A unit of INTERVAL, TIMESTAMPDIFF or TIMESTAMPADD, as a literal of its
 * name. */
static bool parse_unit(struct parser *p, struct node **unit)
{
    const struct sql_token *t = px_cur(p);
    int u = t->type == SQL_TK_IDENT ? date_unit_find(p->src + t->start, t->len) : -1;
    if (u < 0) {
        if (t->type == SQL_TK_IDENT && memchr(p->src + t->start, '_', t->len))
            fail(p, ER_NOT_SUPPORTED_YET, "INTERVAL units that combine two fields");
        else
            px_syntax_error(p);
        return false;
    }
    p->pos++;
    return (*unit = px_literal(p, v_cstr(date_unit_name((enum date_unit)u)))) != NULL;
}

/* INTERVAL's amount and unit, after the keyword. */
bool px_parse_interval(struct parser *p, struct node **amount, struct node **unit)
{
    return (*amount = px_parse_expr(p)) != NULL && parse_unit(p, unit);
}

static bool set_args(struct parser *p, struct node *n, struct node *a, struct node *b,
                     struct node *c)
{
    if (!a || !b || !c || !(n->args = arena_alloc(p->a, 3 * sizeof(struct node *))))
        return false;
    n->args[0] = a;
    n->args[1] = b;
    n->args[2] = c;
    n->nargs = 3;
    return true;
}

/* What INTERVAL arithmetic and its function forms become: DATE_ADD(date,
 * amount, unit) or DATE_SUB(...). */
struct node *px_date_arith(struct parser *p, bool subtract, size_t start, struct node *date,
                           struct node *amount, struct node *unit)
{
    if (!date || !amount || !unit)
        return NULL;
    struct node *n = px_new_node(p, N_FUNC);
    if (!n || !set_args(p, n, date, amount, unit))
        return NULL;
    n->name = subtract ? "DATE_SUB" : "DATE_ADD";
    n->name_len = strlen(n->name);
    n->src_start = start;
    return n;
}

/* DATE_ADD(d, INTERVAL n unit), DATE_SUB, and ADDDATE / SUBDATE, which
 * also take a number of days; after the '('. */
static struct node *parse_date_function(struct parser *p, const struct node *f)
{
    bool subtract = strcasecmp(f->name, "DATE_SUB") == 0 || strcasecmp(f->name, "SUBDATE") == 0;
    bool days = strcasecmp(f->name, "ADDDATE") == 0 || strcasecmp(f->name, "SUBDATE") == 0;
    struct node *date = px_parse_expr(p), *amount = NULL, *unit = NULL;
    if (!date || !expected(p, px_accept_op(p, ",")))
        return NULL;
    if (px_accept(p, "INTERVAL")) {
        if (!px_parse_interval(p, &amount, &unit))
            return NULL;
    } else if (days) {
        amount = px_parse_expr(p);
        unit = px_literal(p, v_cstr(date_unit_name(DATE_DAY)));
    } else {
        px_syntax_error(p);
        return NULL;
    }
    if (amount && unit && !expected(p, px_accept_op(p, ")")))
        return NULL;
    return px_date_arith(p, subtract, f->src_start, date, amount, unit);
}

/* TRIM([[BOTH | LEADING | TRAILING] [remstr] FROM] str), after the '(': a
 * TRIM(str, remstr, mode) node, mode 0 both, 1 leading, 2 trailing. */
static struct node *parse_trim(struct parser *p, struct node *n)
{
    int mode = px_accept(p, "LEADING") ? 1 : px_accept(p, "TRAILING") ? 2 : 0;
    bool said = mode > 0 || px_accept(p, "BOTH");
    struct node *rem = NULL, *str;
    if (said && px_accept(p, "FROM")) {
        str = px_parse_expr(p);
    } else {
        str = px_parse_expr(p);
        if (str && px_accept(p, "FROM")) {
            rem = str;
            str = px_parse_expr(p);
        } else if (str && said) {
            px_syntax_error(p);
            return NULL;
        }
    }
    if (!str || !expected(p, px_accept_op(p, ")")))
        return NULL;
    n->name = "TRIM";
    n->name_len = 4;
    return set_args(p, n, str, rem ? rem : px_literal(p, v_cstr(" ")), px_literal(p, v_int(mode)))
               ? n
               : NULL;
}

/* POSITION(substr IN str), after the '(': LOCATE(substr, str). The first
 * operand stops short of IN, as in MySQL's grammar. */
static struct node *parse_position(struct parser *p, struct node *n)
{
    struct node *needle = px_parse_bit_expr(p);
    if (!needle || !expected(p, px_accept(p, "IN")))
        return NULL;
    struct node *hay = px_parse_expr(p);
    if (!hay || !expected(p, px_accept_op(p, ")")))
        return NULL;
    if (!(n->args = arena_alloc(p->a, 2 * sizeof(struct node *))))
        return NULL;
    n->name = "LOCATE";
    n->name_len = 6;
    n->args[0] = needle;
    n->args[1] = hay;
    n->nargs = 2;
    return n;
}

/* TIMESTAMPDIFF(unit, a, b) and TIMESTAMPADD(unit, n, d), after the '(';
 * the second becomes DATE_ADD(d, n, unit). */
static struct node *parse_timestamp_function(struct parser *p, struct node *n)
{
    struct node *unit, *a, *b;
    if (!parse_unit(p, &unit) || !expected(p, px_accept_op(p, ",")) || !(a = px_parse_expr(p)) ||
        !expected(p, px_accept_op(p, ",")) || !(b = px_parse_expr(p)) ||
        !expected(p, px_accept_op(p, ")")))
        return NULL;
    if (strcasecmp(n->name, "TIMESTAMPADD") == 0)
        return px_date_arith(p, false, n->src_start, b, a, unit);
    n->name = "TIMESTAMPDIFF";
    n->name_len = strlen(n->name);
    return set_args(p, n, unit, a, b) ? n : NULL;
}

static bool is_date_function(const char *name)
{
    static const char *const names[] = {"DATE_ADD", "DATE_SUB", "ADDDATE", "SUBDATE", NULL};
    for (int i = 0; names[i]; i++)
        if (strcasecmp(name, names[i]) == 0)
            return true;
    return false;
}

struct node *px_parse_function(struct parser *p, const struct sql_token *name)
{
    struct node *n = px_new_node(p, N_FUNC);
    if (!n)
        return NULL;
    n->src_start = name->start;
    n->name = px_text(p, name);
    n->name_len = strlen(n->name);
    p->pos += 2; /* the name and '(' */
    if (is_date_function(n->name))
        return parse_date_function(p, n);
    if (strcasecmp(n->name, "TRIM") == 0)
        return parse_trim(p, n);
    if (strcasecmp(n->name, "POSITION") == 0)
        return parse_position(p, n);
    if (strcasecmp(n->name, "CAST") == 0 || strcasecmp(n->name, "CONVERT") == 0)
        return px_parse_cast(p, n, strcasecmp(n->name, "CONVERT") == 0);
    if (strcasecmp(n->name, "TIMESTAMPDIFF") == 0 || strcasecmp(n->name, "TIMESTAMPADD") == 0)
        return parse_timestamp_function(p, n);
    for (int i = 0; aggregates[i]; i++) {
        if (strcasecmp(n->name, aggregates[i]) == 0) {
            n->agg = "cnxsa"[i];
            if (p->stmt)
                p->stmt->has_agg = true;
        }
    }
    if (n->agg == 'c' && px_is_op(p, "*") && sql_token_op(p->src, px_peek(p, 1), ")")) {
        p->pos += 2;
        n->agg = 'C';
        return n;
    }
    if (n->agg && px_accept(p, "DISTINCT"))
        n->agg_distinct = true;
    else if (n->agg)
        px_accept(p, "ALL"); /* the default */
    if (px_is_kw(p, "SELECT")) {
        fail(p, ER_NOT_SUPPORTED_YET, "subqueries");
        return NULL;
    }
    if (!px_parse_args(p, n))
        return NULL;
    /* COUNT(), SUM(a, b): MySQL's syntax error too; COUNT(DISTINCT a, b) counts pairs */
    if (n->agg && n->nargs != 1 && !(n->agg == 'c' && n->agg_distinct && n->nargs > 1)) {
        px_syntax_error(p);
        return NULL;
    }
    return n;
}

/* Keywords that name a function without parentheses. */
