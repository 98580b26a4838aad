/* Evaluation, name resolution and result typing (the scalar functions are
 * in session_functions.c). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "protocol/mysql_packet.h"
#include "server/mysql_conn.h"
#include "server/mysql_result.h"
#include "server/process.h"
#include "server/session.h"
#include "server/session_date.h"
#include "server/session_expr.h"

/* ---- evaluation ---- */

bool eval_like(const char *s, size_t slen, const char *pat, size_t plen)
{
    size_t si = 0, pi = 0, star_p = (size_t)-1, star_s = 0;
    while (si < slen) {
        if (pi < plen && pat[pi] == '\\' && pi + 1 < plen) {
            if (tolower((unsigned char)pat[pi + 1]) == tolower((unsigned char)s[si])) {
                pi += 2;
                si++;
                continue;
            }
        } else if (pi < plen && pat[pi] == '%') {
            star_p = ++pi;
            star_s = si;
            continue;
        } else if (pi < plen && (pat[pi] == '_' || tolower((unsigned char)pat[pi]) ==
                                                       tolower((unsigned char)s[si]))) {
            pi++;
            si++;
            continue;
        }
        if (star_p == (size_t)-1)
            return false;
        pi = star_p;
        si = ++star_s;
    }
    while (pi < plen && pat[pi] == '%')
        pi++;
    return pi == plen;
}

struct val ex_eval(struct evaluator *ev, struct node *n, const struct row_ctx *r);

bool ex_is_numeric(const struct val *v)
{
    return v->t == V_INT || v->t == V_DOUBLE;
}

/* -1, 0, 1; strings compare case-insensitively like the *_ci collations. */
int ex_compare(const struct val *a, const struct val *b)
{
    if (ex_is_numeric(a) || ex_is_numeric(b)) {
        double x = v_num(a), y = v_num(b);
        return x < y ? -1 : x > y;
    }
    size_t n = a->len < b->len ? a->len : b->len;
    int c = strncasecmp(a->s, b->s, n);
    if (c)
        return c < 0 ? -1 : 1;
    return a->len < b->len ? -1 : a->len > b->len;
}

struct val ex_to_text(struct evaluator *ev, const struct val *v)
{
    if (v->t == V_INT) {
        char *s = arena_printf(ev->a, "%" PRId64, v->i);
        return v_cstr(s);
    }
    if (v->t == V_DOUBLE) {
        if (v->s)
            return v_str(v->s, v->len);
        /* the shortest text that reads back as the same double, as MariaDB prints them */
        char *s = NULL;
        for (int digits = 15; digits <= 17; digits++)
            if ((s = arena_printf(ev->a, "%.*g", digits, v->d)) && strtod(s, NULL) == v->d)
                break;
        return v_cstr(s);
    }
    return *v;
}

/* An operand of `n` read from its text where that has its digits (a
 * literal, a CAST, UNIX_TIMESTAMP), else from its double: arithmetic and
 * AVG round their text, so what they feed on uses their unrounded value. */
static long double number_of(const struct node *n, const struct val *v)
{
    bool rounded = (n->k == N_BIN && n->op >= OP_ADD) || (n->k == N_FUNC && n->agg == 'a');
    if (v->t == V_INT)
        return (long double)v->i;
    if (!v->s || rounded)
        return v_num(v); /* a V_DOUBLE's double, not its text */
    char tmp[80];
    size_t len = v->len < sizeof(tmp) - 1 ? v->len : sizeof(tmp) - 1;
    memcpy(tmp, v->s, len);
    tmp[len] = 0;
    return strtold(tmp, NULL);
}

/* A DECIMAL of `scale` digits after the point (no "-0"), or a DOUBLE for
 * scale -1; what arithmetic and SUM/AVG give. */
static struct val scaled(struct evaluator *ev, long double z, int scale)
{
    struct val v = {.t = V_DOUBLE, .d = (double)z};
    if (scale < 0 || !isfinite(z))
        return v;
    char *text = arena_printf(ev->a, "%.*Lf", scale, z);
    if (!text)
        return v_null();
    if (text[0] == '-' && strspn(text + 1, "0.") == strlen(text + 1))
        text++;
    v.s = text;
    v.len = strlen(text);
    return v;
}

/* A comparison's: as dates when one side is a date (MariaDB's rule), else
 * as numbers or text. */
static int compare(struct evaluator *ev, const struct node *n, const struct val *a,
                   const struct val *b)
{
    return n->temporal ? ex_compare_temporal(ev, a, b) : ex_compare(a, b);
}

static struct val eval_binop(struct evaluator *ev, struct node *n, const struct row_ctx *r)
{
    struct val a = ex_eval(ev, n->args[0], r);
    if (n->op == OP_AND || n->op == OP_OR) {
        /* three-valued logic, short-circuited */
        if (n->op == OP_AND && a.t != V_NULL && !v_true(&a))
            return v_int(0);
        if (n->op == OP_OR && v_true(&a))
            return v_int(1);
        struct val b = ex_eval(ev, n->args[1], r);
        if (n->op == OP_AND)
            return (a.t == V_NULL || b.t == V_NULL)
                       ? (b.t != V_NULL && !v_true(&b) ? v_int(0) : v_null())
                       : v_int(v_true(&b));
        return v_true(&b) ? v_int(1) : (a.t == V_NULL || b.t == V_NULL) ? v_null() : v_int(0);
    }
    struct val b = ex_eval(ev, n->args[1], r);
    if (n->op == OP_NSEQ) {
        if (a.t == V_NULL || b.t == V_NULL)
            return v_int(a.t == V_NULL && b.t == V_NULL);
        return v_int(compare(ev, n, &a, &b) == 0);
    }
    if (a.t == V_NULL || b.t == V_NULL)
        return v_null();
    if (n->op == OP_XOR)
        return v_int(v_true(&a) != v_true(&b));
    if (n->op >= OP_EQ && n->op <= OP_GE) {
        int c = compare(ev, n, &a, &b);
        return v_int(n->op == OP_EQ   ? c == 0
                     : n->op == OP_NE ? c != 0
                     : n->op == OP_LT ? c < 0
                     : n->op == OP_LE ? c <= 0
                     : n->op == OP_GT ? c > 0
                                      : c >= 0);
    }
    if (a.t == V_INT && b.t == V_INT && n->op != OP_DIV) {
        /* a result that does not fit 64 bits falls through to doubles
         * (MySQL raises 1690 there; never undefined behaviour here) */
        long long out;
        bool min_by_minus_one = a.i == LLONG_MIN && b.i == -1;
        switch (n->op) {
        case OP_ADD:
            if (!__builtin_add_overflow(a.i, b.i, &out))
                return v_int(out);
            break;
        case OP_SUB:
            if (!__builtin_sub_overflow(a.i, b.i, &out))
                return v_int(out);
            break;
        case OP_MUL:
            if (!__builtin_mul_overflow(a.i, b.i, &out))
                return v_int(out);
            break;
        case OP_IDIV:
            if (!b.i)
                return v_null();
            if (!min_by_minus_one)
                return v_int(a.i / b.i);
            break;
        case OP_MOD:
            if (!b.i)
                return v_null();
            return v_int(min_by_minus_one ? 0 : a.i % b.i);
        default:
            break;
        }
    }
    /* DECIMALs from the digits as written, with a long double's 64 bits of
     * mantissa: a DATETIME(6)'s seconds keep their digits through a '/'; a
     * DOUBLE's arithmetic is a double's, as in MariaDB */
    long double x = n->decimals < 0 ? v_num(&a) : number_of(n->args[0], &a),
                y = n->decimals < 0 ? v_num(&b) : number_of(n->args[1], &b), z;
    switch (n->op) {
    case OP_ADD:
        z = x + y;
        break;
    case OP_SUB:
        z = x - y;
        break;
    case OP_MUL:
        z = x * y;
        break;
    case OP_DIV:
        if (y == 0)
            return v_null();
        z = x / y;
        break;
    case OP_IDIV:
        if (y == 0)
            return v_null();
        z = truncl(x / y);
        if (z > -9.2233720368547758e18L && z < 9.2233720368547758e18L)
            return v_int((int64_t)z);
        break; /* out of BIGINT range: stays a double */
    default:
        if (y == 0)
            return v_null();
        z = fmodl(x, y); /* the sign of the dividend, as MySQL's MOD */
        break;
    }
    if (n->decimals < 0)
        z = (double)z;
    return scaled(ev, z, n->decimals);
}

/* A DECIMAL with 4 more decimals than its input, as MariaDB's
 * div_precision_increment gives; NULL over no value. */
static struct val avg_value(struct evaluator *ev, const struct node *n)
{
    if (n->agg_count == 0)
        return v_null();
    return scaled(ev, n->agg_val.d / (double)n->agg_count, n->decimals);
}

static struct val eval_func(struct evaluator *ev, struct node *n, const struct row_ctx *r)
{
    struct val args[32];
    if (n->agg == 'a')
        return avg_value(ev, n);
    if (n->agg == 's' && n->agg_val.t == V_DOUBLE)
        return scaled(ev, n->agg_val.d, n->decimals);
    if (n->agg)
        return n->agg == 'C' || n->agg == 'c' ? v_int(n->agg_count) : n->agg_val;
    /* IF/IFNULL/COALESCE evaluate lazily, the rest eagerly */
    if (ex_fname(n, "IF")) {
        struct val c = ex_eval(ev, n->args[0], r);
        return ex_eval(ev, n->args[v_true(&c) ? 1 : 2], r);
    }
    if (ex_fname(n, "IFNULL") || ex_fname(n, "COALESCE")) {
        for (int i = 0; i < n->nargs; i++) {
            struct val v = ex_eval(ev, n->args[i], r);
            if (v.t != V_NULL)
                return v;
        }
        return v_null();
    }
    for (int i = 0; i < n->nargs; i++)
        args[i] = ex_eval(ev, n->args[i], r);
    return ex_call_function(ev, n, args);
}

static struct val eval_col(struct evaluator *ev, struct node *n, const struct row_ctx *r)
{
    if (!r->cells || n->col < 0)
        return v_null();
    const char *s = r->cells[n->col];
    if (!s)
        return v_null();
    uint8_t t = ev->table->cols[n->col].type;
    if (t == MYSQL_TYPE_LONGLONG || t == MYSQL_TYPE_LONG) {
        errno = 0;
        char *end;
        long long v = strtoll(s, &end, 10);
        if (!errno && !*end)
            return v_int(v);
    }
    return v_cstr(s);
}

struct val ex_eval(struct evaluator *ev, struct node *n, const struct row_ctx *r)
{
    struct val v;
    switch (n->k) {
    case N_LIT:
        return n->lit;
    case N_SYSVAR: {
        const struct sysvar_def *d = sysvar_find(n->name, n->name_len);
        const char *s = session_var_get(ev->s, d, n->global);
        if (s && (d->type == SYSVAR_INT || d->type == SYSVAR_BOOL)) {
            errno = 0;
            char *end;
            long long x = strtoll(s, &end, 10);
            if (!errno && !*end)
                return v_int(x);
        }
        return v_cstr(s);
    }
    case N_USERVAR: {
        bool is_int;
        const char *s = session_user_var_get(ev->s, n->name, n->name_len, &is_int);
        return is_int && s ? v_int(strtoll(s, NULL, 10)) : v_cstr(s);
    }
    case N_COL:
        return eval_col(ev, n, r);
    case N_FUNC:
        return eval_func(ev, n, r);
    case N_NEG:
        v = ex_eval(ev, n->args[0], r);
        if (v.t == V_INT)
            return v_int(-v.i);
        if (v.t == V_NULL)
            return v;
        v.d = -v_num(&v);
        v.t = V_DOUBLE;
        v.s = NULL;
        return v;
    case N_NOT:
        v = ex_eval(ev, n->args[0], r);
        return v.t == V_NULL ? v : v_int(!v_true(&v));
    case N_BIN:
        return eval_binop(ev, n, r);
    case N_ISNULL:
        v = ex_eval(ev, n->args[0], r);
        return v_int((v.t == V_NULL) != n->neg);
    case N_ISBOOL:
        v = ex_eval(ev, n->args[0], r);
        return v_int((v.t != V_NULL && v_true(&v) == n->bool_value) != n->neg);
    case N_LIKE: {
        struct val a = ex_eval(ev, n->args[0], r), b = ex_eval(ev, n->args[1], r);
        if (a.t == V_NULL || b.t == V_NULL)
            return v_null();
        a = ex_to_text(ev, &a);
        b = ex_to_text(ev, &b);
        return v_int(eval_like(a.s, a.len, b.s, b.len) != n->neg);
    }
    case N_IN: {
        struct val a = ex_eval(ev, n->args[0], r);
        bool saw_null = false;
        if (a.t == V_NULL)
            return v_null();
        for (int i = 1; i < n->nargs; i++) {
            struct val b = ex_eval(ev, n->args[i], r);
            if (b.t == V_NULL)
                saw_null = true;
            else if (ex_compare(&a, &b) == 0)
                return v_int(!n->neg);
        }
        return saw_null ? v_null() : v_int(n->neg);
    }
    case N_BETWEEN: {
        struct val a = ex_eval(ev, n->args[0], r), lo = ex_eval(ev, n->args[1], r),
                   hi = ex_eval(ev, n->args[2], r);
        if (a.t == V_NULL || lo.t == V_NULL || hi.t == V_NULL)
            return v_null();
        return v_int((compare(ev, n, &a, &lo) >= 0 && compare(ev, n, &a, &hi) <= 0) != n->neg);
    }
    case N_CASE: {
        struct val subject = n->args[0] ? ex_eval(ev, n->args[0], r) : v_null();
        int pairs_end = n->has_else ? n->nargs - 1 : n->nargs;
        for (int i = 1; i + 1 < pairs_end; i += 2) {
            struct val w = ex_eval(ev, n->args[i], r);
            bool hit = n->args[0]
                           ? (subject.t != V_NULL && w.t != V_NULL && ex_compare(&subject, &w) == 0)
                           : v_true(&w);
            if (hit)
                return ex_eval(ev, n->args[i + 1], r);
        }
        return n->has_else ? ex_eval(ev, n->args[n->nargs - 1], r) : v_null();
    }
    }
    return v_null();
}

/* ---- name resolution and typing ---- */

bool ex_qual_matches(const struct table_ref *ref, const char *q)
{
    return !q || (ref->alias && strcasecmp(ref->alias, q) == 0) ||
           (!ref->alias && strcasecmp(ref->name, q) == 0) || strcasecmp(ref->name, q) == 0;
}

/* Binds column references and checks functions and variables; false after
 * setting p->err. */
bool ex_resolve(struct resolver *rs, struct node *n)
{
    struct parser *p = rs->p;
    if (!n)
        return true;
    switch (n->k) {
    case N_COL: {
        int found = -1;
        if (rs->table && (!rs->ref || ex_qual_matches(rs->ref, n->qual))) {
            for (size_t i = 0; i < rs->table->ncols; i++)
                if (strcasecmp(rs->table->cols[i].name, n->name) == 0)
                    found = (int)i;
        }
        if (found < 0) {
            char what[200];
            snprintf(what, sizeof(what), "%s%s%s", n->qual ? n->qual : "", n->qual ? "." : "",
                     n->name);
            px_fail(p, ER_BAD_FIELD, what, rs->clause);
            return false;
        }
        n->col = found;
        return true;
    }
    case N_SYSVAR: {
        const struct sysvar_def *d = sysvar_find(n->name, n->name_len);
        if (!d) {
            fail(p, ER_UNKNOWN_SYSTEM_VARIABLE, n->name);
            return false;
        }
        if (!n->global && (d->flags & SYSVAR_GLOBAL_ONLY) && n->src_start < n->src_end &&
            memchr(p->src + n->src_start, '.', n->src_end - n->src_start)) {
            /* @@session.x of a global-only variable */
            px_fail(p, ER_INCORRECT_GLOBAL_LOCAL_VAR, d->name, "GLOBAL");
            return false;
        }
        return true;
    }
    case N_FUNC: {
        const struct func_def *f = ex_find_function(n->name);
        if (!f) {
            char what[200];
            snprintf(what, sizeof(what), "function %s()", n->name);
            fail(p, ER_NO_UPSTREAM, what);
            return false;
        }
        if (!n->agg && (n->nargs < f->min_args || n->nargs > f->max_args)) {
            fail(p, ER_WRONG_PARAMCOUNT, f->name);
            return false;
        }
        break;
    }
    default:
        break;
    }
    for (int i = 0; i < n->nargs; i++)
        if (!ex_resolve(rs, n->args[i]))
            return false;
    if ((n->k == N_BIN && n->op >= OP_ADD) || (n->k == N_FUNC && (n->agg == 's' || n->agg == 'a')))
        n->decimals = (int8_t)ex_scale(p->s, n, rs->table);
    return ex_convert_resolve(rs, n);
}

bool ex_contains_agg(const struct node *n)
{
    if (!n)
        return false;
    if (n->k == N_FUNC && n->agg)
        return true;
    for (int i = 0; i < n->nargs; i++)
        if (ex_contains_agg(n->args[i]))
            return true;
    return false;
}

struct mysql_column ex_column_for(struct session *s, const struct node *n,
                                  const struct vtable_rows *t);

/* How MySQL describes non-string results; anything else is a VAR_STRING
 * in the session's collation. */
static const struct {
    uint8_t type;
    uint32_t length;
    uint8_t decimals;
    uint16_t flags;
} binary_types[] = {
    {MYSQL_TYPE_LONGLONG, 21, 0, MYSQL_FLAG_BINARY | MYSQL_FLAG_NUM},
    {MYSQL_TYPE_LONG, 11, 0, MYSQL_FLAG_BINARY | MYSQL_FLAG_NUM},
    {MYSQL_TYPE_DOUBLE, 23, 31, MYSQL_FLAG_BINARY | MYSQL_FLAG_NUM},
    {MYSQL_TYPE_NEWDECIMAL, 23, 31, MYSQL_FLAG_BINARY | MYSQL_FLAG_NUM},
    {MYSQL_TYPE_DATETIME, 19, 0, MYSQL_FLAG_BINARY},
    {MYSQL_TYPE_DATE, 10, 0, MYSQL_FLAG_BINARY},
    {MYSQL_TYPE_TIME, 10, 0, MYSQL_FLAG_BINARY},
    {MYSQL_TYPE_NULL, 0, 0, MYSQL_FLAG_BINARY},
};

struct mysql_column ex_typed(const char *name, uint8_t type)
{
    struct mysql_column c = {.name = name, .type = MYSQL_TYPE_VAR_STRING, .length = 1024};
    for (size_t i = 0; i < sizeof(binary_types) / sizeof(binary_types[0]); i++) {
        if (binary_types[i].type == type) {
            c.type = type;
            c.charset = MYSQL_CHARSET_BINARY;
            c.length = binary_types[i].length;
            c.decimals = binary_types[i].decimals;
            c.flags = binary_types[i].flags;
        }
    }
    return c;
}

/* What comparisons and other truth values are: INT(1), as MariaDB has them. */
static struct mysql_column truth_column(void)
{
    struct mysql_column c = ex_typed(NULL, MYSQL_TYPE_LONG);
    c.length = 1;
    return c;
}

/* DATE_ADD and DATE_SUB: a DATETIME for a DATETIME, a DATE for a DATE
 * moved by days or more (else a DATETIME), and a CHAR for text. */
static struct mysql_column date_arith_column(struct session *s, const struct node *n,
                                             const struct vtable_rows *t)
{
    struct mysql_column c = ex_column_for(s, n->args[0], t);
    int u = date_unit_find(n->args[2]->lit.s, n->args[2]->lit.len);
    if (c.type == MYSQL_TYPE_DATE && u >= 0 && !date_unit_keeps_date((enum date_unit)u))
        return ex_typed(NULL, MYSQL_TYPE_DATETIME);
    if (c.type == MYSQL_TYPE_DATE || c.type == MYSQL_TYPE_DATETIME)
        return ex_typed(NULL, c.type);
    c = ex_typed(NULL, MYSQL_TYPE_VAR_STRING);
    c.type = MYSQL_TYPE_STRING;
    c.length = 29 * 4; /* "YYYY-MM-DD HH:MM:SS.ffffff" and room, in characters of utf8mb4 */
    return c;
}

/* Digits after the point of a decimal literal. */
static int literal_scale(const struct val *v)
{
    const char *dot = memchr(v->s, '.', v->len);
    return dot ? (int)(v->len - (size_t)(dot + 1 - v->s)) : 0;
}

/* A DECIMAL of `scale`, or a DOUBLE for -1. */
static struct mysql_column number_column(int scale)
{
    struct mysql_column c = ex_typed(NULL, scale < 0 ? MYSQL_TYPE_DOUBLE : MYSQL_TYPE_NEWDECIMAL);
    if (scale >= 0) {
        c.decimals = (uint8_t)scale;
        c.length = 23 + (uint32_t)scale;
    }
    return c;
}

static int max_scale(int a, int b)
{
    return a > b ? a : b;
}

int ex_scale(struct session *s, const struct node *n, const struct vtable_rows *t)
{
    if (n->k == N_LIT && n->lit.t == V_DOUBLE)
        return n->lit.s && !strpbrk(n->lit.s, "eE") ? literal_scale(&n->lit) : -1;
    if (n->k == N_LIT)
        return n->lit.t == V_STR ? -1 : 0;
    if (n->k == N_NEG)
        return ex_scale(s, n->args[0], t);
    if (n->k == N_FUNC && (n->agg == 's' || n->agg == 'a' || n->agg == 'n' || n->agg == 'x')) {
        int a = ex_scale(s, n->args[0], t);
        return a < 0 ? -1 : n->agg == 'a' ? (a + 4 < 38 ? a + 4 : 38) : a;
    }
    if (n->k == N_BIN && n->op >= OP_ADD) {
        int a = ex_scale(s, n->args[0], t), b = ex_scale(s, n->args[1], t);
        if (n->op == OP_IDIV)
            return 0;
        if (a < 0 || b < 0)
            return -1;
        int scale = n->op == OP_MUL ? a + b : n->op == OP_DIV ? a + 4 : max_scale(a, b);
        return scale < 38 ? scale : 38;
    }
    struct mysql_column c = ex_column_for(s, n, t);
    if (c.type == MYSQL_TYPE_LONG || c.type == MYSQL_TYPE_LONGLONG)
        return 0;
    return c.type == MYSQL_TYPE_NEWDECIMAL && c.decimals != 31 ? c.decimals : -1;
}

struct mysql_column ex_column_for(struct session *s, const struct node *n,
                                  const struct vtable_rows *t)
{
    switch (n->k) {
    case N_LIT: {
        uint8_t type = n->lit.t == V_INT      ? MYSQL_TYPE_LONGLONG
                       : n->lit.t == V_DOUBLE ? MYSQL_TYPE_NEWDECIMAL
                       : n->lit.t == V_NULL   ? MYSQL_TYPE_NULL
                                              : MYSQL_TYPE_VAR_STRING;
        struct mysql_column c =
            n->lit.t == V_DOUBLE ? number_column(ex_scale(s, n, t)) : ex_typed(NULL, type);
        if (n->lit.t != V_NULL)
            c.flags |= MYSQL_FLAG_NOT_NULL;
        return c;
    }
    case N_SYSVAR: {
        const struct sysvar_def *d = sysvar_find(n->name, n->name_len);
        return ex_typed(NULL,
                        d && d->type != SYSVAR_STR ? MYSQL_TYPE_LONGLONG : MYSQL_TYPE_VAR_STRING);
    }
    case N_USERVAR: {
        bool is_int;
        const char *v = session_user_var_get(s, n->name, n->name_len, &is_int);
        return ex_typed(NULL, v && is_int ? MYSQL_TYPE_LONGLONG : MYSQL_TYPE_VAR_STRING);
    }
    case N_COL: {
        struct mysql_column c = ex_typed(NULL, t->cols[n->col].type);
        c.flags |= t->cols[n->col].flags;
        c.org_name = t->cols[n->col].name;
        return c;
    }
    case N_FUNC: {
        const struct func_def *f = ex_find_function(n->name);
        struct mysql_column converted;
        if (ex_convert_column(s, n, t, &converted))
            return converted;
        if (n->agg == 's' || n->agg == 'a')
            return number_column(ex_scale(s, n, t));
        if (f && f->type) {
            struct mysql_column c = ex_typed(NULL, f->type);
            if (f->type == MYSQL_TYPE_LONGLONG && ex_fname(n, "CONNECTION_ID"))
                c.flags |= MYSQL_FLAG_UNSIGNED | MYSQL_FLAG_NOT_NULL;
            return c;
        }
        if ((ex_fname(n, "DATE_ADD") || ex_fname(n, "DATE_SUB")) && n->nargs == 3)
            return date_arith_column(s, n, t);
        /* IFNULL, COALESCE, IF, MIN, MAX: the type of the first value argument */
        int i = ex_fname(n, "IF") ? 1 : 0;
        return i < n->nargs ? ex_column_for(s, n->args[i], t)
                            : ex_typed(NULL, MYSQL_TYPE_VAR_STRING);
    }
    case N_NEG:
        return ex_column_for(s, n->args[0], t);
    case N_BIN:
        if (n->op >= OP_ADD) {
            struct mysql_column a = ex_column_for(s, n->args[0], t),
                                b = ex_column_for(s, n->args[1], t);
            if (n->op == OP_IDIV) { /* an integer as wide as the dividend's whole part */
                int64_t chars =
                    ex_char_length(s, n->args[0], t) - max_scale(ex_scale(s, n->args[0], t), 0);
                return ex_typed(NULL, chars <= 9 ? MYSQL_TYPE_LONG : MYSQL_TYPE_LONGLONG);
            }
            bool ints = (a.type == MYSQL_TYPE_LONGLONG || a.type == MYSQL_TYPE_LONG) &&
                        (b.type == MYSQL_TYPE_LONGLONG || b.type == MYSQL_TYPE_LONG) &&
                        n->op != OP_DIV;
            return ints ? ex_typed(NULL, MYSQL_TYPE_LONGLONG) : number_column(ex_scale(s, n, t));
        }
        return truth_column();
    case N_CASE:
        return n->nargs > 2 ? ex_column_for(s, n->args[2], t)
                            : ex_typed(NULL, MYSQL_TYPE_VAR_STRING);
    default: /* NOT, IS, LIKE, IN, BETWEEN */
        return truth_column();
    }
}
