#include "storage/s3_sigv4.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARAMS 32
#define SCRATCH    8192

/* A growing text with a fixed capacity; overflow is remembered, not fatal
 * until the end, so the composing code stays linear. */
struct text {
    char *p;
    size_t len, cap;
    bool overflow;
};

static void text_add(struct text *t, const char *s, size_t n)
{
    if (t->overflow || t->len + n >= t->cap) {
        t->overflow = true;
        return;
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = '\0';
}

static void text_puts(struct text *t, const char *s)
{
    text_add(t, s, strlen(s));
}

static void text_encode(struct text *t, const char *s, bool keep_slash)
{
    size_t room = t->overflow ? 0 : t->cap - t->len;
    size_t n = s3_uri_encode(s, strlen(s), keep_slash, t->p + t->len, room);
    if (n >= room)
        t->overflow = true;
    else
        t->len += n;
}

size_t s3_uri_encode(const char *s, size_t n, bool keep_slash, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool plain =
            isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/');
        if (plain) {
            if (o + 1 < cap)
                out[o] = (char)c;
            o++;
        } else {
            if (o + 3 < cap) {
                out[o] = '%';
                out[o + 1] = hex[c >> 4];
                out[o + 2] = hex[c & 15];
            }
            o += 3;
        }
    }
    if (o < cap)
        out[o] = '\0';
    return o;
}

void s3_amz_date(time_t now, char out[17])
{
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static void to_hex(const unsigned char *d, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[2 * n] = '\0';
}

void s3_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256(data, len, d);
    to_hex(d, sizeof(d), out);
}

static void hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
    unsigned int n = 32;
    HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &n);
}

struct encoded_param {
    char *name, *value;
};

static int param_cmp(const void *a, const void *b)
{
    const struct encoded_param *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

int s3_canonical_query(const struct s3_param *q, size_t n, char *out, size_t cap)
{
    struct encoded_param enc[MAX_PARAMS];
    char buf[SCRATCH];
    size_t used = 0;
    if (n > MAX_PARAMS)
        return -ENOSPC;
    for (size_t i = 0; i < n; i++) {
        const char *parts[2] = {q[i].name, q[i].value ? q[i].value : ""};
        char **dst[2] = {&enc[i].name, &enc[i].value};
        for (int k = 0; k < 2; k++) {
            size_t len =
                s3_uri_encode(parts[k], strlen(parts[k]), false, buf + used, sizeof(buf) - used);
            if (len >= sizeof(buf) - used)
                return -ENOSPC;
            *dst[k] = buf + used;
            used += len + 1;
        }
    }
    qsort(enc, n, sizeof(enc[0]), param_cmp);
    struct text t = {out, 0, cap, cap == 0};
    if (cap)
        out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i)
            text_puts(&t, "&");
        text_puts(&t, enc[i].name);
        text_puts(&t, "=");
        text_puts(&t, enc[i].value);
    }
    return t.overflow ? -ENOSPC : 0;
}

struct lower_header {
    char name[64];
    const char *value;
};

static int header_cmp(const void *a, const void *b)
{
    return strcmp(((const struct lower_header *)a)->name, ((const struct lower_header *)b)->name);
}

/* Header values are trimmed and inner runs of spaces collapse to one. */
static void text_header_value(struct text *t, const char *v)
{
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = strlen(v);
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    for (size_t i = 0; i < n; i++) {
        if ((v[i] == ' ' || v[i] == '\t') && i && (v[i - 1] == ' ' || v[i - 1] == '\t'))
            continue;
        text_add(t, v[i] == '\t' ? " " : &v[i], 1);
    }
}

/* Writes the canonical headers and returns the signed-header list in `signed_list`. */
static int canonical_headers(const struct s3_sign_input *in, struct text *t, char *signed_list,
                             size_t cap)
{
    struct lower_header h[MAX_PARAMS];
    if (in->nheaders > MAX_PARAMS || in->nheaders == 0)
        return -EINVAL;
    for (size_t i = 0; i < in->nheaders; i++) {
        size_t n = strlen(in->headers[i].name);
        if (n == 0 || n >= sizeof(h[i].name))
            return -EINVAL;
        for (size_t k = 0; k <= n; k++)
            h[i].name[k] = (char)tolower((unsigned char)in->headers[i].name[k]);
        h[i].value = in->headers[i].value;
    }
    qsort(h, in->nheaders, sizeof(h[0]), header_cmp);
    struct text s = {signed_list, 0, cap, false};
    for (size_t i = 0; i < in->nheaders; i++) {
        text_puts(t, h[i].name);
        text_puts(t, ":");
        text_header_value(t, h[i].value);
        text_puts(t, "\n");
        if (i)
            text_puts(&s, ";");
        text_puts(&s, h[i].name);
    }
    return s.overflow ? -ENOSPC : 0;
}

/* The hex signature of the canonical request built from `query` (already canonical). */
static int sign(const struct s3_sign_input *in, const char *query, const char *amz_date,
                char *signed_list, size_t signed_cap, char sig[65])
{
    char creq[SCRATCH * 2];
    struct text t = {creq, 0, sizeof(creq), false};
    creq[0] = '\0';
    text_puts(&t, in->method);
    text_puts(&t, "\n");
    text_encode(&t, in->path, true);
    text_puts(&t, "\n");
    text_puts(&t, query);
    text_puts(&t, "\n");
    int rc = canonical_headers(in, &t, signed_list, signed_cap);
    if (rc < 0)
        return rc;
    text_puts(&t, "\n");
    text_puts(&t, signed_list);
    text_puts(&t, "\n");
    text_puts(&t, in->payload_hash);
    if (t.overflow)
        return -ENOSPC;

    char creq_hash[65], sts[256];
    s3_sha256_hex(creq, t.len, creq_hash);
    snprintf(sts, sizeof(sts), "AWS4-HMAC-SHA256\n%s\n%.8s/%s/%s/aws4_request\n%s", amz_date,
             amz_date, in->region, in->service, creq_hash);

    char key0[512], day[9];
    unsigned char k[32];
    int kl = snprintf(key0, sizeof(key0), "AWS4%s", in->secret_key);
    if (kl < 0 || (size_t)kl >= sizeof(key0))
        return -EINVAL;
    memcpy(day, amz_date, 8);
    day[8] = '\0';
    hmac(key0, (size_t)kl, day, k);
    hmac(k, 32, in->region, k);
    hmac(k, 32, in->service, k);
    hmac(k, 32, "aws4_request", k);
    hmac(k, 32, sts, k);
    to_hex(k, 32, sig);
    return 0;
}

int s3_sigv4_authorization(const struct s3_sign_input *in, char *out, size_t cap)
{
    char query[SCRATCH], amz_date[17], signed_list[1024], sig[65];
    int rc = s3_canonical_query(in->query, in->nquery, query, sizeof(query));
    if (rc < 0)
        return rc;
    s3_amz_date(in->now, amz_date);
    rc = sign(in, query, amz_date, signed_list, sizeof(signed_list), sig);
    if (rc < 0)
        return rc;
    int n = snprintf(out, cap,
                     "AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/%s/aws4_request, SignedHeaders=%s, "
                     "Signature=%s",
                     in->access_key, amz_date, in->region, in->service, signed_list, sig);
    return n < 0 || (size_t)n >= cap ? -ENOSPC : 0;
}

int s3_sigv4_presign(const struct s3_sign_input *in, const char *session_token, int64_t expires_s,
                     char *out, size_t cap)
{
    struct s3_param q[MAX_PARAMS];
    char amz_date[17], cred[512], expires[24], query[SCRATCH], signed_list[64], sig[65];
    if (in->nquery + 6 > MAX_PARAMS)
        return -ENOSPC;
    s3_amz_date(in->now, amz_date);
    snprintf(cred, sizeof(cred), "%s/%.8s/%s/%s/aws4_request", in->access_key, amz_date, in->region,
             in->service);
    snprintf(expires, sizeof(expires), "%" PRId64, expires_s);
    size_t n = in->nquery;
    if (n) /* memcpy from NULL is undefined even for 0 bytes */
        memcpy(q, in->query, n * sizeof(q[0]));
    q[n++] = (struct s3_param){"X-Amz-Algorithm", "AWS4-HMAC-SHA256"};
    q[n++] = (struct s3_param){"X-Amz-Credential", cred};
    q[n++] = (struct s3_param){"X-Amz-Date", amz_date};
    q[n++] = (struct s3_param){"X-Amz-Expires", expires};
    q[n++] = (struct s3_param){"X-Amz-SignedHeaders", "host"};
    if (session_token && *session_token)
        q[n++] = (struct s3_param){"X-Amz-Security-Token", session_token};
    int rc = s3_canonical_query(q, n, query, sizeof(query));
    if (rc < 0)
        return rc;
    struct s3_sign_input host_only = *in;
    host_only.payload_hash = S3_UNSIGNED_PAYLOAD;
    rc = sign(&host_only, query, amz_date, signed_list, sizeof(signed_list), sig);
    if (rc < 0)
        return rc;
    int w = snprintf(out, cap, "%s&X-Amz-Signature=%s", query, sig);
    return w < 0 || (size_t)w >= cap ? -ENOSPC : 0;
}
