/* Conversions between the kinds of values of the session layer, as
 * MariaDB makes them: CAST and CONVERT, UNIX_TIMESTAMP(x) and
 * FROM_UNIXTIME, and comparisons where one side is a date. These are what
 * BI tools put around a time column (Grafana's $__timeGroup and
 * $__timeFilter), e.g. over LIST_STAGE's last_modified. */
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "protocol/mysql_packet.h"
#include "server/mysql_errors.h"
#include "server/session.h"
#include "server/session_date.h"
#include "server/session_expr.h"
#include "server/session_time.h"

#define US_PER_SEC   1000000LL
#define US_PER_DAY   (86400LL * US_PER_SEC)
#define MAX_UNIXTIME 2147483647LL /* MariaDB 10.11's TIMESTAMP range ends there */

int ex_session_tz_offset(struct session *s)
{
    const char *tz = session_var_get(s, sysvar_find("time_zone", 9), false);
    int off = 0;
    if (!tz || time_zone_offset(tz, &off) < 0)
        off = 0;
    return off;
}

/* ---- parsing ---- */

static const char *const cast_types[] = {"SIGNED",  "UNSIGNED", "CHAR",  "DATE", "DATETIME",
                                         "DECIMAL", "DOUBLE",   "FLOAT", "TIME"};
static const char *const unsupported_types[] = {"BINARY", "NCHAR", "JSON", NULL};

static bool number_token(struct parser *p, int64_t *out)
{
    const struct sql_token *t = px_cur(p);
    if (t->type != SQL_TK_NUMBER) {
        px_syntax_error(p);
        return false;
    }
    char *text = px_text(p, t);
    errno = 0;
    long long v = text ? strtoll(text, NULL, 10) : 0;
    *out = errno ? INT64_MAX : v;
    p->pos++;
    return text != NULL;
}

/* An optional "(a)" or, with `b`, "(a[, b])". */
static bool parse_length(struct parser *p, int64_t *a, int64_t *b)
{
    if (!px_accept_op(p, "("))
        return true;
    if (!number_token(p, a) || (b && px_accept_op(p, ",") && !number_token(p, b)))
        return false;
    if (!px_accept_op(p, ")")) {
        px_syntax_error(p);
        return false;
    }
    return true;
}

/* DECIMAL(m, d) and DATETIME(n) within MariaDB's limits, with its errors. */
static bool check_precision(struct parser *p, const char *type, int64_t *len, int64_t *scale,
                            const char *what)
{
    if (strcmp(type, "DATETIME") == 0 || strcmp(type, "TIME") == 0) {
        if (*len > 6)
            px_fail(p, ER_TOO_BIG_PRECISION, what, 6);
        *len = *len < 0 ? 0 : *len;
        return *len <= 6;
    }
    if (strcmp(type, "DECIMAL") != 0)
        return true;
    *len = *len < 0 ? 10 : *len == 0 ? 1 : *len;
    *scale = *scale < 0 ? 0 : *scale;
    if (*len > 65)
        px_fail(p, ER_TOO_BIG_PRECISION, what, 65);
    else if (*scale > 38)
        px_fail(p, ER_TOO_BIG_SCALE, what, 38);
    else if (*scale > *len)
        px_fail(p, ER_M_BIGGER_THAN_D, "");
    return *len <= 65 && *scale <= *len && *scale <= 38;
}

/* The type after AS (or CONVERT's comma): its name, and for CHAR(n),
 * DATETIME(n) and DECIMAL(m, d) the numbers; -1 where none is given. */
static const char *parse_cast_type(struct parser *p, int64_t *len, int64_t *scale)
{
    const struct sql_token *t = px_cur(p);
    const char *type = NULL;
    for (size_t i = 0; t->type == SQL_TK_IDENT && i < sizeof(cast_types) / sizeof(*cast_types); i++)
        if (sql_token_is(p->src, t, cast_types[i]))
            type = cast_types[i];
    if (t->type == SQL_TK_IDENT &&
        (sql_token_is(p->src, t, "INTEGER") || sql_token_is(p->src, t, "INT")))
        type = "SIGNED"; /* MariaDB's synonyms */
    if (!type) {
        for (int i = 0; t->type == SQL_TK_IDENT && unsupported_types[i]; i++) {
            if (sql_token_is(p->src, t, unsupported_types[i])) {
                char what[40];
                snprintf(what, sizeof(what), "CAST to %s", unsupported_types[i]);
                px_fail(p, ER_NOT_SUPPORTED_YET, what);
                return NULL;
            }
        }
        if (t->type == SQL_TK_IDENT && !px_is_reserved(p, t)) {
            char *name = px_text(p, t);
            px_fail(p, ER_UNKNOWN_DATA_TYPE, name ? name : "");
        } else {
            px_syntax_error(p);
        }
        return NULL;
    }
    p->pos++;
    *len = *scale = -1;
    if (strcmp(type, "SIGNED") == 0 || strcmp(type, "UNSIGNED") == 0) {
        if (!px_accept(p, "INTEGER"))
            px_accept(p, "INT");
    } else if (strcmp(type, "CHAR") == 0 || strcmp(type, "DATETIME") == 0 ||
               strcmp(type, "TIME") == 0 || strcmp(type, "DECIMAL") == 0) {
        if (!parse_length(p, len, strcmp(type, "DECIMAL") == 0 ? scale : NULL))
            return NULL;
    }
    if (strcmp(type, "CHAR") == 0 &&
        (px_accept(p, "CHARSET") || (px_accept(p, "CHARACTER") && px_accept(p, "SET")))) {
        if (px_cur(p)->type != SQL_TK_IDENT) {
            px_syntax_error(p);
            return NULL;
        }
        p->pos++; /* results are in the session's character set either way */
    }
    return type;
}

struct node *px_parse_cast(struct parser *p, struct node *n, bool convert)
{
    struct node *expr = px_parse_expr(p);
    const char *type = NULL;
    int64_t len = -1, scale = -1;
    if (!expr)
        return NULL;
    if (convert && px_accept(p, "USING")) {
        if (px_cur(p)->type != SQL_TK_IDENT) {
            px_syntax_error(p);
            return NULL;
        }
        p->pos++;
        type = "CHAR";
    } else if (convert ? px_accept_op(p, ",") : px_accept(p, "AS")) {
        type = parse_cast_type(p, &len, &scale);
    } else {
        px_syntax_error(p);
    }
    if (!type)
        return NULL;
    if (!px_accept_op(p, ")")) {
        px_syntax_error(p);
        return NULL;
    }
    const char *what = px_label(p, expr);
    if (!check_precision(p, type, &len, &scale, what ? what : ""))
        return NULL;
    struct node *args[4] = {expr, px_literal(p, v_cstr(type)), px_literal(p, v_int(len)),
                            px_literal(p, v_int(scale))};
    if (!args[1] || !args[2] || !args[3] || !(n->args = arena_alloc(p->a, sizeof(args))))
        return NULL;
    memcpy(n->args, args, sizeof(args));
    n->nargs = 4;
    n->name = "CAST";
    n->name_len = 4;
    return n;
}

/* ---- typing ---- */

static bool is_temporal_type(uint8_t type)
{
    return type == MYSQL_TYPE_DATE || type == MYSQL_TYPE_DATETIME;
}

static const char *cast_type(const struct node *n)
{
    return n->args[1]->lit.s;
}

/* Digits after the point of a number's text, at most 6. */
static int text_decimals(const char *s, size_t len)
{
    const char *dot = memchr(s, '.', len);
    if (!dot)
        return 0;
    size_t n = 0;
    while (dot + 1 + n < s + len && dot[1 + n] >= '0' && dot[1 + n] <= '9')
        n++;
    return n < 6 ? (int)n : 6;
}

/* How many digits of a second's fraction a value of `n` carries, as
 * MariaDB decides it before reading any row: a literal shows them, text
 * from elsewhere may have up to 6. */
static int value_decimals(struct session *s, const struct node *n, const struct vtable_rows *t)
{
    if (n->k == N_LIT) {
        struct date_point d;
        if (n->lit.t == V_STR)
            return date_parse(n->lit.s, n->lit.len, &d) == 0 ? d.frac_digits
                   : strspn(n->lit.s, "0123456789. ") == n->lit.len
                       ? text_decimals(n->lit.s, n->lit.len)
                       : 6;
        int scale = ex_scale(s, n, t); /* a number's digits, -1 with an exponent */
        return scale < 0 || scale > 6 ? 6 : scale;
    }
    struct mysql_column c = ex_column_for(s, n, t);
    switch (c.type) {
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_LONGLONG:
    case MYSQL_TYPE_DATE:
    case MYSQL_TYPE_NULL:
        return 0;
    case MYSQL_TYPE_DATETIME:
    case MYSQL_TYPE_NEWDECIMAL:
        return c.decimals < 6 ? c.decimals : 6;
    default:
        return 6;
    }
}

int64_t ex_char_length(struct session *s, const struct node *n, const struct vtable_rows *t)
{
    if (n->k == N_LIT && n->lit.t == V_STR) {
        int64_t chars = 0;
        for (size_t i = 0; i < n->lit.len; i++)
            chars += ((unsigned char)n->lit.s[i] & 0xC0) != 0x80;
        return chars;
    }
    if (n->k == N_LIT && n->lit.t == V_INT)
        return snprintf(NULL, 0, "%" PRId64, n->lit.i);
    if (n->k == N_LIT && n->lit.t == V_DOUBLE && n->lit.s && !strpbrk(n->lit.s, "eE"))
        return (int64_t)n->lit.len + 1; /* and a sign */
    if (n->k == N_LIT && n->lit.t == V_DOUBLE)
        return 20; /* a double's width */
    if (n->k == N_LIT)
        return 0;
    if (n->k == N_NEG && n->args[0]->k == N_LIT)
        return ex_char_length(s, n->args[0], t);
    return ex_column_for(s, n, t).length;
}

static struct mysql_column cast_column(struct session *s, const struct node *n,
                                       const struct vtable_rows *t)
{
    const char *type = cast_type(n);
    int64_t len = n->args[2]->lit.i, scale = n->args[3]->lit.i;
    struct mysql_column c;
    if (strcmp(type, "SIGNED") == 0 || strcmp(type, "UNSIGNED") == 0) {
        bool sign = type[0] == 'S';
        int64_t chars = ex_char_length(s, n->args[0], t);
        if (!sign && n->args[0]->k != N_LIT) /* what may be negative wraps to 20 digits */
            chars = chars > 20 ? chars : 20;
        chars = chars < (sign ? 2 : 1) ? (sign ? 2 : 1) : chars > 21 ? 21 : chars;
        c = ex_typed(NULL, chars <= 9 ? MYSQL_TYPE_LONG : MYSQL_TYPE_LONGLONG);
        c.length = (uint32_t)chars;
        if (!sign)
            c.flags |= MYSQL_FLAG_UNSIGNED;
    } else if (strcmp(type, "DATE") == 0) {
        c = ex_typed(NULL, MYSQL_TYPE_DATE);
    } else if (strcmp(type, "DATETIME") == 0) {
        c = ex_typed(NULL, MYSQL_TYPE_DATETIME);
        c.decimals = (uint8_t)len;
        c.length = 19 + (len ? (uint32_t)len + 1 : 0);
    } else if (strcmp(type, "TIME") == 0) {
        c = ex_typed(NULL, MYSQL_TYPE_TIME);
        c.decimals = (uint8_t)len;
        c.length = 10 + (len ? (uint32_t)len + 1 : 0);
    } else if (strcmp(type, "DECIMAL") == 0) {
        c = ex_typed(NULL, MYSQL_TYPE_NEWDECIMAL);
        c.decimals = (uint8_t)scale;
        c.length = (uint32_t)(len + (scale > 0) + 1);
    } else if (strcmp(type, "DOUBLE") == 0 || strcmp(type, "FLOAT") == 0) {
        c = ex_typed(NULL, MYSQL_TYPE_DOUBLE);
        c.length = 22;
        if (type[0] == 'F') {
            c.type = MYSQL_TYPE_FLOAT;
            c.length = 12;
        }
    } else {
        c = ex_typed(NULL, MYSQL_TYPE_VAR_STRING);
        if (len >= 0)
            c.length = (uint32_t)(len * 4);
    }
    return c;
}

bool ex_convert_column(struct session *s, const struct node *n, const struct vtable_rows *t,
                       struct mysql_column *out)
{
    if (n->k != N_FUNC || n->agg)
        return false;
    if (ex_fname(n, "CAST")) {
        *out = cast_column(s, n, t);
        return true;
    }
    bool unix_ts = ex_fname(n, "UNIX_TIMESTAMP");
    if (!(unix_ts || ex_fname(n, "FROM_UNIXTIME")) || n->nargs == 0)
        return false;
    int d = value_decimals(s, n->args[0], t);
    if (unix_ts) {
        *out = ex_typed(NULL, d ? MYSQL_TYPE_NEWDECIMAL : MYSQL_TYPE_LONGLONG);
        out->decimals = (uint8_t)d;
        out->length = 17 + (d ? (uint32_t)d + 1 : 0);
    } else if (n->nargs == 2) {
        *out = ex_typed(NULL, MYSQL_TYPE_VAR_STRING);
    } else {
        *out = ex_typed(NULL, MYSQL_TYPE_DATETIME);
        out->decimals = (uint8_t)d;
        out->length = 19 + (d ? (uint32_t)d + 1 : 0);
    }
    return true;
}

/* ---- resolving ---- */

static bool is_comparison(const struct node *n)
{
    return n->k == N_BETWEEN ||
           (n->k == N_BIN && n->op >= OP_EQ && n->op <= OP_GE); /* EQ NSEQ NE LT LE GT GE */
}

bool ex_convert_resolve(struct resolver *rs, struct node *n)
{
    struct session *s = rs->p->s;
    if (is_comparison(n)) {
        for (int i = 0; i < n->nargs; i++)
            if (is_temporal_type(ex_column_for(s, n->args[i], rs->table).type))
                n->temporal = true;
    } else if (n->k == N_FUNC && ex_fname(n, "CAST")) {
        n->temporal = is_temporal_type(ex_column_for(s, n->args[0], rs->table).type);
        bool fraction = strcmp(cast_type(n), "DATETIME") == 0 || strcmp(cast_type(n), "TIME") == 0;
        n->decimals = (int8_t)(fraction ? n->args[2]->lit.i : 0);
    } else if (n->k == N_FUNC && n->nargs > 0 &&
               (ex_fname(n, "UNIX_TIMESTAMP") || ex_fname(n, "FROM_UNIXTIME"))) {
        n->decimals = (int8_t)value_decimals(s, n->args[0], rs->table);
    }
    return true;
}

/* ---- evaluation ---- */

/* A DECIMAL's text, rounded half away from zero to `scale` digits; with
 * `max_int_digits` >= 0, clamped to what that many integer digits hold. */
static struct val decimal_text(struct evaluator *ev, const struct val *v, int scale,
                               int max_int_digits)
{
    char src[400];
    struct val t = ex_to_text(ev, v);
    while (t.len && (*t.s == ' ' || *t.s == '\t'))
        t.s++, t.len--;
    /* the digits as written where there are only digits; else the double's */
    if (t.len && t.len < 80 && strspn(t.s, "+-0123456789.") >= t.len)
        snprintf(src, sizeof(src), "%.*s", (int)t.len, t.s);
    else {
        double d = v_num(v); /* past a double's range: as big as it gets, then clamped */
        d = isnan(d) ? 0 : d > 1e300 ? 1e300 : d < -1e300 ? -1e300 : d;
        snprintf(src, sizeof(src), "%.*f", scale + 6, d);
    }
    bool neg = src[0] == '-';
    const char *digits = src + (neg || src[0] == '+');
    char *dot = strchr(digits, '.');
    size_t int_len = dot ? (size_t)(dot - digits) : strlen(digits);
    /* integer digits then `scale` fraction digits, with a spare leading 0 for the carry */
    char buf[400];
    size_t n = 0;
    buf[n++] = '0';
    for (size_t i = 0; i < int_len && n < sizeof(buf) - 80; i++)
        buf[n++] = digits[i];
    const char *frac = dot ? dot + 1 : "";
    size_t frac_len = strlen(frac);
    for (int i = 0; i < scale; i++)
        buf[n++] = (size_t)i < frac_len ? frac[i] : '0';
    if ((size_t)scale < frac_len && frac[scale] >= '5')
        for (size_t i = n; i-- > 0;) {
            if (buf[i] != '9') {
                buf[i]++;
                break;
            }
            buf[i] = '0';
        }
    size_t whole = n - (size_t)scale, lead = 0;
    while (lead + 1 < whole && buf[lead] == '0')
        lead++;
    if (max_int_digits >= 0 && whole - lead > (size_t)max_int_digits) {
        lead = whole - (size_t)max_int_digits; /* out of range: the largest value it holds */
        memset(buf + lead, '9', n - lead);
        if (max_int_digits == 0)
            buf[--lead] = '0';
    }
    bool zero = true;
    for (size_t i = lead; i < n; i++)
        zero = zero && buf[i] == '0';
    char *out = arena_printf(ev->a, "%s%.*s%s%.*s", neg && !zero ? "-" : "", (int)(whole - lead),
                             buf + lead, scale ? "." : "", scale, buf + whole);
    struct val r = {.t = V_DOUBLE, .s = out, .len = out ? strlen(out) : 0};
    r.d = out ? strtod(out, NULL) : 0;
    return out ? r : v_null();
}

/* A date as the number MariaDB makes of it: YYYYMMDD or YYYYMMDDHHMMSS. */
static int64_t date_number(const struct date_point *d)
{
    char text[40];
    date_format(d, text, sizeof(text));
    int64_t y = strtoll(text, NULL, 10), mo = strtoll(text + 5, NULL, 10),
            day = strtoll(text + 8, NULL, 10), v = (y * 100 + mo) * 100 + day;
    if (!d->has_time)
        return v;
    int64_t secs = d->us / US_PER_SEC;
    return ((v * 100 + secs / 3600) * 100 + secs / 60 % 60) * 100 + secs % 60;
}

/* CAST(x AS SIGNED / UNSIGNED): decimals rounded, text read up to what is
 * not a digit, dates as their numbers; what 64 bits cannot hold clamped. */
static struct val cast_integer(struct evaluator *ev, const struct node *n, const struct val *x)
{
    bool sign = cast_type(n)[0] == 'S';
    struct val t = ex_to_text(ev, x);
    struct date_point d;
    char text[64];
    if (n->temporal && date_parse(t.s, t.len, &d) == 0)
        snprintf(text, sizeof(text), "%" PRId64, date_number(&d));
    else if (x->t == V_DOUBLE && (t = decimal_text(ev, x, 0, -1)).t != V_NULL)
        snprintf(text, sizeof(text), "%.*s", (int)t.len, t.s);
    else
        snprintf(text, sizeof(text), "%.*s", (int)(t.len < 63 ? t.len : 63), t.s);
    const char *at = text + strspn(text, " \t\n");
    errno = 0;
    if (!sign && *at != '-') {
        unsigned long long u = strtoull(at, NULL, 10);
        if (u <= INT64_MAX)
            return v_int((int64_t)u);
        struct val r = {.t = V_DOUBLE, .d = (double)u};
        r.s = arena_printf(ev->a, "%llu", u);
        r.len = r.s ? strlen(r.s) : 0;
        return r.s ? r : v_null();
    }
    long long v = strtoll(at, NULL, 10); /* clamped to the range on overflow */
    if (sign || v >= 0)
        return v_int(v);
    struct val r = {.t = V_DOUBLE, .d = (double)(uint64_t)v};
    r.s = arena_printf(ev->a, "%llu", (unsigned long long)(uint64_t)v);
    r.len = r.s ? strlen(r.s) : 0;
    return r.s ? r : v_null();
}

static struct val formatted_date(struct evaluator *ev, const struct date_point *d)
{
    char out[40];
    date_format(d, out, sizeof(out));
    return v_cstr(arena_strndup(ev->a, out, strlen(out)));
}

/* Keeps `digits` digits of the second's fraction, dropping the rest. */
static void truncate_fraction(struct date_point *d, int digits)
{
    int64_t unit = 1;
    for (int i = digits; i < 6; i++)
        unit *= 10;
    d->us -= d->us % unit;
    d->frac_digits = digits;
}

#define MAX_TIME_US (3020399LL * US_PER_SEC) /* 838:59:59, TIME's bound */

/* "[-]H:MM[:SS][.ffffff]", or a number [-]HHMMSS[.ffffff], as signed
 * microseconds; -EINVAL for anything else. */
static int parse_time_text(const char *s, size_t len, int64_t *us)
{
    char tmp[64];
    if (len == 0 || len >= sizeof(tmp))
        return -EINVAL;
    memcpy(tmp, s, len);
    tmp[len] = 0;
    const char *at = tmp + strspn(tmp, " ");
    bool neg = *at == '-';
    at += neg;
    char *end;
    unsigned long long h = strtoull(at, &end, 10), m = 0, sec = 0;
    if (end == at || *at == '-' || *at == '+')
        return -EINVAL;
    if (*end == ':') {
        m = strtoull(end + 1, &end, 10);
        if (*end == ':')
            sec = strtoull(end + 1, &end, 10);
    } else { /* a number: HHMMSS */
        sec = h % 100, m = h / 100 % 100, h /= 10000;
    }
    if (m > 59 || sec > 59 || h > 100000)
        return -EINVAL;
    int64_t frac = 0;
    if (*end == '.') {
        const char *f = end + 1;
        for (int k = 0; k < 6; k++) { /* six digits, padded with zeros */
            bool digit = *f >= '0' && *f <= '9';
            frac = frac * 10 + (digit ? *f - '0' : 0);
            f += digit;
        }
    }
    int64_t v = ((int64_t)h * 3600 + (int64_t)m * 60 + (int64_t)sec) * US_PER_SEC + frac;
    *us = neg ? -v : v;
    return 0;
}

/* CAST(x AS TIME(n)): a date's time of day, or text or a number read as a
 * time, clamped to +-838:59:59; NULL for what is neither. */
static struct val cast_time(struct evaluator *ev, const struct node *n, const struct val *x)
{
    struct val t = ex_to_text(ev, x);
    struct date_point d;
    int64_t us;
    bool digits_only = strspn(t.s, "0123456789") >= t.len;
    if (!(digits_only && t.len <= 6) && date_parse(t.s, t.len, &d) == 0)
        us = d.us;
    else if (parse_time_text(t.s, t.len, &us) < 0)
        return v_null();
    us = us > MAX_TIME_US ? MAX_TIME_US : us < -MAX_TIME_US ? -MAX_TIME_US : us;
    int64_t a = us < 0 ? -us : us, unit = 1;
    for (int i = n->decimals; i < 6; i++)
        unit *= 10;
    a -= a % unit;
    char frac[24] = "";
    if (n->decimals > 0)
        snprintf(frac, sizeof(frac), ".%06lld", (long long)(a % US_PER_SEC));
    frac[n->decimals > 0 ? n->decimals + 1 : 0] = 0;
    char *out = arena_printf(
        ev->a, "%s%02lld:%02lld:%02lld%s", us < 0 ? "-" : "", (long long)(a / US_PER_SEC / 3600),
        (long long)(a / US_PER_SEC / 60 % 60), (long long)(a / US_PER_SEC % 60), frac);
    return v_cstr(out);
}

/* CAST(x AS DOUBLE / FLOAT): the number, within the type's range. */
static struct val cast_real(struct evaluator *ev, const struct node *n, const struct val *x)
{
    double d = v_num(x);
    d = isnan(d) ? 0 : d > DBL_MAX ? DBL_MAX : d < -DBL_MAX ? -DBL_MAX : d;
    struct val v = {.t = V_DOUBLE, .d = d};
    if (cast_type(n)[0] != 'F')
        return v;
    float f = d > FLT_MAX ? FLT_MAX : d < -FLT_MAX ? -FLT_MAX : (float)d;
    v.d = f;
    v.s = arena_printf(ev->a, "%.6g", v.d); /* a FLOAT shows six digits, as in MariaDB */
    v.len = v.s ? strlen(v.s) : 0;
    return v;
}

static struct val cast_value(struct evaluator *ev, const struct node *n, const struct val *x)
{
    const char *type = cast_type(n);
    if (x->t == V_NULL)
        return v_null();
    if (strcmp(type, "SIGNED") == 0 || strcmp(type, "UNSIGNED") == 0)
        return cast_integer(ev, n, x);
    if (strcmp(type, "TIME") == 0)
        return cast_time(ev, n, x);
    if (strcmp(type, "DOUBLE") == 0 || strcmp(type, "FLOAT") == 0)
        return cast_real(ev, n, x);
    if (strcmp(type, "DECIMAL") == 0)
        return decimal_text(ev, x, (int)n->args[3]->lit.i,
                            (int)(n->args[2]->lit.i - n->args[3]->lit.i));
    struct val t = ex_to_text(ev, x);
    if (strcmp(type, "CHAR") == 0) {
        int64_t keep = n->args[2]->lit.i;
        size_t i = 0;
        for (int64_t chars = 0; keep >= 0 && i < t.len; i++)
            if (((unsigned char)t.s[i] & 0xC0) != 0x80 && chars++ == keep)
                break;
        return keep >= 0 && i < t.len ? v_str(t.s, i) : t;
    }
    struct date_point d;
    if (date_parse(t.s, t.len, &d) < 0)
        return v_null();
    d.has_time = strcmp(type, "DATETIME") == 0;
    if (d.has_time)
        truncate_fraction(&d, n->decimals);
    else
        d.us = 0;
    return formatted_date(ev, &d);
}

/* UNIX_TIMESTAMP(x): seconds since the epoch of x read in the session's
 * time zone, with the fraction digits its type carries; NULL outside
 * 1970 .. 2038-01-19 03:14:07 UTC and for what is not a date. */
static struct val unix_timestamp(struct evaluator *ev, const struct node *n, const struct val *x)
{
    struct date_point d;
    if (x->t == V_NULL)
        return v_null();
    struct val t = ex_to_text(ev, x);
    if (date_parse(t.s, t.len, &d) < 0)
        return v_null();
    int64_t us = d.days * US_PER_DAY + d.us - ex_session_tz_offset(ev->s) * US_PER_SEC;
    if (us < 0 || us / US_PER_SEC > MAX_UNIXTIME)
        return v_null();
    if (n->decimals == 0)
        return v_int(us / US_PER_SEC);
    struct val r = {.t = V_DOUBLE, .d = (double)us / US_PER_SEC};
    char *text = arena_printf(ev->a, "%lld.%06lld", (long long)(us / US_PER_SEC),
                              (long long)(us % US_PER_SEC));
    if (!text)
        return v_null();
    r.len = strlen(text) - (size_t)(6 - n->decimals);
    r.s = text;
    return r;
}

/* FROM_UNIXTIME(n[, format]): the session-time-zone date of n seconds
 * since the epoch; NULL for a negative n or one past 2038. */
static struct val from_unixtime(struct evaluator *ev, const struct node *n, const struct val *args)
{
    if (args[0].t == V_NULL || (n->nargs == 2 && args[1].t == V_NULL))
        return v_null();
    double secs = v_num(&args[0]);
    if (isnan(secs) || secs < 0 || secs >= MAX_UNIXTIME + 1.0)
        return v_null();
    int64_t whole = (int64_t)secs, frac = 0;
    struct val t = ex_to_text(ev, &args[0]);
    const char *dot = args[0].t == V_INT ? NULL : memchr(t.s, '.', t.len);
    if (dot && !memchr(t.s, 'e', t.len) && !memchr(t.s, 'E', t.len)) {
        /* the digits as written, not the double's approximation */
        int k = 0;
        for (const char *c = dot + 1; k < 6; k++, c++)
            frac = frac * 10 + (c < t.s + t.len && *c >= '0' && *c <= '9' ? *c - '0' : 0);
    } else {
        frac = (int64_t)((secs - (double)whole) * US_PER_SEC);
    }
    whole += ex_session_tz_offset(ev->s);
    if (n->nargs == 2) {
        struct val f = ex_to_text(ev, &args[1]);
        char out[256];
        time_format_mysql(whole, false, f.s, f.len, out, sizeof(out));
        return v_cstr(arena_strndup(ev->a, out, strlen(out)));
    }
    int64_t days = whole >= 0 ? whole / 86400 : (whole - 86399) / 86400;
    struct date_point d = {
        .days = days, .us = (whole - days * 86400) * US_PER_SEC + frac, .has_time = true};
    truncate_fraction(&d, n->decimals);
    return formatted_date(ev, &d);
}

bool ex_convert_call(struct evaluator *ev, const struct node *n, struct val *args, struct val *out)
{
    if (ex_fname(n, "CAST"))
        *out = cast_value(ev, n, &args[0]);
    else if (ex_fname(n, "UNIX_TIMESTAMP") && n->nargs == 1)
        *out = unix_timestamp(ev, n, &args[0]);
    else if (ex_fname(n, "FROM_UNIXTIME"))
        *out = from_unixtime(ev, n, args);
    else
        return false;
    return true;
}

int ex_compare_temporal(struct evaluator *ev, const struct val *a, const struct val *b)
{
    struct date_point d[2];
    const struct val *v[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        struct val t = ex_to_text(ev, v[i]);
        if (date_parse(t.s, t.len, &d[i]) < 0)
            d[i] = (struct date_point){.days = INT64_MIN / 4}; /* the zero date: before any */
    }
    if (d[0].days != d[1].days)
        return d[0].days < d[1].days ? -1 : 1;
    return d[0].us < d[1].us ? -1 : d[0].us > d[1].us;
}
