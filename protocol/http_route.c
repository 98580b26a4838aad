#include "protocol/http_route.h"

#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int http_percent_decode(const char *s, size_t len, bool plus_is_space, char *out, size_t out_size)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            int hi = i + 2 < len ? hexval(s[i + 1]) : -1;
            int lo = i + 2 < len ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return -1;
            c = hi * 16 + lo;
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (c == 0 || n + 1 >= out_size)
            return -1;
        out[n++] = (char)c;
    }
    out[n] = 0;
    return 0;
}

static bool is(const char *s, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

static void bad(struct http_route *r, const char *why)
{
    r->kind = HTTP_ROUTE_BAD_REQUEST;
    r->error = why;
    /* nothing half-decoded is left for anyone to use */
    r->stage[0] = r->path[0] = r->pattern[0] = 0;
    r->expires[0] = r->signer[0] = r->signature[0] = 0;
    r->presigned = false;
}

/* prefix= and pattern= of a listing, the presigned-URL parameters of a
 * file; other parameters are ignored. */
static void parse_query(const char *q, size_t len, struct http_route *r)
{
    while (len > 0 && r->kind != HTTP_ROUTE_BAD_REQUEST) {
        const char *amp = memchr(q, '&', len);
        size_t pl = amp ? (size_t)(amp - q) : len;
        const char *eq = memchr(q, '=', pl);
        size_t kl = eq ? (size_t)(eq - q) : pl;
        const char *v = eq ? eq + 1 : q + pl;
        size_t vl = (size_t)(q + pl - v);
        bool listing = r->kind == HTTP_ROUTE_STAGE_FILES;
        if (!listing) {
            char *dst = is(q, kl, "expires")     ? r->expires
                        : is(q, kl, "user")      ? r->signer
                        : is(q, kl, "signature") ? r->signature
                                                 : NULL;
            size_t cap = dst == r->expires  ? sizeof(r->expires)
                         : dst == r->signer ? sizeof(r->signer)
                                            : sizeof(r->signature);
            if (dst && http_percent_decode(v, vl, true, dst, cap) < 0)
                bad(r, "invalid presigned URL parameter");
            if (dst == r->signature)
                r->presigned = true;
        }
        if (listing && is(q, kl, "prefix") &&
            http_percent_decode(v, vl, true, r->path, sizeof(r->path)) < 0)
            bad(r, "invalid prefix parameter");
        if (listing && is(q, kl, "pattern")) {
            r->has_pattern = true;
            if (http_percent_decode(v, vl, true, r->pattern, sizeof(r->pattern)) < 0)
                bad(r, "invalid pattern parameter");
        }
        q += pl + (amp ? 1 : 0);
        len -= pl + (amp ? 1 : 0);
    }
}

/* /v1/stages/{stage}/files[/{path}] after "/v1/stages/" */
static void parse_stage_path(const char *p, size_t len, const char *query, size_t qlen,
                             struct http_route *r)
{
    const char *slash = memchr(p, '/', len);
    if (!slash || slash == p)
        return; /* not found */
    if (http_percent_decode(p, (size_t)(slash - p), false, r->stage, sizeof(r->stage)) < 0 ||
        strchr(r->stage, '/')) {
        bad(r, "invalid stage name in the request path");
        return;
    }
    const char *rest = slash + 1;
    size_t rl = len - (size_t)(rest - p);
    if (rl < 5 || memcmp(rest, "files", 5) != 0)
        return;
    if (rl == 5 || (rl == 6 && rest[5] == '/')) {
        r->kind = HTTP_ROUTE_STAGE_FILES;
        parse_query(query, qlen, r);
        return;
    }
    if (rest[5] != '/')
        return;
    r->kind = HTTP_ROUTE_STAGE_FILE;
    if (http_percent_decode(rest + 6, rl - 6, false, r->path, sizeof(r->path)) < 0)
        bad(r, "invalid file path in the request path");
    else
        parse_query(query, qlen, r);
}

void http_route_parse(const char *target, size_t len, struct http_route *r)
{
    memset(r, 0, sizeof(*r));
    r->kind = HTTP_ROUTE_NOT_FOUND;
    const char *q = memchr(target, '?', len);
    size_t plen = q ? (size_t)(q - target) : len;
    const char *query = q ? q + 1 : target + len;
    size_t qlen = (size_t)(target + len - query);
    /* trailing slashes are normalised away, as Databend does */
    size_t trimmed = plen;
    while (trimmed > 1 && target[trimmed - 1] == '/')
        trimmed--;
    if (is(target, trimmed, "/healthz"))
        r->kind = HTTP_ROUTE_HEALTHZ;
    else if (is(target, trimmed, "/metrics"))
        r->kind = HTTP_ROUTE_METRICS;
    else if (is(target, trimmed, "/v1/upload_to_stage"))
        r->kind = HTTP_ROUTE_UPLOAD_TO_STAGE;
    else if (plen > 11 && memcmp(target, "/v1/stages/", 11) == 0)
        parse_stage_path(target + 11, plen - 11, query, qlen, r);
}
