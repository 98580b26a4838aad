/* Where a bucket is: stage URL and connection options turned into the base
 * URL, the Host header and the signing identity. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "storage/s3_client.h"

#define DEFAULT_ENDPOINT "https://s3.amazonaws.com"
#define DEFAULT_REGION   "us-east-1"

static char *dup_or(const char *s, const char *fallback)
{
    return strdup(s && *s ? s : fallback);
}

static int fail(char *err, size_t err_len, const char *fmt, const char *arg)
{
    snprintf(err, err_len, fmt, arg);
    return -EINVAL;
}

/* Splits "s3://bucket/prefix" into bucket and a prefix ending in '/'. */
static int parse_url(struct s3_target *t, const char *url, char *err, size_t err_len)
{
    const char *rest;
    if (strncasecmp(url, "s3://", 5) == 0)
        rest = url + 5;
    else if (strncasecmp(url, "s3a://", 6) == 0)
        rest = url + 6;
    else
        return fail(err, err_len, "not an s3:// URL: '%s'", url);
    const char *slash = strchr(rest, '/');
    size_t blen = slash ? (size_t)(slash - rest) : strlen(rest);
    if (blen == 0 || blen > 63)
        return fail(err, err_len, "invalid bucket name in '%s'", url);
    for (size_t i = 0; i < blen; i++)
        if (!(rest[i] >= 'a' && rest[i] <= 'z') && !(rest[i] >= '0' && rest[i] <= '9') &&
            rest[i] != '-' && rest[i] != '.' && rest[i] != '_')
            return fail(err, err_len, "invalid bucket name in '%s'", url);
    t->bucket = strndup(rest, blen);
    const char *p = slash ? slash + 1 : "";
    while (*p == '/')
        p++;
    size_t plen = strlen(p);
    t->prefix = malloc(plen + 2);
    if (!t->bucket || !t->prefix)
        return -ENOMEM;
    memcpy(t->prefix, p, plen + 1);
    if (plen && p[plen - 1] != '/') /* the stage root is always a "directory" */
        memcpy(t->prefix + plen, "/", 2);
    return 0;
}

/* base and host from the endpoint, the bucket in front for virtual hosts. */
static int parse_endpoint(struct s3_target *t, const char *endpoint, char *err, size_t err_len)
{
    char buf[1024];
    const char *e = endpoint && *endpoint ? endpoint : DEFAULT_ENDPOINT;
    if (!strstr(e, "://")) {
        snprintf(buf, sizeof(buf), "https://%s", e);
        e = buf;
    }
    const char *sep = strstr(e, "://");
    size_t slen = (size_t)(sep - e);
    if (!((slen == 4 && strncasecmp(e, "http", 4) == 0) ||
          (slen == 5 && strncasecmp(e, "https", 5) == 0)))
        return fail(err, err_len, "endpoint_url must be http:// or https://, got '%s'", e);
    const char *host = sep + 3;
    size_t hlen = strcspn(host, "/?#");
    if (hlen == 0 || hlen > 255 || memchr(host, '@', hlen))
        return fail(err, err_len, "invalid endpoint_url '%s'", e);
    char h[600], base[700];
    if (t->virtual_host)
        snprintf(h, sizeof(h), "%s.%.*s", t->bucket, (int)hlen, host);
    else
        snprintf(h, sizeof(h), "%.*s", (int)hlen, host);
    snprintf(base, sizeof(base), "%.*s://%s", (int)slen, e, h);
    t->host = strdup(h);
    t->base = strdup(base);
    return t->host && t->base ? 0 : -ENOMEM;
}

int s3_target_init(struct s3_target *t, const char *url, const char *endpoint, const char *region,
                   const char *access_key, const char *secret_key, const char *session_token,
                   bool virtual_host, const struct s3_tuning *tuning, char *err, size_t err_len)
{
    memset(t, 0, sizeof(*t));
    t->virtual_host = virtual_host;
    t->tuning = *tuning;
    int rc = parse_url(t, url, err, err_len);
    if (rc == 0)
        rc = parse_endpoint(t, endpoint, err, err_len);
    if (rc == 0) {
        t->region = dup_or(region, DEFAULT_REGION);
        t->access_key = dup_or(access_key, "");
        t->secret_key = dup_or(secret_key, "");
        t->session_token = dup_or(session_token, "");
        if (!t->region || !t->access_key || !t->secret_key || !t->session_token)
            rc = -ENOMEM;
    }
    if (rc == -ENOMEM)
        snprintf(err, err_len, "out of memory");
    if (rc < 0)
        s3_target_free(t);
    return rc;
}

int s3_target_copy(struct s3_target *dst, const struct s3_target *src)
{
    *dst = *src;
    char **f[] = {&dst->base,   &dst->host,       &dst->bucket,     &dst->prefix,
                  &dst->region, &dst->access_key, &dst->secret_key, &dst->session_token};
    int rc = 0;
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        *f[i] = *f[i] ? strdup(*f[i]) : NULL;
        if (!*f[i])
            rc = -ENOMEM;
    }
    if (rc < 0)
        s3_target_free(dst);
    return rc;
}

void s3_target_free(struct s3_target *t)
{
    free(t->base);
    free(t->host);
    free(t->bucket);
    free(t->prefix);
    free(t->region);
    free(t->access_key);
    free(t->secret_key);
    free(t->session_token);
    memset(t, 0, sizeof(*t));
}

int s3_target_sign_path(const struct s3_target *t, const char *key, char *out, size_t cap)
{
    int n = t->virtual_host ? snprintf(out, cap, "/%s", key ? key : "")
            : key           ? snprintf(out, cap, "/%s/%s", t->bucket, key)
                            : snprintf(out, cap, "/%s", t->bucket);
    return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int s3_target_url(const struct s3_target *t, const char *key, char *out, size_t cap)
{
    char path[2048];
    if (s3_target_sign_path(t, key, path, sizeof(path)) < 0)
        return -ENAMETOOLONG;
    size_t blen = strlen(t->base);
    if (blen >= cap)
        return -ENAMETOOLONG;
    memcpy(out, t->base, blen);
    size_t n = s3_uri_encode(path, strlen(path), true, out + blen, cap - blen);
    return n >= cap - blen ? -ENAMETOOLONG : 0;
}
