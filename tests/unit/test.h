/* A minimal unit-test harness: CHECK records a failure and goes on, the
 * process exits non-zero if anything failed. */
#ifndef SP_TEST_H
#define SP_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failures;
static int test_checks;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        test_checks++;                                                               \
        if (!(cond)) {                                                               \
            test_failures++;                                                         \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                            \
    } while (0)

#define CHECK_EQ(a, b)                                                                    \
    do {                                                                                  \
        long long a_ = (long long)(a), b_ = (long long)(b);                               \
        test_checks++;                                                                    \
        if (a_ != b_) {                                                                   \
            test_failures++;                                                              \
            fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %lld, %s == %lld\n", __FILE__, \
                    __LINE__, #a, a_, #b, b_);                                            \
        }                                                                                 \
    } while (0)

#define CHECK_MEM(p, q, n)                                                                      \
    do {                                                                                        \
        test_checks++;                                                                          \
        if (memcmp((p), (q), (n)) != 0) {                                                       \
            test_failures++;                                                                    \
            fprintf(stderr, "%s:%d: CHECK_MEM failed: %s vs %s\n", __FILE__, __LINE__, #p, #q); \
        }                                                                                       \
    } while (0)

#define CHECK_STR(a, b)                                                                        \
    do {                                                                                       \
        const char *a_ = (a), *b_ = (b);                                                       \
        test_checks++;                                                                         \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                               \
            test_failures++;                                                                   \
            fprintf(stderr, "%s:%d: CHECK_STR failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__, \
                    a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                   \
        }                                                                                      \
    } while (0)

static inline int test_finish(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, test_checks, test_failures);
    return test_failures ? 1 : 0;
}

/* Parses "0a 38 2e" style hex into bytes; returns the count. */
static inline size_t test_hex(const char *hex, unsigned char *out, size_t cap)
{
    size_t n = 0;
    while (*hex && n < cap) {
        while (*hex == ' ' || *hex == '\n')
            hex++;
        if (!hex[0] || !hex[1])
            break;
        char byte[3] = {hex[0], hex[1], 0};
        out[n++] = (unsigned char)strtoul(byte, NULL, 16);
        hex += 2;
    }
    return n;
}

#endif
