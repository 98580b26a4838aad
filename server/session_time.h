/* Time zones and date/time text as the session layer needs them. The
 * server reports system_time_zone UTC, so SYSTEM means UTC. */
#ifndef SP_SERVER_SESSION_TIME_H
#define SP_SERVER_SESSION_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Offset in seconds east of UTC for SYSTEM, UTC, GMT, +HH:MM, -HH:MM. */
int time_zone_offset(const char *tz, int *offset);
/* "YYYY-MM-DD HH:MM:SS[.ffffff]" or "YYYY-MM-DD" to seconds since the epoch. */
int time_parse_datetime(const char *s, size_t len, int64_t *secs);
/* "[-]HHH:MM:SS" to seconds. */
int time_parse_time(const char *s, size_t len, int64_t *secs);
void time_format_datetime(int64_t secs, char *out, size_t cap);
/* "YYYY-MM-DD<sep>HH:MM:SS.ffffff" from microseconds since the epoch, UTC. */
void time_format_datetime_us(int64_t us, char sep, char *out, size_t cap);
void time_format_date(int64_t secs, char *out, size_t cap);
void time_format_time(int64_t secs, char *out, size_t cap);
/* MySQL DATE_FORMAT / TIME_FORMAT specifiers. */
void time_format_mysql(int64_t secs, bool is_time, const char *fmt, size_t fmt_len, char *out,
                       size_t cap);

#endif
