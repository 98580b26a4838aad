/* Date arithmetic as MariaDB does it (DATE_ADD, INTERVAL, DATEDIFF), on
 * the text forms the session layer works with. Pure: no I/O, no clock. */
#ifndef SP_SERVER_SESSION_DATE_H
#define SP_SERVER_SESSION_DATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum date_unit {
    DATE_MICROSECOND,
    DATE_SECOND,
    DATE_MINUTE,
    DATE_HOUR,
    DATE_DAY,
    DATE_WEEK,
    DATE_MONTH,
    DATE_QUARTER,
    DATE_YEAR,
};

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1 .. 12). */
int64_t date_days_from_civil(int64_t y, int m, int d);
/* The unit's name as SQL writes it, "MICROSECOND" .. "YEAR". */
const char *date_unit_name(enum date_unit u);
/* The unit named `name` (any case), or -1. */
int date_unit_find(const char *name, size_t len);
/* Whether a DATE plus this unit is still a DATE (DAY and longer). */
bool date_unit_keeps_date(enum date_unit u);

struct date_point {
    int64_t days;    /* since 1970-01-01 */
    int64_t us;      /* into the day, 0 .. 86399999999 */
    bool has_time;   /* written with a time of day, or moved by a shorter unit */
    int frac_digits; /* digits of the second's fraction shown, 0 .. 6 */
};

/* "YYYY-MM-DD" or "YYYY-MM-DD[ T]HH:MM[:SS[.ffffff]]", with anything after
 * it ignored (a time zone such as LIST's " +0000"), or the digits of a
 * number: YYYYMMDD, YYYYMMDDHHMMSS[.ffffff]; -EINVAL otherwise. */
int date_parse(const char *s, size_t len, struct date_point *p);
/* Moves `p` by `amount` units (fractions count for SECOND only, as whole
 * microseconds, and are then shown; others are rounded); -ERANGE when the
 * result leaves years 0000 .. 9999. */
int date_add(struct date_point *p, double amount, enum date_unit u);
/* TIMESTAMPDIFF(unit, a, b): whole units from `a` to `b`, truncated toward
 * zero; a month counts once its day and time of day are reached. */
int64_t date_diff(const struct date_point *a, const struct date_point *b, enum date_unit u);
/* YEAR() .. SECOND(): the fields of `p`; `field` is DATE_YEAR, DATE_MONTH,
 * DATE_DAY, DATE_HOUR, DATE_MINUTE or DATE_SECOND. */
int64_t date_field(const struct date_point *p, enum date_unit field);
/* "YYYY-MM-DD", or with the time and frac_digits of its fraction. */
void date_format(const struct date_point *p, char *out, size_t cap);

#endif
