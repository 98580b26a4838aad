/* The scalar functions of the session layer: their table (names, argument
 * counts, result types) and their evaluation over arguments already
 * evaluated. Text and date work is in session_string.c and session_date.c. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "server/mysql_conn.h"
#include "server/process.h"
#include "server/session.h"
#include "server/session_date.h"
#include "server/session_expr.h"
#include "server/session_string.h"
#include "server/session_time.h"

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

/* DATE_ADD and DATE_SUB (INTERVAL arithmetic), DATEDIFF and DATE; NULL
 * for a NULL or a value that is not a date. */
static struct val fn_date(struct evaluator *ev, const struct node *n, struct val *args)
{
    struct date_point a, b;
    for (int i = 0; i < n->nargs; i++)
        if (args[i].t == V_NULL)
            return v_null();
    if (ex_fname(n, "TIMESTAMPDIFF")) { /* (unit, a, b) */
        struct val x = ex_to_text(ev, &args[1]), y = ex_to_text(ev, &args[2]);
        int u = date_unit_find(args[0].s, args[0].len);
        if (u < 0 || date_parse(x.s, x.len, &a) < 0 || date_parse(y.s, y.len, &b) < 0)
            return v_null();
        return v_int(date_diff(&a, &b, (enum date_unit)u));
    }
    struct val x = ex_to_text(ev, &args[0]);
    if (date_parse(x.s, x.len, &a) < 0)
        return v_null();
    if (ex_fname(n, "DATEDIFF")) {
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
        if (ex_fname(n, fields[i].name))
            return v_int(date_field(&a, fields[i].field));
    if (ex_fname(n, "DATE")) {
        a.has_time = false;
    } else {
        double amount = v_num(&args[1]);
        int u = date_unit_find(args[2].s, args[2].len);
        if (u < 0 ||
            date_add(&a, ex_fname(n, "DATE_SUB") ? -amount : amount, (enum date_unit)u) < 0)
            return v_null();
    }
    char out[40];
    date_format(&a, out, sizeof(out));
    return v_cstr(arena_strndup(ev->a, out, strlen(out)));
}

static struct val fn_time(struct evaluator *ev, const struct node *n, struct val *args)
{
    int64_t now = (int64_t)time(NULL);
    if (ex_fname(n, "NOW") || ex_fname(n, "CURRENT_TIMESTAMP") || ex_fname(n, "LOCALTIME") ||
        ex_fname(n, "LOCALTIMESTAMP") || ex_fname(n, "SYSDATE"))
        return datetime_val(ev, now + ex_session_tz_offset(ev->s), 'D');
    if (ex_fname(n, "UTC_TIMESTAMP"))
        return datetime_val(ev, now, 'D');
    if (ex_fname(n, "CURDATE") || ex_fname(n, "CURRENT_DATE"))
        return datetime_val(ev, now + ex_session_tz_offset(ev->s), 'd');
    if (ex_fname(n, "UTC_DATE"))
        return datetime_val(ev, now, 'd');
    if (ex_fname(n, "CURTIME") || ex_fname(n, "CURRENT_TIME"))
        return datetime_val(ev, now + ex_session_tz_offset(ev->s), 't');
    if (ex_fname(n, "UTC_TIME"))
        return datetime_val(ev, now, 't');
    if (ex_fname(n, "UNIX_TIMESTAMP"))
        return v_int(now);
    static const char *const dates[] = {
        "DATE_ADD", "DATE_SUB",   "DATEDIFF", "DATE",   "TIMESTAMPDIFF", "YEAR", "MONTH",
        "DAY",      "DAYOFMONTH", "HOUR",     "MINUTE", "SECOND",        NULL};
    for (int i = 0; dates[i]; i++)
        if (ex_fname(n, dates[i]))
            return fn_date(ev, n, args);
    if (ex_fname(n, "TIMEDIFF")) {
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
    if (ex_fname(n, "CONVERT_TZ")) {
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
    bool is_time = ex_fname(n, "TIME_FORMAT");
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

static struct val fn_string(struct evaluator *ev, const struct node *n, struct val *args)
{
    struct buf b;
    buf_init(&b);
    bool ws = ex_fname(n, "CONCAT_WS");
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

static struct val fn_case_conv(struct evaluator *ev, const struct node *n, struct val *args)
{
    if (args[0].t == V_NULL)
        return v_null();
    struct val t = ex_to_text(ev, &args[0]);
    char *s = arena_strndup(ev->a, t.s, t.len);
    bool up = ex_fname(n, "UPPER") || ex_fname(n, "UCASE");
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
    bool left = ex_fname(n, "LPAD");
    int64_t len;
    if (ex_fname(n, "REPLACE"))
        len = (int64_t)str_replace(t[0].s, t[0].len, t[1].s, t[1].len, t[2].s, t[2].len, NULL);
    else if (left || ex_fname(n, "RPAD"))
        len = str_pad(t[0].s, t[0].len, clamped_int(&args[1]), t[2].s, t[2].len, left, NULL);
    else if (ex_fname(n, "REPEAT"))
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
    if (ex_fname(n, "REPLACE"))
        str_replace(t[0].s, t[0].len, t[1].s, t[1].len, t[2].s, t[2].len, out);
    else if (left || ex_fname(n, "RPAD"))
        str_pad(t[0].s, t[0].len, clamped_int(&args[1]), t[2].s, t[2].len, left, out);
    else if (ex_fname(n, "REPEAT"))
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
    if (ex_fname(n, "LOCATE"))
        return v_int(str_locate(t[1].s, t[1].len, t[0].s, t[0].len,
                                n->nargs == 3 ? clamped_int(&args[2]) : 1));
    if (ex_fname(n, "INSTR"))
        return v_int(str_locate(t[0].s, t[0].len, t[1].s, t[1].len, 1));
    int64_t mode = ex_fname(n, "TRIM") ? clamped_int(&args[2]) : ex_fname(n, "LTRIM") ? 1 : 2;
    struct str_slice sl = ex_fname(n, "TRIM")
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
    if (ex_fname(n, "LEFT")) {
        sl = str_left(t.s, t.len, k);
    } else if (ex_fname(n, "RIGHT")) {
        sl = str_right(t.s, t.len, k);
    } else if (ex_fname(n, "SUBSTRING_INDEX")) {
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
    {"UNIX_TIMESTAMP", 0, 1, MYSQL_TYPE_LONGLONG}, /* with an argument: session_convert.c */
    {"FROM_UNIXTIME", 1, 2, MYSQL_TYPE_DATETIME},
    {"CAST", 4, 4, 0}, /* CONVERT too: see px_parse_cast */
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

struct val ex_call_function(struct evaluator *ev, const struct node *n, struct val *args)
{
    struct session *s = ev->s;
    struct val converted;
    if (ex_convert_call(ev, n, args, &converted))
        return converted;
    if (ex_fname(n, "NULLIF"))
        return args[0].t != V_NULL && args[1].t != V_NULL && ex_compare(&args[0], &args[1]) == 0
                   ? v_null()
                   : args[0];
    if (ex_fname(n, "VERSION"))
        return v_cstr(s->conn->srv->server_version);
    if (ex_fname(n, "DATABASE") || ex_fname(n, "SCHEMA"))
        return v_cstr(s->database);
    if (ex_fname(n, "USER") || ex_fname(n, "SESSION_USER") || ex_fname(n, "SYSTEM_USER"))
        return v_cstr(arena_printf(ev->a, "%s@%s", s->user, s->conn->peer_ip));
    if (ex_fname(n, "CURRENT_USER"))
        return v_cstr(arena_printf(ev->a, "%s@%%", s->user));
    if (ex_fname(n, "CONNECTION_ID"))
        return v_int(s->conn->id);
    if (ex_fname(n, "LAST_INSERT_ID"))
        return n->nargs ? args[0] : v_int(0);
    if (ex_fname(n, "ROW_COUNT"))
        return v_int(-1);
    if (ex_fname(n, "FOUND_ROWS"))
        return v_int(0);
    if (ex_fname(n, "CONCAT") || ex_fname(n, "CONCAT_WS"))
        return fn_string(ev, n, args);
    if (ex_fname(n, "UPPER") || ex_fname(n, "LOWER") || ex_fname(n, "UCASE") ||
        ex_fname(n, "LCASE"))
        return fn_case_conv(ev, n, args);
    if (ex_fname(n, "SUBSTRING") || ex_fname(n, "SUBSTR") || ex_fname(n, "MID") ||
        ex_fname(n, "LEFT") || ex_fname(n, "RIGHT") || ex_fname(n, "SUBSTRING_INDEX"))
        return fn_slice(ev, n, args);
    if (ex_fname(n, "REPLACE") || ex_fname(n, "REVERSE") || ex_fname(n, "LPAD") ||
        ex_fname(n, "RPAD") || ex_fname(n, "REPEAT"))
        return fn_build(ev, n, args);
    if (ex_fname(n, "LOCATE") || ex_fname(n, "INSTR") || ex_fname(n, "TRIM") ||
        ex_fname(n, "LTRIM") || ex_fname(n, "RTRIM"))
        return fn_find(ev, n, args);
    if (ex_fname(n, "LENGTH") || ex_fname(n, "CHAR_LENGTH")) {
        if (args[0].t == V_NULL)
            return v_null();
        struct val t = ex_to_text(ev, &args[0]);
        size_t chars = 0;
        for (size_t i = 0; i < t.len; i++)
            chars += ((unsigned char)t.s[i] & 0xC0) != 0x80;
        return v_int((int64_t)(ex_fname(n, "LENGTH") ? t.len : chars));
    }
    return fn_time(ev, n, args);
}
