#include "server/session_string.h"

#include <ctype.h>
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

static bool match_ci(const char *s, const char *needle, size_t nlen)
{
    for (size_t i = 0; i < nlen; i++)
        if (tolower((unsigned char)s[i]) != tolower((unsigned char)needle[i]))
            return false;
    return true;
}

int64_t str_locate(const char *s, size_t len, const char *needle, size_t nlen, int64_t from)
{
    size_t total = char_count(s, len);
    if (from < 1 || (uint64_t)from > total + (nlen > 0 || total == 0))
        return 0; /* MariaDB: LOCATE('', 'abc', 4) is 0, LOCATE('', 'abc') 1 */
    int64_t pos = from;
    for (size_t i = char_offset(s, len, (size_t)from - 1); i + nlen <= len; i++) {
        if (((unsigned char)s[i] & 0xC0) == 0x80)
            continue;
        if (match_ci(s + i, needle, nlen))
            return pos;
        pos++;
    }
    return 0;
}

struct str_slice str_trim(const char *s, size_t len, const char *rem, size_t rlen, bool leading,
                          bool trailing)
{
    size_t from = 0, to = len;
    while (leading && rlen > 0 && to - from >= rlen && memcmp(s + from, rem, rlen) == 0)
        from += rlen;
    while (trailing && rlen > 0 && to - from >= rlen && memcmp(s + to - rlen, rem, rlen) == 0)
        to -= rlen;
    return (struct str_slice){from, to - from};
}

size_t str_replace(const char *s, size_t len, const char *from, size_t flen, const char *to,
                   size_t tlen, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        if (flen > 0 && i + flen <= len && memcmp(s + i, from, flen) == 0) {
            if (out)
                memcpy(out + n, to, tlen);
            n += tlen;
            i += flen;
        } else {
            if (out)
                out[n] = s[i];
            n++;
            i++;
        }
    }
    return n;
}

void str_reverse(const char *s, size_t len, char *out)
{
    size_t end = len;
    while (end > 0) {
        size_t start = end - 1;
        while (start > 0 && ((unsigned char)s[start] & 0xC0) == 0x80)
            start--; /* back to the character's first byte */
        memcpy(out + (len - end), s + start, end - start);
        end = start;
    }
}

int64_t str_pad(const char *s, size_t len, int64_t n, const char *pad, size_t plen, bool left,
                char *out)
{
    size_t total = char_count(s, len);
    if (n < 0)
        return -1;
    if ((uint64_t)n <= total) { /* cut to n characters */
        size_t keep = char_offset(s, len, (size_t)n);
        if (out)
            memcpy(out, s, keep);
        return (int64_t)keep;
    }
    size_t need = (size_t)n - total, pchars = char_count(pad, plen);
    if (pchars == 0)
        return -1; /* no pad, or only stray continuation bytes: nothing to repeat */
    size_t whole = need / pchars, part = char_offset(pad, plen, need % pchars);
    if (whole > (SIZE_MAX / 4 - len) / plen)
        return -1; /* more than memory holds; callers cap far below this */
    size_t bytes = whole * plen + part;
    if (out) {
        char *p = out + (left ? 0 : len);
        for (size_t i = 0; i < whole; i++, p += plen)
            memcpy(p, pad, plen);
        memcpy(p, pad, part);
        memcpy(left ? out + bytes : out, s, len);
    }
    return (int64_t)(bytes + len);
}
