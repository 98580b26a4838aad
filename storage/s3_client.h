/* S3 requests on the libuv loop: libcurl's multi-socket interface driven
 * by a uv_poll_t per socket and one uv_timer_t, every curl call on the loop
 * thread. A request is signed with SigV4 at each attempt and retried with
 * exponential backoff and jitter on 5xx, SlowDown and timeouts while no
 * response byte has been handed on; other 4xx are final. A call with an
 * If-Match header also fails (-ESTALE, PreconditionFailed) when the answer
 * carries another ETag, for servers that ignore the header. */
#ifndef SP_STORAGE_S3_CLIENT_H
#define SP_STORAGE_S3_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "storage/s3_sigv4.h"

struct s3_client;
struct s3_request;

struct s3_tuning {
    int timeout_s;      /* connect timeout, and a transfer with no progress for this long */
    int retries;        /* attempts after the first */
    int list_max_keys;  /* ListObjectsV2 page size */
    size_t part_size;   /* multipart part size, at least 5 MiB */
    int parts_inflight; /* parts of one upload on the wire at once */
};

/* Where a bucket is and how to sign for it. Strings are owned. */
struct s3_target {
    char *base;   /* "http://127.0.0.1:9000" or "https://bucket.s3.amazonaws.com" */
    char *host;   /* the Host header as signed */
    char *bucket; /* non-empty */
    char *prefix; /* "" or ends with '/' */
    char *region;
    char *access_key;
    char *secret_key;
    char *session_token; /* "" when none */
    bool virtual_host;
    struct s3_tuning tuning;
};

/* From a stage URL ("s3://bucket[/prefix/]") and connection options; NULL
 * or "" options take their defaults. -EINVAL with a reason in err. */
int s3_target_init(struct s3_target *t, const char *url, const char *endpoint, const char *region,
                   const char *access_key, const char *secret_key, const char *session_token,
                   bool virtual_host, const struct s3_tuning *tuning, char *err, size_t err_len);
int s3_target_copy(struct s3_target *dst, const struct s3_target *src);
void s3_target_free(struct s3_target *t);
/* The URL of `key` (full key below the bucket), without a query. */
int s3_target_url(const struct s3_target *t, const char *key, char *out, size_t cap);
/* The path SigV4 signs for `key` ("/bucket/key" or "/key"), raw. */
int s3_target_sign_path(const struct s3_target *t, const char *key, char *out, size_t cap);

#define S3_CALL_MAX_QUERY   6
#define S3_CALL_MAX_HEADERS 4

struct s3_call {
    const char *method; /* GET HEAD PUT POST DELETE */
    const char *key;    /* full key below the bucket; NULL for the bucket itself */
    struct s3_param query[S3_CALL_MAX_QUERY];
    size_t nquery;
    struct s3_param headers[S3_CALL_MAX_HEADERS]; /* signed too */
    size_t nheaders;
    const void *body; /* borrowed until the request ends */
    size_t body_len;
    const char *body_sha256; /* hex; NULL: computed here */
};

struct s3_response {
    int status;       /* 0, or a negative errno (-ENOENT for 404, -EACCES for 403, -EIO, ...) */
    long http_status; /* 0 when no answer came */
    char code[64];    /* the S3 error code, or a transport reason */
    char message[320];
    bool has_length;
    uint64_t content_length;
    int64_t last_modified_ms; /* -1 when absent */
    char etag[80];
    int attempts;
};

/* Body bytes of a 2xx answer. Return false to pause: the same bytes come
 * again after s3_request_resume. */
typedef bool (*s3_data_cb)(void *arg, const char *data, size_t len);
typedef void (*s3_done_cb)(void *arg, const struct s3_response *r);

struct s3_client *s3_client_new(uv_loop_t *loop);
/* Ends what is still running: each request its owner has not cancelled
 * gets its done callback with -ECANCELED (so fire-and-forget requests give
 * back what they hold); frees once every handle has closed. */
void s3_client_close(struct s3_client *c);

uv_loop_t *s3_client_loop(struct s3_client *c);

/* Starts a request; the call is copied, the target and the body are
 * borrowed until the request ends. NULL when out of memory. */
struct s3_request *s3_request_start(struct s3_client *c, const struct s3_target *t,
                                    const struct s3_call *call, s3_data_cb data, s3_done_cb done,
                                    void *arg);
void s3_request_resume(struct s3_request *r);
/* No callback runs after it; safe from inside any callback. */
void s3_request_cancel(struct s3_request *r);

/* "S3 error SignatureDoesNotMatch (HTTP 403): message" for error texts. */
void s3_response_describe(const struct s3_response *r, char *out, size_t cap);

#endif
