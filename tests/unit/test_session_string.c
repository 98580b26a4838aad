#include <stdint.h>
#include <string.h>

#include "server/session_string.h"
#include "test.h"

/* The slice as text, for comparing with what MariaDB answers. */
static const char *cut(const char *s, struct str_slice sl)
{
    static char out[256];
    memcpy(out, s + sl.off, sl.len);
    out[sl.len] = 0;
    return out;
}

#define CHECK_CUT(s, call, want) CHECK(strcmp(cut((s), (call)), (want)) == 0)

int main(void)
{
    const char *s = "dir/sub/file.tar.gz";
    size_t n = strlen(s);
    /* SUBSTRING: from 1, negative from the end, 0 and past the end empty */
    CHECK_CUT(s, str_substring(s, n, 1, false, 0), s);
    CHECK_CUT(s, str_substring(s, n, 5, false, 0), "sub/file.tar.gz");
    CHECK_CUT(s, str_substring(s, n, 5, true, 3), "sub");
    CHECK_CUT(s, str_substring(s, n, -6, true, 3), "tar");
    CHECK_CUT(s, str_substring(s, n, -2, false, 0), "gz");
    CHECK_CUT(s, str_substring(s, n, 0, false, 0), "");
    CHECK_CUT(s, str_substring(s, n, 20, false, 0), "");
    CHECK_CUT(s, str_substring(s, n, -20, false, 0), "");
    CHECK_CUT(s, str_substring(s, n, 19, true, 100), "z");
    CHECK_CUT(s, str_substring(s, n, 2, true, 0), "");
    CHECK_CUT(s, str_substring(s, n, 2, true, -1), "");
    CHECK_CUT(s, str_substring(s, n, INT64_MIN, true, 1), "");
    CHECK_CUT(s, str_substring(s, n, 1, true, INT64_MAX), s);
    /* LEFT and RIGHT */
    CHECK_CUT(s, str_left(s, n, 3), "dir");
    CHECK_CUT(s, str_left(s, n, 0), "");
    CHECK_CUT(s, str_left(s, n, -1), "");
    CHECK_CUT(s, str_left(s, n, 99), s);
    CHECK_CUT(s, str_right(s, n, 2), "gz");
    CHECK_CUT(s, str_right(s, n, 99), s);
    CHECK_CUT(s, str_right(s, n, 0), "");
    /* characters, not bytes: "é" is two bytes */
    const char *u = "d\xc3\xa9j\xc3\xa0/x";
    size_t un = strlen(u);
    CHECK_CUT(u, str_left(u, un, 2), "d\xc3\xa9");
    CHECK_CUT(u, str_substring(u, un, 2, true, 3), "\xc3\xa9j\xc3\xa0");
    CHECK_CUT(u, str_right(u, un, 3), "\xc3\xa0/x");
    CHECK_CUT(u, str_substring(u, un, -3, true, 1), "\xc3\xa0");
    /* SUBSTRING_INDEX */
    CHECK_CUT(s, str_substring_index(s, n, "/", 1, 1), "dir");
    CHECK_CUT(s, str_substring_index(s, n, "/", 1, 2), "dir/sub");
    CHECK_CUT(s, str_substring_index(s, n, "/", 1, 3), s);
    CHECK_CUT(s, str_substring_index(s, n, "/", 1, -1), "file.tar.gz");
    CHECK_CUT(s, str_substring_index(s, n, ".", 1, -1), "gz");
    CHECK_CUT(s, str_substring_index(s, n, ".", 1, -2), "tar.gz");
    CHECK_CUT(s, str_substring_index(s, n, ".", 1, -5), s);
    CHECK_CUT(s, str_substring_index(s, n, "/", 1, 0), "");
    CHECK_CUT(s, str_substring_index(s, n, "", 0, 1), "");
    CHECK_CUT(s, str_substring_index(s, n, "/SUB", 4, 1), s); /* case-sensitive */
    CHECK_CUT(s, str_substring_index(s, n, "/sub", 4, 1), "dir");
    CHECK_CUT("aaaa", str_substring_index("aaaa", 4, "aa", 2, 2), "aa");
    CHECK_CUT("aaaa", str_substring_index("aaaa", 4, "aa", 2, -1), "");
    CHECK_CUT("aaab", str_substring_index("aaab", 4, "aa", 2, -1), "b");
    CHECK_CUT("ab", str_substring_index("ab", 2, "abc", 3, 1), "ab");
    CHECK_CUT("", str_substring_index("", 0, "/", 1, -1), "");
    /* LOCATE / INSTR: character positions, ASCII letters in either case */
    CHECK(str_locate("banana", 6, "A", 1, 3) == 4);
    CHECK(str_locate("banana", 6, "a", 1, 0) == 0);
    CHECK(str_locate("banana", 6, "na", 2, 5) == 5);
    CHECK(str_locate("banana", 6, "x", 1, 1) == 0);
    CHECK(str_locate("\xc3\xa4"
                     "bc",
                     4, "C", 1, 1) == 3);
    CHECK(str_locate("abc", 3, "", 0, 3) == 3);
    CHECK(str_locate("abc", 3, "", 0, 4) == 0);
    CHECK(str_locate("", 0, "", 0, 1) == 1);
    CHECK(str_locate("abc", 3, "abcd", 4, 1) == 0);
    CHECK(str_locate("abc", 3, "c", 1, INT64_MAX) == 0);
    /* TRIM: repetitions of the string, not of its characters */
    CHECK_CUT("xyxyaxy", str_trim("xyxyaxy", 7, "xy", 2, true, false), "axy");
    CHECK_CUT("xyxyaxy", str_trim("xyxyaxy", 7, "xy", 2, false, true), "xyxya");
    CHECK_CUT("xxx", str_trim("xxx", 3, "xx", 2, true, true), "x");
    CHECK_CUT("a", str_trim("a", 1, "", 0, true, true), "a");
    /* REPLACE: non-overlapping, left to right, case-sensitive */
    char out[64];
    size_t n2 = str_replace("aaa", 3, "aa", 2, "b", 1, out);
    CHECK(n2 == 2 && memcmp(out, "ba", 2) == 0);
    CHECK(str_replace("aAa", 3, "a", 1, "xyz", 3, NULL) == 7);
    CHECK(str_replace("abc", 3, "", 0, "x", 1, NULL) == 3);
    /* REVERSE keeps each UTF-8 character whole */
    str_reverse("a\xc3\xa4"
                "b",
                4, out);
    CHECK(memcmp(out,
                 "b\xc3\xa4"
                 "a",
                 4) == 0);
    /* LPAD / RPAD: cut, pad by characters, NULL cases, no overflow */
    CHECK(str_pad("abc", 3, 5, "xy", 2, true, out) == 5 && memcmp(out, "xyabc", 5) == 0);
    CHECK(str_pad("abc", 3, 6, "xy", 2, false, out) == 6 && memcmp(out, "abcxyx", 6) == 0);
    CHECK(str_pad("abc", 3, 2, "xy", 2, true, out) == 2 && memcmp(out, "ab", 2) == 0);
    CHECK(str_pad("a", 1, 3, "\xc3\xb6", 2, false, out) == 5);
    CHECK(str_pad("abc", 3, 5, "", 0, true, NULL) == -1);
    CHECK(str_pad("abc", 3, 5, "\xb0", 1, true, NULL) == -1);
    CHECK(str_pad("abc", 3, -1, "x", 1, true, NULL) == -1);
    CHECK(str_pad("abc", 3, 3, "", 0, true, NULL) == 3);
    CHECK(str_pad("a", 1, INT64_MAX, "xy", 2, true, NULL) == -1);
    return test_finish("session_string");
}
