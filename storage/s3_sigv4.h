/* AWS Signature Version 4 for S3: the canonical request, the string to
 * sign and the derived key, in the header form (an Authorization value) and
 * the query form (a presigned URL). No I/O: callers pass the clock. */
#ifndef SP_STORAGE_S3_SIGV4_H
#define SP_STORAGE_S3_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define S3_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define S3_EMPTY_SHA256     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* A query parameter or header as sent, not yet encoded. */
struct s3_param {
    const char *name;
    const char *value;
};

struct s3_sign_input {
    const char *method;
    const char *path; /* raw, starting with '/'; encoded here byte by byte */
    const struct s3_param *query;
    size_t nquery;
    const struct s3_param *headers; /* every header to sign, "host" included */
    size_t nheaders;
    const char *payload_hash; /* lower-case hex SHA-256, or S3_UNSIGNED_PAYLOAD */
    const char *region;
    const char *service; /* "s3" */
    const char *access_key;
    const char *secret_key;
    time_t now;
};

/* RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - . _ ~
 * becomes %XX (upper case); '/' is kept when keep_slash. Returns the
 * length needed without the NUL; writes only when it fits. */
size_t s3_uri_encode(const char *s, size_t n, bool keep_slash, char *out, size_t cap);

/* "20130524T000000Z" (16 characters and a NUL). */
void s3_amz_date(time_t now, char out[17]);

void s3_sha256_hex(const void *data, size_t len, char out[65]);

/* The query string as sent and signed: parameters encoded and sorted by
 * encoded name, then value. 0 or -ENOSPC. */
int s3_canonical_query(const struct s3_param *q, size_t n, char *out, size_t cap);

/* The Authorization header value. 0, -EINVAL or -ENOSPC. */
int s3_sigv4_authorization(const struct s3_sign_input *in, char *out, size_t cap);

/* The whole query string of a presigned URL (the input's own parameters
 * plus the X-Amz-* ones, the signature last). Only "host" is signed; the
 * payload is unsigned. 0, -EINVAL or -ENOSPC. */
int s3_sigv4_presign(const struct s3_sign_input *in, const char *session_token, int64_t expires_s,
                     char *out, size_t cap);

#endif
