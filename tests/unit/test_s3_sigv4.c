/* The SigV4 signer against AWS's documented S3 example and against vectors
 * computed by botocore (tests/unit/sigv4_vectors.py prints them). */
#include <errno.h>
#include <string.h>

#include "storage/s3_sigv4.h"
#include "test.h"

#define DOC_KEY     "AKIAIOSFODNN7EXAMPLE"
#define DOC_SECRET  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define BOTO_KEY    "AKIDEXAMPLE"
#define BOTO_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define BOTO_NOW    1795264496 /* 2026-11-21T12:34:56Z */

static char out[4096];

static void check_doc_examples(void)
{
    struct s3_param h[] = {{"Host", "examplebucket.s3.amazonaws.com"},
                           {"Range", "bytes=0-9"},
                           {"x-amz-content-sha256", S3_EMPTY_SHA256},
                           {"x-amz-date", "20130524T000000Z"}};
    struct s3_sign_input in = {"GET",           "/test.txt", NULL, 0,       h,          4,
                               S3_EMPTY_SHA256, "us-east-1", "s3", DOC_KEY, DOC_SECRET, 1369353600};
    CHECK_EQ(s3_sigv4_authorization(&in, out, sizeof(out)), 0);
    CHECK_STR(out, "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                   "aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                   "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");

    in.headers = h;
    in.nheaders = 1;
    CHECK_EQ(s3_sigv4_presign(&in, NULL, 86400, out, sizeof(out)), 0);
    CHECK_STR(out, "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%"
                   "2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-"
                   "Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature="
                   "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

static const char *boto_sign(const char *method, const char *path, const struct s3_param *q,
                             size_t nq, const char *host, const char *extra_name,
                             const char *extra_value, const char *token, const char *sha,
                             const char *region)
{
    struct s3_param h[6] = {
        {"host", host}, {"x-amz-content-sha256", sha}, {"x-amz-date", "20261121T123456Z"}};
    size_t n = 3;
    if (extra_name)
        h[n++] = (struct s3_param){extra_name, extra_value};
    if (token)
        h[n++] = (struct s3_param){"X-Amz-Security-Token", token};
    struct s3_sign_input in = {method, path,   q,    nq,       h,           n,
                               sha,    region, "s3", BOTO_KEY, BOTO_SECRET, BOTO_NOW};
    CHECK_EQ(s3_sigv4_authorization(&in, out, sizeof(out)), 0);
    return strstr(out, "Signature=") + 10;
}

static void check_botocore_vectors(void)
{
    char sha[65];
    s3_sha256_hex("hello", 5, sha);
    CHECK_STR(sha, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    CHECK_STR(boto_sign("PUT", "/bucket/dir/a b+c~.csv", NULL, 0, "127.0.0.1:9000", NULL, NULL,
                        NULL, sha, "us-east-1"),
              "8b33e6be0111fb772d9f6eec4139254fc663d5c64f32fec94580f50c5eb7cd2d");

    struct s3_param list[] = {
        {"list-type", "2"}, {"prefix", "a/b c"}, {"max-keys", "3"}, {"continuation-token", "1/+="}};
    CHECK_STR(boto_sign("GET", "/bucket", list, 4, "127.0.0.1:9000", NULL, NULL, NULL,
                        S3_EMPTY_SHA256, "us-east-1"),
              "ff0ba73c8fc5c834e8f9f7a10d4edd068f82d7f33600f3536e4de4f385f6bb0d");
    CHECK_EQ(s3_canonical_query(list, 4, out, sizeof(out)), 0);
    CHECK_STR(out, "continuation-token=1%2F%2B%3D&list-type=2&max-keys=3&prefix=a%2Fb%20c");

    CHECK_STR(boto_sign("GET", "/k\xc3\xa9y", NULL, 0, "bucket.s3.eu-west-1.amazonaws.com", "Range",
                        "bytes=5-9", "FQoGZXIvYXdz//token+/=", S3_EMPTY_SHA256, "eu-west-1"),
              "66cd08008fe75fd6f683affd9bef40134eeff1413e9877945f79958d377335e0");

    struct s3_param uploads[] = {{"uploads", ""}};
    CHECK_STR(boto_sign("POST", "/bucket/big.bin", uploads, 1, "127.0.0.1:9000", "Content-Type",
                        "application/xml", NULL, S3_EMPTY_SHA256, "us-east-1"),
              "fca769f57eed8ea2a6fbb5ec61340b4cbda8f9f099f385d102532dabe6924b46");

    struct s3_param host[] = {{"host", "127.0.0.1:9000"}};
    struct s3_sign_input in = {
        "GET",           "/bucket/dir/x y.csv", NULL, 0,        host,        1,
        S3_EMPTY_SHA256, "us-east-1",           "s3", BOTO_KEY, BOTO_SECRET, BOTO_NOW};
    CHECK_EQ(s3_sigv4_presign(&in, NULL, 600, out, sizeof(out)), 0);
    CHECK(strstr(out, "&X-Amz-Signature="
                      "2d330bdbc5a605e5effe64af9c83555baf07807dc70a8ce010780fa921eaebb1") != NULL);
}

static void check_encoding_and_limits(void)
{
    char enc[64];
    CHECK_EQ(s3_uri_encode("a/b c~", 6, true, enc, sizeof(enc)), 8u);
    CHECK_STR(enc, "a/b%20c~");
    CHECK_EQ(s3_uri_encode("a/b", 3, false, enc, sizeof(enc)), 5u);
    CHECK_STR(enc, "a%2Fb");
    CHECK_EQ(s3_uri_encode("\xff*", 2, false, enc, 3), 6u); /* too small: the length needed */

    /* Header values are trimmed and inner spaces collapse, as AWS specifies. */
    struct s3_param h1[] = {{"host", "h"}, {"x-amz-meta-a", "  a   b  "}};
    struct s3_param h2[] = {{"Host", "h"}, {"X-Amz-Meta-A", "a b"}};
    struct s3_sign_input in = {"GET",           "/",         NULL, 0,        h1,          2,
                               S3_EMPTY_SHA256, "us-east-1", "s3", BOTO_KEY, BOTO_SECRET, BOTO_NOW};
    char a[512];
    CHECK_EQ(s3_sigv4_authorization(&in, a, sizeof(a)), 0);
    in.headers = h2;
    CHECK_EQ(s3_sigv4_authorization(&in, out, sizeof(out)), 0);
    CHECK_STR(a, out);

    CHECK_EQ(s3_sigv4_authorization(&in, out, 20), -ENOSPC);
    in.nheaders = 0;
    CHECK_EQ(s3_sigv4_authorization(&in, out, sizeof(out)), -EINVAL);
}

int main(void)
{
    check_doc_examples();
    check_botocore_vectors();
    check_encoding_and_limits();
    return test_finish("s3_sigv4");
}
