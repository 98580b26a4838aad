#include "server/session_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/session_date.h"

int time_zone_offset(const char *tz, int *offset)
{
    if (!strcasecmp(tz, "SYSTEM") || !strcasecmp(tz, "UTC") || !strcasecmp(tz, "GMT") ||
        !strcasecmp(tz, "Etc/UTC") || !strcasecmp(tz, "Z")) {
        *offset = 0;
        return 0;
    }
    unsigned h, m;
    char sign, extra;
    if (sscanf(tz, "%c%2u:%2u%c", &sign, &h, &m, &extra) == 3 && (sign == '+' || sign == '-') &&
        m < 60 && h * 60 + m <= 14 * 60) {
        *offset = (int)(h * 3600 + m * 60) * (sign == '-' ? -1 : 1);
        return 0;
    }
    return -1;
}

int time_parse_datetime(const char *s, size_t len, int64_t *secs)
{
    char tmp[64];
    unsigned y, mo, d, h = 0, mi = 0, sec = 0;
    if (len >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, len);
    tmp[len] = 0;
    int n = sscanf(tmp, "%4u-%2u-%2u %2u:%2u:%2u", &y, &mo, &d, &h, &mi, &sec);
    if (n != 3 && n != 6)
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59)
        return -1;
    *secs = date_days_from_civil(y, (int)mo, (int)d) * 86400 + h * 3600 + mi * 60 + sec;
    return 0;
}

int time_parse_time(const char *s, size_t len, int64_t *secs)
{
    char tmp[64];
    unsigned h, m, sec;
    if (len >= sizeof(tmp) || len == 0)
        return -1;
    memcpy(tmp, s, len);
    tmp[len] = 0;
    int neg = tmp[0] == '-';
    if (sscanf(tmp + neg, "%u:%2u:%2u", &h, &m, &sec) != 3 || m > 59 || sec > 59)
        return -1;
    *secs = ((int64_t)h * 3600 + m * 60 + sec) * (neg ? -1 : 1);
    return 0;
}

static void civil(int64_t secs, struct tm *tm)
{
    time_t t = (time_t)secs;
    gmtime_r(&t, tm);
}

void time_format_datetime(int64_t secs, char *out, size_t cap)
{
    struct tm tm;
    civil(secs, &tm);
    snprintf(out, cap, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void time_format_date(int64_t secs, char *out, size_t cap)
{
    struct tm tm;
    civil(secs, &tm);
    snprintf(out, cap, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

void time_format_time(int64_t secs, char *out, size_t cap)
{
    int64_t a = secs < 0 ? -secs : secs;
    snprintf(out, cap, "%s%02lld:%02lld:%02lld", secs < 0 ? "-" : "", (long long)(a / 3600),
             (long long)(a / 60 % 60), (long long)(a % 60));
}

void time_format_mysql(int64_t secs, bool is_time, const char *fmt, size_t fmt_len, char *out,
                       size_t cap)
{
    static const char *const months[] = {"January",   "February", "March",    "April",
                                         "May",       "June",     "July",     "August",
                                         "September", "October",  "November", "December"};
    static const char *const days[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                       "Thursday", "Friday", "Saturday"};
    struct tm tm;
    int64_t a = secs < 0 ? -secs : secs;
    long long hours = (long long)(a / 3600);
    civil(is_time ? 0 : secs, &tm);
    if (!is_time)
        hours = tm.tm_hour;
    int minutes = is_time ? (int)(a / 60 % 60) : tm.tm_min;
    int seconds = is_time ? (int)(a % 60) : tm.tm_sec;
    size_t n = 0;
    if (is_time && secs < 0 && n + 1 < cap)
        out[n++] = '-';
    for (size_t i = 0; i < fmt_len && n + 1 < cap; i++) {
        char piece[64];
        if (fmt[i] != '%' || i + 1 == fmt_len) {
            out[n++] = fmt[i];
            continue;
        }
        char c = fmt[++i];
        int h12 = (int)(hours % 12 == 0 ? 12 : hours % 12);
        switch (c) {
        case 'Y':
            snprintf(piece, sizeof(piece), "%04d", tm.tm_year + 1900);
            break;
        case 'y':
            snprintf(piece, sizeof(piece), "%02d", (tm.tm_year + 1900) % 100);
            break;
        case 'm':
            snprintf(piece, sizeof(piece), "%02d", tm.tm_mon + 1);
            break;
        case 'c':
            snprintf(piece, sizeof(piece), "%d", tm.tm_mon + 1);
            break;
        case 'M':
            snprintf(piece, sizeof(piece), "%s", months[tm.tm_mon]);
            break;
        case 'b':
            snprintf(piece, sizeof(piece), "%.3s", months[tm.tm_mon]);
            break;
        case 'd':
            snprintf(piece, sizeof(piece), "%02d", tm.tm_mday);
            break;
        case 'e':
            snprintf(piece, sizeof(piece), "%d", tm.tm_mday);
            break;
        case 'j':
            snprintf(piece, sizeof(piece), "%03d", tm.tm_yday + 1);
            break;
        case 'W':
            snprintf(piece, sizeof(piece), "%s", days[tm.tm_wday]);
            break;
        case 'a':
            snprintf(piece, sizeof(piece), "%.3s", days[tm.tm_wday]);
            break;
        case 'H':
            snprintf(piece, sizeof(piece), "%02lld", hours);
            break;
        case 'k':
            snprintf(piece, sizeof(piece), "%lld", hours);
            break;
        case 'h':
        case 'I':
            snprintf(piece, sizeof(piece), "%02d", h12);
            break;
        case 'l':
            snprintf(piece, sizeof(piece), "%d", h12);
            break;
        case 'i':
            snprintf(piece, sizeof(piece), "%02d", minutes);
            break;
        case 's':
        case 'S':
            snprintf(piece, sizeof(piece), "%02d", seconds);
            break;
        case 'f':
            snprintf(piece, sizeof(piece), "000000");
            break;
        case 'p':
            snprintf(piece, sizeof(piece), "%s", hours % 24 < 12 ? "AM" : "PM");
            break;
        case 'T':
            snprintf(piece, sizeof(piece), "%02lld:%02d:%02d", hours, minutes, seconds);
            break;
        case 'r':
            snprintf(piece, sizeof(piece), "%02d:%02d:%02d %s", h12, minutes, seconds,
                     hours % 24 < 12 ? "AM" : "PM");
            break;
        default:
            snprintf(piece, sizeof(piece), "%c", c);
            break;
        }
        for (const char *q = piece; *q && n + 1 < cap; q++)
            out[n++] = *q;
    }
    out[n] = 0;
}

void time_format_datetime_us(int64_t us, char sep, char *out, size_t cap)
{
    struct tm tm;
    civil(us / 1000000, &tm);
    snprintf(out, cap, "%04d-%02d-%02d%c%02d:%02d:%02d.%06d", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, sep, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(us % 1000000));
}
