#include "server/session_date.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define US_PER_DAY 86400000000LL

static const char *const unit_names[] = {"MICROSECOND", "SECOND", "MINUTE",  "HOUR", "DAY",
                                         "WEEK",        "MONTH",  "QUARTER", "YEAR"};
/* the length of each unit in microseconds, up to WEEK */
static const int64_t unit_us[] = {1, 1000000, 60000000, 3600000000LL, US_PER_DAY, 7 * US_PER_DAY};

const char *date_unit_name(enum date_unit u)
{
    return unit_names[u];
}

int date_unit_find(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(unit_names) / sizeof(unit_names[0]); i++)
        if (strlen(unit_names[i]) == len && strncasecmp(unit_names[i], name, len) == 0)
            return (int)i;
    return -1;
}

bool date_unit_keeps_date(enum date_unit u)
{
    return u >= DATE_DAY;
}

int64_t date_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The inverse of date_days_from_civil. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, int m)
{
    static const int len[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : len[m - 1];
}

/* Reads exactly `n` digits at s[*i]. */
static int digits(const char *s, size_t len, size_t *i, int n, int *out)
{
    int v = 0;
    for (int k = 0; k < n; k++, (*i)++) {
        if (*i >= len || s[*i] < '0' || s[*i] > '9')
            return -1;
        v = v * 10 + (s[*i] - '0');
    }
    *out = v;
    return 0;
}

static bool sep(const char *s, size_t len, size_t i, char c)
{
    return i < len && s[i] == c;
}

/* The number of digits from s[i] on. */
static size_t digit_run(const char *s, size_t len, size_t i)
{
    size_t n = 0;
    while (i + n < len && s[i + n] >= '0' && s[i + n] <= '9')
        n++;
    return n;
}

/* The fraction after a '.' at s[i], if any, as microseconds. */
static int64_t parse_fraction(const char *s, size_t len, size_t i, struct date_point *p)
{
    int64_t frac = 0;
    if (!sep(s, len, i, '.'))
        return 0;
    int n = 0;
    for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, n++)
        if (n < 6)
            frac = frac * 10 + (s[i] - '0');
    p->frac_digits = n < 6 ? n : 6;
    for (n = p->frac_digits; n < 6; n++)
        frac *= 10;
    return frac;
}

static int set_point(struct date_point *p, int y, int mo, int d)
{
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return -EINVAL;
    *p = (struct date_point){.days = date_days_from_civil(y, mo, d)};
    return 0;
}

static int set_time(struct date_point *p, int h, int mi, int sec, int64_t frac)
{
    if (h > 23 || mi > 59 || sec > 59)
        return -EINVAL;
    p->us = ((int64_t)h * 3600 + mi * 60 + sec) * 1000000 + frac;
    p->has_time = true;
    return 0;
}

/* YYYYMMDD and YYYYMMDDHHMMSS[.ffffff], as numbers write dates. */
static int parse_compact(const char *s, size_t len, size_t run, struct date_point *p)
{
    size_t i = 0;
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0; /* all digits: `run` counted them */
    digits(s, len, &i, 4, &y);
    digits(s, len, &i, 2, &mo);
    digits(s, len, &i, 2, &d);
    if (set_point(p, y, mo, d) < 0)
        return -EINVAL;
    if (run == 8)
        return 0;
    digits(s, len, &i, 2, &h);
    digits(s, len, &i, 2, &mi);
    digits(s, len, &i, 2, &sec);
    return set_time(p, h, mi, sec, parse_fraction(s, len, i, p));
}

int date_parse(const char *s, size_t len, struct date_point *p)
{
    size_t i = 0, run = digit_run(s, len, 0);
    int y, mo, d, h = 0, mi = 0, sec = 0;
    if (run == 8 || run == 14)
        return parse_compact(s, len, run, p);
    if (digits(s, len, &i, 4, &y) < 0 || !sep(s, len, i++, '-') || digits(s, len, &i, 2, &mo) < 0 ||
        !sep(s, len, i++, '-') || digits(s, len, &i, 2, &d) < 0 || set_point(p, y, mo, d) < 0)
        return -EINVAL;
    if (!(sep(s, len, i, ' ') || sep(s, len, i, 'T')) || i + 1 >= len || s[i + 1] < '0' ||
        s[i + 1] > '9')
        return 0; /* a date alone */
    i++;
    if (digits(s, len, &i, 2, &h) < 0 || !sep(s, len, i++, ':') || digits(s, len, &i, 2, &mi) < 0)
        return -EINVAL;
    if (sep(s, len, i, ':') && (i++, digits(s, len, &i, 2, &sec) < 0)) /* seconds may be left out */
        return -EINVAL;
    return set_time(p, h, mi, sec, parse_fraction(s, len, i, p));
}

static int add_months(struct date_point *p, int64_t months)
{
    int64_t y;
    int m, d;
    civil_from_days(p->days, &y, &m, &d);
    int64_t total = y * 12 + (m - 1) + months;
    y = total >= 0 ? total / 12 : (total - 11) / 12;
    m = (int)(total - y * 12) + 1;
    if (y < 0 || y > 9999)
        return -ERANGE;
    if (d > days_in_month(y, m))
        d = days_in_month(y, m); /* Jan 31 + 1 month: the last of February */
    p->days = date_days_from_civil(y, m, d);
    return 0;
}

int date_add(struct date_point *p, double amount, enum date_unit u)
{
    /* past 10,000 years either way no date is left: no arithmetic to overflow */
    double months = fabs(amount) * (u == DATE_YEAR ? 12 : u == DATE_QUARTER ? 3 : 1);
    if (!isfinite(amount) ||
        (u < DATE_MONTH ? fabs(amount) * (double)unit_us[u] > 4e17 : months > 120000.0))
        return -ERANGE;
    int64_t n = u == DATE_SECOND ? 0 : llround(amount);
    if (u >= DATE_MONTH) {
        int rc = add_months(p, u == DATE_YEAR ? n * 12 : u == DATE_QUARTER ? n * 3 : n);
        if (rc < 0)
            return rc;
    } else {
        if (u < DATE_DAY)
            p->has_time = true;
        int64_t move = u == DATE_SECOND ? llround(amount * 1e6) : n * unit_us[u];
        int digits = u == DATE_MICROSECOND ? 6 : 0;
        for (int64_t rest = move % 1000000; rest != 0 && digits < 6; rest = rest * 10 % 1000000)
            digits++; /* as many as the amount needs: 1.5 SECOND shows one */
        if (digits > p->frac_digits)
            p->frac_digits = digits;
        int64_t days = move / US_PER_DAY, us = p->us + move % US_PER_DAY;
        days += us >= US_PER_DAY ? 1 : us < 0 ? -1 : 0;
        p->us = (us % US_PER_DAY + US_PER_DAY) % US_PER_DAY;
        p->days += days;
    }
    /* 0000-01-01 .. 9999-12-31 */
    if (p->days < date_days_from_civil(0, 1, 1) || p->days > date_days_from_civil(9999, 12, 31))
        return -ERANGE;
    return 0;
}

void date_format(const struct date_point *p, char *out, size_t cap)
{
    int64_t y;
    int m, d;
    civil_from_days(p->days, &y, &m, &d);
    int n = snprintf(out, cap, "%04lld-%02d-%02d", (long long)y, m, d);
    if (!p->has_time || n < 0 || (size_t)n >= cap)
        return;
    int64_t s = p->us / 1000000;
    n += snprintf(out + n, cap - (size_t)n, " %02lld:%02lld:%02lld", (long long)(s / 3600),
                  (long long)(s / 60 % 60), (long long)(s % 60));
    if (p->frac_digits > 0 && (size_t)n < cap) {
        char frac[8];
        snprintf(frac, sizeof(frac), "%06lld", (long long)(p->us % 1000000));
        snprintf(out + n, cap - (size_t)n, ".%.*s", p->frac_digits, frac);
    }
}

int64_t date_diff(const struct date_point *a, const struct date_point *b, enum date_unit u)
{
    if (u < DATE_MONTH) {
        int64_t us = (b->days - a->days) * US_PER_DAY + (b->us - a->us);
        return us / unit_us[u];
    }
    int64_t ya, yb;
    int ma, mb, da, db;
    civil_from_days(a->days, &ya, &ma, &da);
    civil_from_days(b->days, &yb, &mb, &db);
    int64_t months = (yb - ya) * 12 + (mb - ma);
    /* the day of the month and the time decide whether the last one is whole */
    int later = db != da ? (db > da ? 1 : -1) : (b->us > a->us) - (b->us < a->us);
    if (months > 0 && later < 0)
        months--;
    else if (months < 0 && later > 0)
        months++;
    return u == DATE_YEAR ? months / 12 : u == DATE_QUARTER ? months / 3 : months;
}

int64_t date_field(const struct date_point *p, enum date_unit field)
{
    int64_t y;
    int m, d;
    civil_from_days(p->days, &y, &m, &d);
    switch (field) {
    case DATE_YEAR:
        return y;
    case DATE_MONTH:
        return m;
    case DATE_DAY:
        return d;
    case DATE_HOUR:
        return p->us / 3600000000LL;
    case DATE_MINUTE:
        return p->us / 60000000 % 60;
    default:
        return p->us / 1000000 % 60;
    }
}
