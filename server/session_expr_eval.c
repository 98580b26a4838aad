/* Evaluation, functions, name resolution and result typing. */
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
#include "server/session_string.h"
#include "server/session_time.h"

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
        char *s = arena_printf(ev->a, "%.15g", v->d);
        return v_cstr(s);
    }
    return *v;
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
        return v_int(ex_compare(&a, &b) == 0);
    }
    if (a.t == V_NULL || b.t == V_NULL)
        return v_null();
    switch (n->op) {
    case OP_XOR:
        return v_int(v_true(&a) != v_true(&b));
    case OP_EQ:
        return v_int(ex_compare(&a, &b) == 0);
    case OP_NE:
        return v_int(ex_compare(&a, &b) != 0);
    case OP_LT:
        return v_int(ex_compare(&a, &b) < 0);
    case OP_LE:
        return v_int(ex_compare(&a, &b) <= 0);
    case OP_GT:
        return v_int(ex_compare(&a, &b) > 0);
    case OP_GE:
        return v_int(ex_compare(&a, &b) >= 0);
    default:
        break;
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
    double x = v_num(&a), y = v_num(&b), z;
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
        z = trunc(x / y);
        if (z > -9.2233720368547758e18 && z < 9.2233720368547758e18)
            return v_int((int64_t)z);
        break; /* out of BIGINT range: stays a double */
    default:
        if (y == 0)
            return v_null();
        z = fmod(x, y); /* the sign of the dividend, as MySQL's MOD */
        break;
    }
    struct val v = {.t = V_DOUBLE, .d = z};
    return v;
}

static int session_tz_offset(struct evaluator *ev)
{
    const char *tz = session_var_get(ev->s, sysvar_find("time_zone", 9), false);
    int off = 0;
    if (!tz || time_zone_offset(tz, &off) < 0)
        off = 0;
    return off;
}

static struct val datetime_val(struct evaluator *ev, int64_t secs, char kind)
{
    char tmp[40];
    if (kind == 'd')
        time_format_date(secs, tmp, sizeof(tmp));
    else if (kind == 't')
        time_format_time(((secs % 86400) + 86400) % 86400, tmp, sizeof(tmp));
    else
        time_format_datetime(secs, tmp, sizeof(tmp));
    return v_cstr(arena_strndup(ev->a, tmp, strlen(tmp)));
}

static bool fname(const struct node *n, const char *name)
{
    return strcasecmp(n->name, name) == 0;
}

/* DATE_ADD and DATE_SUB (INTERVAL arithmetic), DATEDIFF and DATE; NULL
 * for a NULL or a value that is not a date. */
static struct val fn_date(struct evaluator *ev, struct node *n, struct val *args)
{
    struct date_point a, b;
    for (int i = 0; i < n->nargs; i++)
        if (args[i].t == V_NULL)
            return v_null();
    if (fname(n, "TIMESTAMPDIFF")) { /* (unit, a, b) */
        struct val x = ex_to_text(ev, &args[1]), y = ex_to_text(ev, &args[2]);
        int u = date_unit_find(args[0].s, args[0].len);
        if (u < 0 || date_parse(x.s, x.len, &a) < 0 || date_parse(y.s, y.len, &b) < 0)
            return v_null();
        return v_int(date_diff(&a, &b, (enum date_unit)u));
    }
    struct val x = ex_to_text(ev, &args[0]);
    if (date_parse(x.s, x.len, &a) < 0)
        return v_null();
    if (fname(n, "DATEDIFF")) {
        struct val y = ex_to_text(ev, &args[1]);
        return date_parse(y.s, y.len, &b) < 0 ? v_null() : v_int(a.days - b.days);
    }
    static const struct {
        const char *name;
        enum date_unit field;
    } fields[] = {{"YEAR", DATE_YEAR},      {"MONTH", DATE_MONTH}, {"DAY", DATE_DAY},
                  {"DAYOFMONTH", DATE_DAY}, {"HOUR", DATE_HOUR},   {"MINUTE", DATE_MINUTE},
                  {"SECOND", DATE_SECOND}};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if (fname(n, fields[i].name))
            return v_int(date_field(&a, fields[i].field));
    if (fname(n, "DATE")) {
        a.has_time = false;
    } else {
        double amount = v_num(&args[1]);
        int u = date_unit_find(args[2].s, args[2].len);
        if (u < 0 || date_add(&a, fname(n, "DATE_SUB") ? -amount : amount, (enum date_unit)u) < 0)
            return v_null();
    }
    char out[40];
    date_format(&a, out, sizeof(out));
    return v_cstr(arena_strndup(ev->a, out, strlen(out)));
}

static struct val fn_time(struct evaluator *ev, struct node *n, struct val *args)
{
    int64_t now = (int64_t)time(NULL);
    if (fname(n, "NOW") || fname(n, "CURRENT_TIMESTAMP") || fname(n, "LOCALTIME") ||
        fname(n, "LOCALTIMESTAMP") || fname(n, "SYSDATE"))
        return datetime_val(ev, now + session_tz_offset(ev), 'D');
    if (fname(n, "UTC_TIMESTAMP"))
        return datetime_val(ev, now, 'D');
    if (fname(n, "CURDATE") || fname(n, "CURRENT_DATE"))
        return datetime_val(ev, now + session_tz_offset(ev), 'd');
    if (fname(n, "UTC_DATE"))
        return datetime_val(ev, now, 'd');
    if (fname(n, "CURTIME") || fname(n, "CURRENT_TIME"))
        return datetime_val(ev, now + session_tz_offset(ev), 't');
    if (fname(n, "UTC_TIME"))
        return datetime_val(ev, now, 't');
    if (fname(n, "UNIX_TIMESTAMP"))
        return v_int(now);
    static const char *const dates[] = {
        "DATE_ADD", "DATE_SUB",   "DATEDIFF", "DATE",   "TIMESTAMPDIFF", "YEAR", "MONTH",
        "DAY",      "DAYOFMONTH", "HOUR",     "MINUTE", "SECOND",        NULL};
    for (int i = 0; dates[i]; i++)
        if (fname(n, dates[i]))
            return fn_date(ev, n, args);
    if (fname(n, "TIMEDIFF")) {
        int64_t a, b;
        if (args[0].t == V_NULL || args[1].t == V_NULL)
            return v_null();
        struct val x = ex_to_text(ev, &args[0]), y = ex_to_text(ev, &args[1]);
        if ((time_parse_datetime(x.s, x.len, &a) < 0 && time_parse_time(x.s, x.len, &a) < 0) ||
            (time_parse_datetime(y.s, y.len, &b) < 0 && time_parse_time(y.s, y.len, &b) < 0))
            return v_null();
        char tmp[40];
        time_format_time(a - b, tmp, sizeof(tmp));
        return v_cstr(arena_strndup(ev->a, tmp, strlen(tmp)));
    }
    if (fname(n, "CONVERT_TZ")) {
        int64_t t;
        int from, to;
        struct val x = ex_to_text(ev, &args[0]);
        if (args[0].t == V_NULL || args[1].t == V_NULL || args[2].t == V_NULL ||
            time_parse_datetime(x.s, x.len, &t) < 0)
            return v_null();
        struct val f = ex_to_text(ev, &args[1]), g = ex_to_text(ev, &args[2]);
        char fz[64], tz[64];
        snprintf(fz, sizeof(fz), "%.*s", (int)f.len, f.s);
        snprintf(tz, sizeof(tz), "%.*s", (int)g.len, g.s);
        if (time_zone_offset(fz, &from) < 0 || time_zone_offset(tz, &to) < 0)
            return v_null();
        return datetime_val(ev, t - from + to, 'D');
    }
    /* TIME_FORMAT / DATE_FORMAT */
    int64_t t;
    bool is_time = fname(n, "TIME_FORMAT");
    if (args[0].t == V_NULL || args[1].t == V_NULL)
        return v_null();
    struct val x = ex_to_text(ev, &args[0]), f = ex_to_text(ev, &args[1]);
    if (is_time ? (time_parse_time(x.s, x.len, &t) < 0 && time_parse_datetime(x.s, x.len, &t) < 0)
                : time_parse_datetime(x.s, x.len, &t) < 0)
        return v_null();
    char out[256];
    time_format_mysql(t, is_time, f.s, f.len, out, sizeof(out));
    return v_cstr(arena_strndup(ev->a, out, strlen(out)));
}

static struct val fn_string(struct evaluator *ev, struct node *n, struct val *args)
{
    struct buf b;
    buf_init(&b);
    bool ws = fname(n, "CONCAT_WS");
    for (int i = ws ? 1 : 0; i < n->nargs; i++) {
        if (args[i].t == V_NULL) {
            if (ws)
                continue;
            buf_free(&b);
            return v_null();
        }
        struct val t = ex_to_text(ev, &args[i]);
        if (ws && b.len > 0 && args[0].t != V_NULL)
            buf_append(&b, args[0].s, args[0].len);
        buf_append(&b, t.s, t.len);
    }
    char *s = arena_strndup(ev->a, b.data ? (const char *)b.data : "", b.len);
    size_t len = b.len;
    buf_free(&b);
    return v_str(s, len);
}

static struct val fn_case_conv(struct evaluator *ev, struct node *n, struct val *args)
{
    if (args[0].t == V_NULL)
        return v_null();
    struct val t = ex_to_text(ev, &args[0]);
    char *s = arena_strndup(ev->a, t.s, t.len);
    bool up = fname(n, "UPPER") || fname(n, "UCASE");
    for (size_t i = 0; s && i < t.len; i++)
        s[i] = (char)(up ? toupper((unsigned char)s[i]) : tolower((unsigned char)s[i]));
    return v_str(s, t.len);
}

/* A number as a position or a count: NaN is 0, and what int64_t cannot
 * hold is clamped rather than cast (which C leaves undefined). */
static int64_t clamped_int(const struct val *v)
{
    double d = v_num(v);
    if (isnan(d))
        return 0;
    if (d >= 9223372036854775807.0)
        return INT64_MAX;
    return d <= -9223372036854775808.0 ? INT64_MIN : (int64_t)d;
}

/* The texts of a string function's (up to three) arguments; false when
 * one is NULL, which makes the result NULL. */
static bool texts(struct evaluator *ev, const struct node *n, const struct val *args, struct val *t)
{
    for (int i = 0; i < n->nargs && i < 3; i++) {
        if (args[i].t == V_NULL)
            return false;
        t[i] = ex_to_text(ev, &args[i]);
    }
    return true;
}

/* REPLACE, REVERSE, LPAD, RPAD, REPEAT: text built in the arena; NULL for
 * a NULL argument, or a result longer than max_allowed_packet (MariaDB's
 * rule too). */
static struct val fn_build(struct evaluator *ev, const struct node *n, struct val *args)
{
    struct val t[3];
    if (!texts(ev, n, args, t))
        return v_null();
    bool left = fname(n, "LPAD");
    int64_t len;
    if (fname(n, "REPLACE"))
        len = (int64_t)str_replace(t[0].s, t[0].len, t[1].s, t[1].len, t[2].s, t[2].len, NULL);
    else if (left || fname(n, "RPAD"))
        len = str_pad(t[0].s, t[0].len, clamped_int(&args[1]), t[2].s, t[2].len, left, NULL);
    else if (fname(n, "REPEAT"))
        len = clamped_int(&args[1]) <= 0 ? 0
              : (uint64_t)clamped_int(&args[1]) > (uint64_t)INT64_MAX / (t[0].len + 1)
                  ? INT64_MAX
                  : clamped_int(&args[1]) * (int64_t)t[0].len;
    else
        len = (int64_t)t[0].len; /* REVERSE */
    if (len < 0 || len > ev->s->conn->srv->cfg->max_allowed_packet)
        return v_null();
    char *out = arena_alloc(ev->a, (size_t)len + 1);
    if (!out)
        return v_null();
    if (fname(n, "REPLACE"))
        str_replace(t[0].s, t[0].len, t[1].s, t[1].len, t[2].s, t[2].len, out);
    else if (left || fname(n, "RPAD"))
        str_pad(t[0].s, t[0].len, clamped_int(&args[1]), t[2].s, t[2].len, left, out);
    else if (fname(n, "REPEAT"))
        for (int64_t at = 0; at < len; at += (int64_t)t[0].len)
            memcpy(out + at, t[0].s, t[0].len);
    else
        str_reverse(t[0].s, t[0].len, out);
    out[len] = 0;
    return v_str(out, (size_t)len);
}

/* LOCATE, INSTR; TRIM (as [str, remstr, 0 both | 1 leading | 2 trailing]),
 * LTRIM, RTRIM. */
static struct val fn_find(struct evaluator *ev, const struct node *n, struct val *args)
{
    struct val t[3];
    if (!texts(ev, n, args, t))
        return v_null();
    if (fname(n, "LOCATE"))
        return v_int(str_locate(t[1].s, t[1].len, t[0].s, t[0].len,
                                n->nargs == 3 ? clamped_int(&args[2]) : 1));
    if (fname(n, "INSTR"))
        return v_int(str_locate(t[0].s, t[0].len, t[1].s, t[1].len, 1));
    int64_t mode = fname(n, "TRIM") ? clamped_int(&args[2]) : fname(n, "LTRIM") ? 1 : 2;
    struct str_slice sl = fname(n, "TRIM")
                              ? str_trim(t[0].s, t[0].len, t[1].s, t[1].len, mode != 2, mode != 1)
                              : str_trim(t[0].s, t[0].len, " ", 1, mode == 1, mode == 2);
    char *out = arena_strndup(ev->a, t[0].s + sl.off, sl.len);
    return out ? v_str(out, sl.len) : v_null();
}

/* SUBSTRING, SUBSTR, MID, LEFT, RIGHT, SUBSTRING_INDEX: a slice of the
 * first argument's text; NULL when any argument is. */
static struct val fn_slice(struct evaluator *ev, const struct node *n, struct val *args)
{
    for (int i = 0; i < n->nargs; i++)
        if (args[i].t == V_NULL)
            return v_null();
    struct val t = ex_to_text(ev, &args[0]);
    int64_t k = clamped_int(&args[n->nargs - 1]);
    struct str_slice sl;
    if (fname(n, "LEFT")) {
        sl = str_left(t.s, t.len, k);
    } else if (fname(n, "RIGHT")) {
        sl = str_right(t.s, t.len, k);
    } else if (fname(n, "SUBSTRING_INDEX")) {
        struct val d = ex_to_text(ev, &args[1]);
        sl = str_substring_index(t.s, t.len, d.s, d.len, k);
    } else {
        sl = str_substring(t.s, t.len, clamped_int(&args[1]), n->nargs == 3, k);
    }
    char *out = arena_strndup(ev->a, t.s + sl.off, sl.len);
    return out ? v_str(out, sl.len) : v_null();
}

static const struct func_def functions[] = {
    {"VERSION", 0, 0, MYSQL_TYPE_VAR_STRING},
    {"DATABASE", 0, 0, MYSQL_TYPE_VAR_STRING},
    {"SCHEMA", 0, 0, MYSQL_TYPE_VAR_STRING},
    {"USER", 0, 0, MYSQL_TYPE_VAR_STRING},
    {"SESSION_USER", 0, 0, MYSQL_TYPE_VAR_STRING},
    {"SYSTEM_USER", 0, 0, MYSQL_TYPE_VAR_STRING},
    {"CURRENT_USER", 0, 0, MYSQL_TYPE_VAR_STRING},
    {"CONNECTION_ID", 0, 0, MYSQL_TYPE_LONGLONG},
    {"LAST_INSERT_ID", 0, 1, MYSQL_TYPE_LONGLONG},
    {"ROW_COUNT", 0, 0, MYSQL_TYPE_LONGLONG},
    {"FOUND_ROWS", 0, 0, MYSQL_TYPE_LONGLONG},
    {"NOW", 0, 1, MYSQL_TYPE_DATETIME},
    {"CURRENT_TIMESTAMP", 0, 1, MYSQL_TYPE_DATETIME},
    {"LOCALTIME", 0, 1, MYSQL_TYPE_DATETIME},
    {"LOCALTIMESTAMP", 0, 1, MYSQL_TYPE_DATETIME},
    {"SYSDATE", 0, 1, MYSQL_TYPE_DATETIME},
    {"UTC_TIMESTAMP", 0, 1, MYSQL_TYPE_DATETIME},
    {"CURDATE", 0, 0, MYSQL_TYPE_DATE},
    {"CURRENT_DATE", 0, 0, MYSQL_TYPE_DATE},
    {"UTC_DATE", 0, 0, MYSQL_TYPE_DATE},
    {"CURTIME", 0, 1, MYSQL_TYPE_TIME},
    {"CURRENT_TIME", 0, 1, MYSQL_TYPE_TIME},
    {"UTC_TIME", 0, 1, MYSQL_TYPE_TIME},
    {"UNIX_TIMESTAMP", 0, 0, MYSQL_TYPE_LONGLONG},
    {"TIMEDIFF", 2, 2, MYSQL_TYPE_TIME},
    {"DATE_ADD", 3, 3, 0}, /* date_arith_column */
    {"DATE_SUB", 3, 3, 0},
    {"DATEDIFF", 2, 2, MYSQL_TYPE_LONG},
    {"DATE", 1, 1, MYSQL_TYPE_DATE},
    {"TIMESTAMPDIFF", 3, 3, MYSQL_TYPE_LONGLONG},
    {"YEAR", 1, 1, MYSQL_TYPE_LONG},
    {"MONTH", 1, 1, MYSQL_TYPE_LONG},
    {"DAY", 1, 1, MYSQL_TYPE_LONG},
    {"DAYOFMONTH", 1, 1, MYSQL_TYPE_LONG},
    {"HOUR", 1, 1, MYSQL_TYPE_LONG},
    {"MINUTE", 1, 1, MYSQL_TYPE_LONG},
    {"SECOND", 1, 1, MYSQL_TYPE_LONG},
    {"CONVERT_TZ", 3, 3, MYSQL_TYPE_DATETIME},
    {"TIME_FORMAT", 2, 2, MYSQL_TYPE_VAR_STRING},
    {"DATE_FORMAT", 2, 2, MYSQL_TYPE_VAR_STRING},
    {"CONCAT", 1, 32, MYSQL_TYPE_VAR_STRING},
    {"CONCAT_WS", 2, 32, MYSQL_TYPE_VAR_STRING},
    {"IFNULL", 2, 2, 0},
    {"COALESCE", 1, 32, 0},
    {"NULLIF", 2, 2, 0},
    {"IF", 3, 3, 0},
    {"UPPER", 1, 1, MYSQL_TYPE_VAR_STRING},
    {"LOWER", 1, 1, MYSQL_TYPE_VAR_STRING},
    {"UCASE", 1, 1, MYSQL_TYPE_VAR_STRING},
    {"LCASE", 1, 1, MYSQL_TYPE_VAR_STRING},
    {"LENGTH", 1, 1, MYSQL_TYPE_LONGLONG},
    {"CHAR_LENGTH", 1, 1, MYSQL_TYPE_LONGLONG},
    {"COUNT", 1, 1, MYSQL_TYPE_LONGLONG},
    {"MIN", 1, 1, 0},
    {"MAX", 1, 1, 0},
    {"SUBSTRING", 2, 3, MYSQL_TYPE_VAR_STRING},
    {"SUBSTR", 2, 3, MYSQL_TYPE_VAR_STRING},
    {"MID", 3, 3, MYSQL_TYPE_VAR_STRING},
    {"LEFT", 2, 2, MYSQL_TYPE_VAR_STRING},
    {"RIGHT", 2, 2, MYSQL_TYPE_VAR_STRING},
    {"SUBSTRING_INDEX", 3, 3, MYSQL_TYPE_VAR_STRING},
    {"REPLACE", 3, 3, MYSQL_TYPE_VAR_STRING},
    {"REVERSE", 1, 1, MYSQL_TYPE_VAR_STRING},
    {"LPAD", 3, 3, MYSQL_TYPE_VAR_STRING},
    {"RPAD", 3, 3, MYSQL_TYPE_VAR_STRING},
    {"REPEAT", 2, 2, MYSQL_TYPE_VAR_STRING},
    {"LOCATE", 2, 3, MYSQL_TYPE_LONG}, /* POSITION(a IN b) too */
    {"INSTR", 2, 2, MYSQL_TYPE_LONG},
    {"TRIM", 3, 3, MYSQL_TYPE_VAR_STRING}, /* always three: see parse_trim */
    {"LTRIM", 1, 1, MYSQL_TYPE_VAR_STRING},
    {"RTRIM", 1, 1, MYSQL_TYPE_VAR_STRING},
    {"SUM", 1, 1, MYSQL_TYPE_NEWDECIMAL},
    {"AVG", 1, 1, MYSQL_TYPE_NEWDECIMAL},
};

const struct func_def *ex_find_function(const char *name)
{
    for (size_t i = 0; i < sizeof(functions) / sizeof(functions[0]); i++)
        if (strcasecmp(functions[i].name, name) == 0)
            return &functions[i];
    return NULL;
}

/* A DECIMAL with 4 more decimals than its input, as MariaDB's
 * div_precision_increment gives; NULL over no value. */
static struct val avg_value(struct evaluator *ev, const struct node *n)
{
    if (n->agg_count == 0)
        return v_null();
    struct val v = {.t = V_DOUBLE, .d = n->agg_val.d / (double)n->agg_count};
    v.s = arena_printf(ev->a, "%.4f", v.d);
    v.len = v.s ? strlen(v.s) : 0;
    return v.s ? v : v_null();
}

static struct val eval_func(struct evaluator *ev, struct node *n, const struct row_ctx *r)
{
    struct session *s = ev->s;
    struct val args[32];
    if (n->agg == 'a')
        return avg_value(ev, n);
    if (n->agg)
        return n->agg == 'C' || n->agg == 'c' ? v_int(n->agg_count) : n->agg_val;
    /* IF/IFNULL/COALESCE evaluate lazily, the rest eagerly */
    if (fname(n, "IF")) {
        struct val c = ex_eval(ev, n->args[0], r);
        return ex_eval(ev, n->args[v_true(&c) ? 1 : 2], r);
    }
    if (fname(n, "IFNULL") || fname(n, "COALESCE")) {
        for (int i = 0; i < n->nargs; i++) {
            struct val v = ex_eval(ev, n->args[i], r);
            if (v.t != V_NULL)
                return v;
        }
        return v_null();
    }
    for (int i = 0; i < n->nargs; i++)
        args[i] = ex_eval(ev, n->args[i], r);
    if (fname(n, "NULLIF"))
        return args[0].t != V_NULL && args[1].t != V_NULL && ex_compare(&args[0], &args[1]) == 0
                   ? v_null()
                   : args[0];
    if (fname(n, "VERSION"))
        return v_cstr(s->conn->srv->server_version);
    if (fname(n, "DATABASE") || fname(n, "SCHEMA"))
        return v_cstr(s->database);
    if (fname(n, "USER") || fname(n, "SESSION_USER") || fname(n, "SYSTEM_USER"))
        return v_cstr(arena_printf(ev->a, "%s@%s", s->user, s->conn->peer_ip));
    if (fname(n, "CURRENT_USER"))
        return v_cstr(arena_printf(ev->a, "%s@%%", s->user));
    if (fname(n, "CONNECTION_ID"))
        return v_int(s->conn->id);
    if (fname(n, "LAST_INSERT_ID"))
        return n->nargs ? args[0] : v_int(0);
    if (fname(n, "ROW_COUNT"))
        return v_int(-1);
    if (fname(n, "FOUND_ROWS"))
        return v_int(0);
    if (fname(n, "CONCAT") || fname(n, "CONCAT_WS"))
        return fn_string(ev, n, args);
    if (fname(n, "UPPER") || fname(n, "LOWER") || fname(n, "UCASE") || fname(n, "LCASE"))
        return fn_case_conv(ev, n, args);
    if (fname(n, "SUBSTRING") || fname(n, "SUBSTR") || fname(n, "MID") || fname(n, "LEFT") ||
        fname(n, "RIGHT") || fname(n, "SUBSTRING_INDEX"))
        return fn_slice(ev, n, args);
    if (fname(n, "REPLACE") || fname(n, "REVERSE") || fname(n, "LPAD") || fname(n, "RPAD") ||
        fname(n, "REPEAT"))
        return fn_build(ev, n, args);
    if (fname(n, "LOCATE") || fname(n, "INSTR") || fname(n, "TRIM") || fname(n, "LTRIM") ||
        fname(n, "RTRIM"))
        return fn_find(ev, n, args);
    if (fname(n, "LENGTH") || fname(n, "CHAR_LENGTH")) {
        if (args[0].t == V_NULL)
            return v_null();
        struct val t = ex_to_text(ev, &args[0]);
        size_t chars = 0;
        for (size_t i = 0; i < t.len; i++)
            chars += ((unsigned char)t.s[i] & 0xC0) != 0x80;
        return v_int((int64_t)(fname(n, "LENGTH") ? t.len : chars));
    }
    return fn_time(ev, n, args);
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
        return v_int((ex_compare(&a, &lo) >= 0 && ex_compare(&a, &hi) <= 0) != n->neg);
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
    return true;
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

struct mysql_column ex_column_for(struct session *s, const struct node *n,
                                  const struct vtable_rows *t)
{
    switch (n->k) {
    case N_LIT: {
        uint8_t type = n->lit.t == V_INT      ? MYSQL_TYPE_LONGLONG
                       : n->lit.t == V_DOUBLE ? MYSQL_TYPE_NEWDECIMAL
                       : n->lit.t == V_NULL   ? MYSQL_TYPE_NULL
                                              : MYSQL_TYPE_VAR_STRING;
        struct mysql_column c = ex_typed(NULL, type);
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
        if (f && f->type) {
            struct mysql_column c = ex_typed(NULL, f->type);
            if (n->agg == 'a')
                c.decimals = 4;
            if (f->type == MYSQL_TYPE_LONGLONG && fname(n, "CONNECTION_ID"))
                c.flags |= MYSQL_FLAG_UNSIGNED | MYSQL_FLAG_NOT_NULL;
            return c;
        }
        if ((fname(n, "DATE_ADD") || fname(n, "DATE_SUB")) && n->nargs == 3)
            return date_arith_column(s, n, t);
        /* IFNULL, COALESCE, IF, MIN, MAX: the type of the first value argument */
        int i = fname(n, "IF") ? 1 : 0;
        return i < n->nargs ? ex_column_for(s, n->args[i], t)
                            : ex_typed(NULL, MYSQL_TYPE_VAR_STRING);
    }
    case N_NEG:
        return ex_column_for(s, n->args[0], t);
    case N_BIN:
        if (n->op >= OP_ADD) {
            struct mysql_column a = ex_column_for(s, n->args[0], t),
                                b = ex_column_for(s, n->args[1], t);
            bool ints = (a.type == MYSQL_TYPE_LONGLONG || a.type == MYSQL_TYPE_LONG) &&
                        (b.type == MYSQL_TYPE_LONGLONG || b.type == MYSQL_TYPE_LONG) &&
                        n->op != OP_DIV;
            return ex_typed(NULL, ints ? MYSQL_TYPE_LONGLONG : MYSQL_TYPE_NEWDECIMAL);
        }
        return truth_column();
    case N_CASE:
        return n->nargs > 2 ? ex_column_for(s, n->args[2], t)
                            : ex_typed(NULL, MYSQL_TYPE_VAR_STRING);
    default: /* NOT, IS, LIKE, IN, BETWEEN */
        return truth_column();
    }
}
