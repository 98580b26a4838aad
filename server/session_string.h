/* MySQL's string functions on UTF-8 text, counting characters as MySQL
 * does. Slices (SUBSTRING, LEFT, RIGHT, SUBSTRING_INDEX, TRIM) point into
 * the input; functions that build text (REPLACE, REVERSE, LPAD, RPAD) give
 * its length first and write it to a caller's buffer: no allocation. */
#ifndef SP_SERVER_SESSION_STRING_H
#define SP_SERVER_SESSION_STRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct str_slice {
    size_t off, len;
};

/* SUBSTRING(s, pos[, n]): pos counts from 1, or from the end when negative;
 * 0 or past the end gives ''. Without `has_n`, to the end. */
struct str_slice str_substring(const char *s, size_t len, int64_t pos, bool has_n, int64_t n);
struct str_slice str_left(const char *s, size_t len, int64_t n);
struct str_slice str_right(const char *s, size_t len, int64_t n);
/* SUBSTRING_INDEX(s, delim, count): what precedes the count-th delimiter
 * from the left, or follows the -count-th from the right; the delimiter
 * matches case-sensitively. */
struct str_slice str_substring_index(const char *s, size_t len, const char *delim, size_t dlen,
                                     int64_t count);

/* LOCATE(needle, s, from), INSTR, POSITION: the character position (from
 * 1) of the first match at or after character `from`, ASCII letters
 * matching either case as in a _ci collation; 0 for none. */
int64_t str_locate(const char *s, size_t len, const char *needle, size_t nlen, int64_t from);
/* TRIM: `s` without the repetitions of `rem` at its start and/or end. */
struct str_slice str_trim(const char *s, size_t len, const char *rem, size_t rlen, bool leading,
                          bool trailing);
/* REPLACE(s, from, to), case-sensitive: the result's length, written to
 * `out` unless NULL. */
size_t str_replace(const char *s, size_t len, const char *from, size_t flen, const char *to,
                   size_t tlen, char *out);
/* REVERSE: the characters of `s` backwards, `len` bytes to `out`. */
void str_reverse(const char *s, size_t len, char *out);
/* LPAD / RPAD(s, n, pad): the result's length (written to `out` unless
 * NULL), or -1 for SQL's NULL (n < 0, or padding needed and `pad` empty). */
int64_t str_pad(const char *s, size_t len, int64_t n, const char *pad, size_t plen, bool left,
                char *out);

#endif
