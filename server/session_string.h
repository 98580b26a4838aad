/* MySQL's string slicing (SUBSTRING, LEFT, RIGHT, SUBSTRING_INDEX) on
 * UTF-8 text, counting characters as MySQL does. Each gives its result as
 * a slice of the input: no allocation. */
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

#endif
