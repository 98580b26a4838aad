#include <errno.h>
#include <math.h>
#include <string.h>

#include "server/session_date.h"
#include "test.h"

/* The text of `s` moved by `amount` units, "NULL" when out of range, or
 * "invalid" when `s` is no date: as MariaDB 10.11 answers. */
static const char *moved(const char *s, double amount, enum date_unit u)
{
    static char out[64];
    struct date_point p;
    if (date_parse(s, strlen(s), &p) < 0)
        return "invalid";
    if (date_add(&p, amount, u) < 0)
        return "NULL";
    date_format(&p, out, sizeof(out));
    return out;
}

#define CHECK_MOVED(s, amount, unit, want) CHECK(strcmp(moved((s), (amount), (unit)), (want)) == 0)

int main(void)
{
    /* units and names */
    CHECK(date_unit_find("day", 3) == DATE_DAY);
    CHECK(date_unit_find("MICROSECOND", 11) == DATE_MICROSECOND);
    CHECK(date_unit_find("DAYS", 4) == -1);
    CHECK(date_unit_find("DAY_HOUR", 8) == -1);
    CHECK(strcmp(date_unit_name(DATE_QUARTER), "QUARTER") == 0);
    CHECK(date_unit_keeps_date(DATE_WEEK) && !date_unit_keeps_date(DATE_HOUR));
    CHECK(date_days_from_civil(1970, 1, 1) == 0);
    CHECK(date_days_from_civil(2000, 3, 1) == 11017);
    CHECK(date_days_from_civil(1969, 12, 31) == -1);
    /* a date stays a date for DAY and longer; a time unit gives it a time */
    CHECK_MOVED("2024-01-31", 1, DATE_DAY, "2024-02-01");
    CHECK_MOVED("2024-01-31", 1, DATE_MONTH, "2024-02-29"); /* the last day of the month */
    CHECK_MOVED("2023-01-31", 1, DATE_MONTH, "2023-02-28");
    CHECK_MOVED("2024-02-29", 1, DATE_YEAR, "2025-02-28");
    CHECK_MOVED("2024-05-31", -1, DATE_QUARTER, "2024-02-29");
    CHECK_MOVED("2024-01-01", -1, DATE_MONTH, "2023-12-01");
    CHECK_MOVED("2024-01-01", -13, DATE_MONTH, "2022-12-01");
    CHECK_MOVED("2024-03-10", 2, DATE_WEEK, "2024-03-24");
    CHECK_MOVED("2024-01-01", 1, DATE_HOUR, "2024-01-01 01:00:00");
    CHECK_MOVED("2024-01-01", -1, DATE_SECOND, "2023-12-31 23:59:59");
    CHECK_MOVED("2024-01-01", 1, DATE_MICROSECOND, "2024-01-01 00:00:00.000001");
    /* times carry across days, both ways */
    CHECK_MOVED("2024-12-31 23:30:00", 45, DATE_MINUTE, "2025-01-01 00:15:00");
    CHECK_MOVED("2024-03-01 00:00:00", -1, DATE_MICROSECOND, "2024-02-29 23:59:59.999999");
    CHECK_MOVED("2024-03-01 10:00:00", -36, DATE_HOUR, "2024-02-28 22:00:00");
    CHECK_MOVED("2024-03-01 10:00:00", 1.5, DATE_SECOND, "2024-03-01 10:00:01.5");
    CHECK_MOVED("2024-03-01 10:00:00", -0.25, DATE_SECOND, "2024-03-01 09:59:59.75");
    CHECK_MOVED("2024-03-01 10:00:00", 2, DATE_SECOND, "2024-03-01 10:00:02");
    CHECK_MOVED("2024-03-01 10:00:00", 1000000, DATE_DAY, "4762-01-27 10:00:00");
    /* fractions keep their digits (up to six); a zone after the time is ignored */
    CHECK_MOVED("2026-12-03 18:00:00.123 +0000", 1, DATE_DAY, "2026-12-04 18:00:00.123");
    CHECK_MOVED("2026-12-03T18:00:00", 0, DATE_DAY, "2026-12-03 18:00:00");
    CHECK_MOVED("2024-01-01 10:00:00.1234567", 0, DATE_DAY, "2024-01-01 10:00:00.123456");
    /* out of 0000 .. 9999 is NULL */
    CHECK_MOVED("9999-12-31", 1, DATE_DAY, "NULL");
    CHECK_MOVED("0000-01-01", -1, DATE_DAY, "NULL");
    CHECK_MOVED("9999-12-01", 1, DATE_MONTH, "NULL");
    CHECK_MOVED("2024-01-01", 1e300, DATE_DAY, "NULL");
    CHECK_MOVED("2024-01-01", NAN, DATE_SECOND, "NULL");
    CHECK_MOVED("2024-01-01", -1e12, DATE_YEAR, "NULL");
    CHECK_MOVED("2024-01-01", 1e15, DATE_WEEK, "NULL");
    CHECK_MOVED("2024-01-01", -9e18, DATE_MICROSECOND, "NULL");
    CHECK_MOVED("2024-01-01", 1e9, DATE_SECOND, "2055-09-09 01:46:40");
    CHECK_MOVED("2024-01-01", 95000, DATE_MONTH, "9940-09-01");
    /* not dates */
    CHECK_MOVED("2024-02-30", 1, DATE_DAY, "invalid");
    CHECK_MOVED("2024-1-01", 1, DATE_DAY, "invalid");
    CHECK_MOVED("2024-01-01 24:00:00", 1, DATE_DAY, "invalid");
    CHECK_MOVED("2024-01-01 10:61:00", 1, DATE_DAY, "invalid");
    CHECK_MOVED("dir/file.csv", 1, DATE_DAY, "invalid");
    CHECK_MOVED("", 1, DATE_DAY, "invalid");
    CHECK_MOVED("2024-01-01 x", 1, DATE_DAY, "2024-01-02"); /* a date, then text */
    CHECK_MOVED("2024-03-01", 1.5, DATE_DAY, "2024-03-03"); /* rounded */
    CHECK_MOVED("2024-03-01", 1.4, DATE_DAY, "2024-03-02");
    CHECK_MOVED("2024-01-01 10:00", 1, DATE_HOUR, "2024-01-01 11:00:00"); /* no seconds */
    /* numbers' digits: YYYYMMDD and YYYYMMDDHHMMSS[.ffffff] */
    CHECK_MOVED("20261203", 1, DATE_DAY, "2026-12-04");
    CHECK_MOVED("20261203101112", 0, DATE_DAY, "2026-12-03 10:11:12");
    CHECK_MOVED("20261203101112.25", 0, DATE_DAY, "2026-12-03 10:11:12.25");
    CHECK_MOVED("20261232", 0, DATE_DAY, "invalid");
    CHECK_MOVED("20261203246000", 0, DATE_DAY, "invalid");
    CHECK_MOVED("2026120", 0, DATE_DAY, "invalid");
    CHECK_MOVED("202612031011", 0, DATE_DAY, "invalid");
    CHECK_MOVED("1796333371", 0, DATE_DAY, "invalid"); /* seconds are no date */
    struct date_point p, q;
    CHECK(date_parse("2024-01", 7, &p) == -EINVAL);
    /* TIMESTAMPDIFF: a month is whole once its day and time are reached */
    CHECK(date_parse("2024-01-31 10:00:00", 19, &p) == 0 && date_parse("2024-02-29", 10, &q) == 0);
    CHECK(date_diff(&p, &q, DATE_MONTH) == 0);
    CHECK(date_diff(&q, &p, DATE_MONTH) == 0);
    CHECK(date_diff(&p, &q, DATE_DAY) == 28);
    CHECK(date_diff(&q, &p, DATE_HOUR) == -686);
    CHECK(date_parse("2025-01-31 10:00:00", 19, &q) == 0);
    CHECK(date_diff(&p, &q, DATE_YEAR) == 1 && date_diff(&p, &q, DATE_QUARTER) == 4);
    CHECK(date_diff(&q, &p, DATE_MONTH) == -12);
    CHECK(date_parse("2025-01-31 09:59:59", 19, &q) == 0);
    CHECK(date_diff(&p, &q, DATE_MONTH) == 11 && date_diff(&q, &p, DATE_MONTH) == -11);
    CHECK(date_field(&q, DATE_YEAR) == 2025 && date_field(&q, DATE_DAY) == 31);
    CHECK(date_field(&q, DATE_HOUR) == 9 && date_field(&q, DATE_MINUTE) == 59);
    CHECK(date_field(&q, DATE_SECOND) == 59 && date_field(&q, DATE_MONTH) == 1);
    CHECK(date_parse("2024-01-01 10", 13, &p) == -EINVAL);
    return test_finish("session_date");
}
