#include "server/session_string.h"

#include <string.h>

static size_t char_count(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* The byte offset of character `k` (0-based), or `len` past the end. */
static size_t char_offset(const char *s, size_t len, size_t k)
{
    size_t i = 0;
    for (size_t seen = 0; i < len; i++) {
        if (((unsigned char)s[i] & 0xC0) == 0x80)
            continue;
        if (seen++ == k)
            return i;
    }
    return len;
}

/* Characters [first, first + n) as bytes, clipped to the text. */
static struct str_slice chars(const char *s, size_t len, size_t first, size_t n)
{
    size_t from = char_offset(s, len, first);
    size_t total = char_count(s, len);
    size_t to = n >= total - (first < total ? first : total) ? len : char_offset(s, len, first + n);
    return (struct str_slice){from, to - from};
}

struct str_slice str_substring(const char *s, size_t len, int64_t pos, bool has_n, int64_t n)
{
    struct str_slice none = {0, 0};
    size_t total = char_count(s, len);
    if (pos == 0 || (has_n && n <= 0))
        return none;
    uint64_t mag = pos < 0 ? (uint64_t)0 - (uint64_t)pos : (uint64_t)pos;
    if (mag > total)
        return none;
    size_t first = pos > 0 ? (size_t)mag - 1 : total - (size_t)mag;
    return chars(s, len, first,
                 has_n ? (size_t)((uint64_t)n > total ? total : (uint64_t)n) : total);
}

struct str_slice str_left(const char *s, size_t len, int64_t n)
{
    return n <= 0 ? (struct str_slice){0, 0} : str_substring(s, len, 1, true, n);
}

struct str_slice str_right(const char *s, size_t len, int64_t n)
{
    size_t total = char_count(s, len);
    if (n <= 0)
        return (struct str_slice){0, 0};
    size_t k = (uint64_t)n > total ? total : (size_t)n;
    return chars(s, len, total - k, k);
}

struct str_slice str_substring_index(const char *s, size_t len, const char *delim, size_t dlen,
                                     int64_t count)
{
    if (count == 0 || dlen == 0 || dlen > len)
        return (struct str_slice){0, count == 0 || dlen == 0 ? 0 : len};
    if (count > 0) {
        for (size_t i = 0; i + dlen <= len; i++) {
            if (memcmp(s + i, delim, dlen) != 0)
                continue;
            if (--count == 0)
                return (struct str_slice){0, i};
            i += dlen - 1; /* occurrences do not overlap */
        }
        return (struct str_slice){0, len};
    }
    for (size_t end = len; end >= dlen; end--) {
        if (memcmp(s + end - dlen, delim, dlen) != 0)
            continue;
        if (++count == 0)
            return (struct str_slice){end, len - end};
        end -= dlen - 1;
    }
    return (struct str_slice){0, len};
}
