/* The multipart parser: events must not depend on how the body is split. */
#include <errno.h>

#include "protocol/multipart.h"
#include "test.h"

struct transcript {
    char text[1 << 16];
    size_t len;
    int stop_after_parts; /* part_begin returns 7 at this part */
    int parts;
};

static void put(struct transcript *t, const char *s, size_t n)
{
    if (t->len + n < sizeof(t->text)) {
        memcpy(t->text + t->len, s, n);
        t->len += n;
        t->text[t->len] = 0;
    }
}

static int on_begin(void *arg, const struct multipart_part *part)
{
    struct transcript *t = arg;
    char head[2048];
    int n = snprintf(head, sizeof(head), "<%s|%s%s|%s>", part->name, part->has_filename ? "" : "-",
                     part->filename, part->content_type);
    put(t, head, (size_t)n);
    if (++t->parts == t->stop_after_parts)
        return 7;
    return 0;
}

static int on_data(void *arg, const char *data, size_t len)
{
    CHECK(len > 0);
    put(arg, data, len);
    return 0;
}

static int on_end(void *arg)
{
    put(arg, "</>", 3);
    return 0;
}

static const struct multipart_callbacks cbs = {on_begin, on_data, on_end};

/* Feeds body in pieces of `step` bytes (0: two pieces split at `split`). */
static int run(const char *boundary, const char *body, size_t len, size_t split, size_t step,
               struct transcript *t, const char **error)
{
    static struct multipart_parser p;
    memset(t, 0, sizeof(*t));
    multipart_init(&p, boundary, 100);
    int rc = 0;
    if (step) {
        for (size_t i = 0; i < len && rc == 0; i += step)
            rc = multipart_feed(&p, body + i, len - i < step ? len - i : step, &cbs, t);
    } else {
        rc = multipart_feed(&p, body, split, &cbs, t);
        if (rc == 0)
            rc = multipart_feed(&p, body + split, len - split, &cbs, t);
    }
    if (rc == 0)
        rc = multipart_finish(&p);
    *error = p.error;
    return rc;
}

/* Every split offset and one byte at a time give the same transcript. */
static void check_all_splits(const char *boundary, const char *body, size_t len, int want_rc,
                             const char *want)
{
    static struct transcript t;
    const char *error;
    for (size_t split = 0; split <= len; split++) {
        int rc = run(boundary, body, len, split, 0, &t, &error);
        CHECK_EQ(rc, want_rc);
        if (want)
            CHECK_STR(t.text, want);
        if (rc != want_rc || (want && strcmp(t.text, want) != 0)) {
            fprintf(stderr, "  split at %zu\n", split);
            return;
        }
    }
    int rc = run(boundary, body, len, 0, 1, &t, &error);
    CHECK_EQ(rc, want_rc);
    if (want)
        CHECK_STR(t.text, want);
}

static void test_boundary(void)
{
    char b[MULTIPART_BOUNDARY_MAX + 1];
    const char *ct = "multipart/form-data; boundary=------------------------abc123";
    CHECK_EQ(multipart_boundary(ct, strlen(ct), b), 0);
    CHECK_STR(b, "------------------------abc123");
    ct = "Multipart/Form-Data;charset=utf-8; BOUNDARY=\"a b:c\"";
    CHECK_EQ(multipart_boundary(ct, strlen(ct), b), 0);
    CHECK_STR(b, "a b:c");
    const char *bad[] = {
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=\"\"",
        "multipart/mixed; boundary=x",
        "text/plain; boundary=x",
        "multipart/form-data; boundary=\"unterminated",
        "multipart/form-data; boundary=\"trailing \"",
        "multipart/form-data; boundary=a\x01",
        /* 71 characters, one too many */
        ("multipart/form-data; "
         "boundary=12345678901234567890123456789012345678901234567890123456789012345678901"),
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = multipart_boundary(bad[i], strlen(bad[i]), b);
        CHECK_EQ(rc, -EINVAL);
        if (rc != -EINVAL)
            fprintf(stderr, "  accepted: %s\n", bad[i]);
    }
    /* 70 characters is the limit, and it is allowed */
    char ok[128];
    snprintf(ok, sizeof(ok), "multipart/form-data; boundary=%070d", 7);
    CHECK_EQ(multipart_boundary(ok, strlen(ok), b), 0);
    CHECK_EQ(strlen(b), 70);
}

static void test_two_files(void)
{
    const char body[] = "preamble to ignore\r\n"
                        "--XyZ\r\n"
                        "Content-Disposition: form-data; name=\"upload\"; filename=\"a.csv\"\r\n"
                        "Content-Type: text/csv\r\n"
                        "\r\n"
                        "1,2\r\n3,4\r\n"
                        "--XyZ\r\n"
                        "content-disposition: form-data; name=upload\r\n"
                        "\r\n"
                        "no file name\r\n--XyY not here\r\n--Xy\r\r\n-XyZ\r-\r\n-"
                        "\r\n--XyZ--\r\n"
                        "epilogue to ignore\r\n--XyZ\r\n";
    check_all_splits("XyZ", body, sizeof(body) - 1, 0,
                     "<upload|a.csv|text/csv>1,2\r\n3,4</>"
                     "<upload|-|>no file name\r\n--XyY not here\r\n--Xy\r\r\n-XyZ\r-\r\n-</>");
}

static void test_binary_and_empty_parts(void)
{
    /* every byte value, CRs next to the boundary, an empty part */
    char body[2048];
    size_t n = (size_t)snprintf(body, sizeof(body),
                                "--b\r\nContent-Disposition: form-data; name=\"f\"; "
                                "filename=\"bin\"\r\n\r\n");
    char want[2048];
    size_t w = (size_t)snprintf(want, sizeof(want), "<f|bin|>");
    for (int c = 1; c < 256; c++) {
        body[n++] = (char)c;
        want[w++] = (char)c;
    }
    static const char tail[] = "\r\r\r\n-\r\n--\r\n--b\r\n"
                               "Content-Disposition: form-data; name=\"e\"; filename=\"\"\r\n\r\n"
                               "\r\n--b--";
    memcpy(body + n, tail, sizeof(tail) - 1);
    n += sizeof(tail) - 1;
    static const char want_tail[] = "\r\r\r\n-\r\n--</><e||></>";
    memcpy(want + w, want_tail, sizeof(want_tail));
    check_all_splits("b", body, n, 0, want);
}

static void test_file_names(void)
{
    const char body[] =
        "--B\r\n"
        "Content-Disposition: form-data; name=\"u\"; filename=\"say \\\"hi\\\".txt\"\r\n\r\nx"
        "\r\n--B\r\n"
        "Content-Disposition: form-data; name=\"u\"; filename=\"plain.txt\"; "
        "filename*=UTF-8''%C3%A9t%C3%A9.csv\r\n\r\ny"
        "\r\n--B\r\n"
        "Content-Disposition: form-data; filename=dir/sub/c.csv; name=u\r\n\r\nz"
        "\r\n--B--";
    check_all_splits("B", body, sizeof(body) - 1, 0,
                     "<u|say \"hi\".txt|>x</><u|\xc3\xa9t\xc3\xa9.csv|>y</><u|dir/sub/c.csv|>z</>");
}

static void test_errors(void)
{
    static struct transcript t;
    const char *error;
    struct {
        const char *body;
        const char *why;
    } cases[] = {
        {"--B\r\nContent-Disposition: form-data; name=a\r\n\r\ndata", "closing boundary"},
        {"--B\r\nContent-Type: text/plain\r\n\r\nx\r\n--B--", "without Content-Disposition"},
        {"--B\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--B--", "Content-Disp"},
        {"--B\r\nno colon here\r\n\r\nx\r\n--B--", "malformed part headers"},
        {"--B\r\nContent-Disposition: form-data\r\n folded\r\n\r\nx\r\n--B--", "folded"},
        {"--B\r\nContent-Disposition: form-data; name=a\rX\r\n\r\nx\r\n--B--", "malformed"},
        {"--B\r\nContent-Disposition: form-data\r\nContent-Disposition: form-data\r\n\r\n\r\n--B--",
         "two Content-Disposition"},
        {"--Bx\r\n", "boundary line"},
        {"--B-x", "boundary line"},
        {"--B\rx", "boundary line"},
        {"", "closing boundary"},
        {"no boundary at all", "closing boundary"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = run("B", cases[i].body, strlen(cases[i].body), 0, 1, &t, &error);
        CHECK_EQ(rc, -EBADMSG);
        CHECK(error && strstr(error, cases[i].why));
        if (!error || !strstr(error, cases[i].why))
            fprintf(stderr, "  case %zu: %s\n", i, error ? error : "(none)");
    }
}

static void test_limits(void)
{
    static struct transcript t;
    static char body[64 * 1024];
    const char *error;
    /* part headers over the limit */
    size_t n = (size_t)snprintf(body, sizeof(body), "--B\r\nContent-Disposition: form-data\r\n");
    while (n < MULTIPART_HEADER_MAX + 100)
        n += (size_t)snprintf(body + n, sizeof(body) - n, "X-Pad: 0123456789abcdef\r\n");
    n += (size_t)snprintf(body + n, sizeof(body) - n, "\r\nx\r\n--B--");
    CHECK_EQ(run("B", body, n, 0, 0, &t, &error), -EBADMSG);
    CHECK(error && strstr(error, "headers too large"));
    /* more parts than allowed (100 in run()) */
    n = 0;
    for (int i = 0; i < 101; i++)
        n += (size_t)snprintf(body + n, sizeof(body) - n,
                              "--B\r\nContent-Disposition: form-data; name=p\r\n\r\n%d\r\n", i);
    n += (size_t)snprintf(body + n, sizeof(body) - n, "--B--");
    CHECK_EQ(run("B", body, n, 0, 0, &t, &error), -EBADMSG);
    CHECK(error && strstr(error, "too many parts"));
    CHECK_EQ(t.parts, 100);
    /* a file name over the limit */
    n = (size_t)snprintf(body, sizeof(body), "--B\r\nContent-Disposition: form-data; filename=\"");
    memset(body + n, 'a', MULTIPART_NAME_MAX + 1);
    n += MULTIPART_NAME_MAX + 1;
    n += (size_t)snprintf(body + n, sizeof(body) - n, "\"\r\n\r\nx\r\n--B--");
    CHECK_EQ(run("B", body, n, 0, 0, &t, &error), -EBADMSG);
    CHECK(error && strstr(error, "too long"));
    /* a callback can stop the parser */
    const char two[] = "--B\r\nContent-Disposition: form-data\r\n\r\na\r\n--B\r\n"
                       "Content-Disposition: form-data\r\n\r\nb\r\n--B--";
    static struct multipart_parser p;
    memset(&t, 0, sizeof(t));
    t.stop_after_parts = 2;
    multipart_init(&p, "B", 100);
    CHECK_EQ(multipart_feed(&p, two, sizeof(two) - 1, &cbs, &t), 7);
}

int main(void)
{
    test_boundary();
    test_two_files();
    test_binary_and_empty_parts();
    test_file_names();
    test_errors();
    test_limits();
    return test_finish("multipart");
}
