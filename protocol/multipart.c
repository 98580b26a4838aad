#define _GNU_SOURCE /* memmem */
#include "protocol/multipart.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

/* ---- the boundary of a Content-Type ---- */

static bool is_bchar(unsigned char c)
{
    /* RFC 2046 bchars: no CR or LF, so a delimiter's only CR is its first byte */
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           strchr("'()+_,-./:=? ", c) != NULL;
}

static const char *skip_ws(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    return s;
}

/* One parameter value, a token or a quoted string, into out; returns the
 * position after it or NULL. */
static const char *param_value(const char *s, const char *end, char *out, size_t out_size,
                               bool *too_long)
{
    size_t n = 0;
    *too_long = false;
    if (s < end && *s == '"') {
        for (s++; s < end && *s != '"'; s++) {
            if (*s == '\\' && s + 1 < end)
                s++;
            if (n + 1 < out_size)
                out[n++] = *s;
            else
                *too_long = true;
        }
        if (s >= end)
            return NULL; /* unterminated quote */
        s++;
    } else {
        for (; s < end && *s != ';' && *s != ' ' && *s != '\t'; s++) {
            if (n + 1 < out_size)
                out[n++] = *s;
            else
                *too_long = true;
        }
    }
    out[n] = 0;
    return s;
}

/* Walks "; key=value" parameters; calls fn for each. */
static int each_param(const char *s, const char *end,
                      int (*fn)(void *arg, const char *key, size_t key_len, const char *value,
                                const char *vend),
                      void *arg)
{
    for (;;) {
        s = skip_ws(s, end);
        if (s >= end)
            return 0;
        if (*s != ';')
            return -EBADMSG;
        s = skip_ws(s + 1, end);
        if (s >= end)
            return 0; /* a trailing ';' is harmless */
        const char *key = s;
        while (s < end && *s != '=' && *s != ';' && *s != ' ' && *s != '\t')
            s++;
        size_t key_len = (size_t)(s - key);
        s = skip_ws(s, end);
        if (s >= end || *s != '=')
            return -EBADMSG;
        s = skip_ws(s + 1, end);
        const char *value = s;
        /* find the end of the value without copying it */
        char tmp[2];
        bool too_long;
        const char *next = param_value(s, end, tmp, sizeof(tmp), &too_long);
        if (!next || key_len == 0)
            return -EBADMSG;
        int rc = fn(arg, key, key_len, value, next);
        if (rc < 0)
            return rc;
        s = next;
    }
}

static int boundary_param(void *arg, const char *key, size_t key_len, const char *value,
                          const char *vend)
{
    char *out = arg;
    if (key_len != 8 || strncasecmp(key, "boundary", 8) != 0)
        return 0;
    bool too_long;
    if (!param_value(value, vend, out, MULTIPART_BOUNDARY_MAX + 1, &too_long) || too_long)
        return -EINVAL;
    return 0;
}

int multipart_boundary(const char *content_type, size_t len, char *out)
{
    static const char type[] = "multipart/form-data";
    const char *s = skip_ws(content_type, content_type + len), *end = content_type + len;
    out[0] = 0;
    if ((size_t)(end - s) < sizeof(type) - 1 || strncasecmp(s, type, sizeof(type) - 1) != 0)
        return -EINVAL;
    if (each_param(s + sizeof(type) - 1, end, boundary_param, out) < 0)
        return -EINVAL;
    size_t n = strlen(out);
    if (n == 0 || out[n - 1] == ' ')
        return -EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!is_bchar((unsigned char)out[i]))
            return -EINVAL;
    return 0;
}

/* ---- part headers ---- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* RFC 5987 ext-value: charset'language'pct-encoded; only UTF-8 is taken. */
static int ext_value(const char *s, const char *end, char *out, size_t out_size)
{
    static const char utf8[] = "utf-8'";
    if ((size_t)(end - s) < sizeof(utf8) - 1 || strncasecmp(s, utf8, sizeof(utf8) - 1) != 0)
        return -EBADMSG;
    s += sizeof(utf8) - 1;
    const char *q = memchr(s, '\'', (size_t)(end - s));
    if (!q)
        return -EBADMSG;
    size_t n = 0;
    for (s = q + 1; s < end; s++) {
        int c = (unsigned char)*s;
        if (c == '%') {
            int hi = s + 2 < end ? hexval(s[1]) : -1, lo = s + 2 < end ? hexval(s[2]) : -1;
            if (hi < 0 || lo < 0)
                return -EBADMSG;
            c = hi * 16 + lo;
            s += 2;
        }
        if (n + 1 >= out_size)
            return -ENAMETOOLONG;
        out[n++] = (char)c;
    }
    out[n] = 0;
    return 0;
}

struct disposition {
    struct multipart_part *part;
    bool ext_filename;
};

static int disposition_param(void *arg, const char *key, size_t key_len, const char *value,
                             const char *vend)
{
    struct disposition *d = arg;
    struct multipart_part *part = d->part;
    bool too_long;
    if (key_len == 4 && strncasecmp(key, "name", 4) == 0) {
        param_value(value, vend, part->name, sizeof(part->name), &too_long);
        return too_long ? -ENAMETOOLONG : 0;
    }
    if (key_len == 8 && strncasecmp(key, "filename", 8) == 0) {
        if (d->ext_filename)
            return 0; /* filename* wins */
        part->has_filename = true;
        param_value(value, vend, part->filename, sizeof(part->filename), &too_long);
        return too_long ? -ENAMETOOLONG : 0;
    }
    if (key_len == 9 && strncasecmp(key, "filename*", 9) == 0) {
        part->has_filename = true;
        d->ext_filename = true;
        char *v = part->filename;
        int rc = ext_value(value, vend, v, sizeof(part->filename));
        return rc;
    }
    return 0;
}

static int parse_disposition(struct multipart_parser *p, const char *s, const char *end)
{
    s = skip_ws(s, end);
    const char *type = s;
    while (s < end && *s != ';' && *s != ' ' && *s != '\t')
        s++;
    if (s == type) {
        p->error = "part has an empty Content-Disposition";
        return -EBADMSG;
    }
    struct disposition d = {.part = &p->part};
    int rc = each_param(s, end, disposition_param, &d);
    if (rc == -ENAMETOOLONG)
        p->error = "part name or file name too long";
    else if (rc < 0)
        p->error = "malformed Content-Disposition in part headers";
    return rc < 0 ? -EBADMSG : 0;
}

static bool header_is(const char *line, size_t len, const char *name, const char **value)
{
    size_t n = strlen(name);
    if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
        return false;
    *value = line + n + 1;
    return true;
}

static int parse_part_headers(struct multipart_parser *p)
{
    memset(&p->part, 0, sizeof(p->part));
    bool disposition = false;
    const char *s = p->headers, *end = p->headers + p->header_len - 2; /* drop the blank line */
    while (s < end) {
        const char *eol = memchr(s, '\r', (size_t)(end - s));
        if (!eol || eol[1] != '\n') { /* the block ends in CRLF CRLF, so eol[1] exists */
            p->error = "malformed part headers";
            return -EBADMSG;
        }
        size_t len = (size_t)(eol - s);
        const char *value;
        if (s[0] == ' ' || s[0] == '\t') {
            p->error = "folded part headers are not supported";
            return -EBADMSG;
        }
        if (header_is(s, len, "content-disposition", &value)) {
            if (disposition) {
                p->error = "part has two Content-Disposition headers";
                return -EBADMSG;
            }
            disposition = true;
            if (parse_disposition(p, value, eol) < 0)
                return -EBADMSG;
        } else if (header_is(s, len, "content-type", &value)) {
            value = skip_ws(value, eol);
            size_t n = (size_t)(eol - value);
            if (n >= sizeof(p->part.content_type))
                n = sizeof(p->part.content_type) - 1;
            memcpy(p->part.content_type, value, n);
        } else if (!memchr(s, ':', len)) {
            p->error = "malformed part headers";
            return -EBADMSG;
        }
        s = eol + 2;
    }
    if (!disposition) {
        p->error = "part without Content-Disposition";
        return -EBADMSG;
    }
    return 0;
}

/* ---- the state machine ---- */

void multipart_init(struct multipart_parser *p, const char *boundary, unsigned max_parts)
{
    memset(p, 0, offsetof(struct multipart_parser, headers));
    size_t n = strnlen(boundary, MULTIPART_BOUNDARY_MAX);
    memcpy(p->delim, "\r\n--", 4);
    memcpy(p->delim + 4, boundary, n);
    p->delim_len = 4 + n;
    p->max_parts = max_parts;
    p->state = MP_PREAMBLE;
    p->match = 2; /* the first delimiter may open the body without a CRLF */
}

static int fail(struct multipart_parser *p, const char *why)
{
    p->state = MP_ERROR;
    if (why)
        p->error = why;
    return -EBADMSG;
}

/* Matches the delimiter in the preamble, discarding everything else. */
static size_t scan_preamble(struct multipart_parser *p, const char *d, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (d[i] == p->delim[p->match]) {
            if (++p->match == p->delim_len) {
                p->state = MP_AFTER_DELIM;
                return i + 1;
            }
        } else {
            p->match = d[i] == p->delim[0] ? 1 : 0;
        }
    }
    return len;
}

/* Where a delimiter may begin in the last bytes of a feed (it has a single
 * CR, its first byte), or len. */
static size_t partial_tail(const struct multipart_parser *p, const char *d, size_t from, size_t len)
{
    size_t k = len - from >= p->delim_len ? len - p->delim_len + 1 : from;
    for (; k < len; k++) {
        const char *cr = memchr(d + k, '\r', len - k);
        if (!cr)
            return len;
        k = (size_t)(cr - d);
        if (memcmp(cr, p->delim, len - k) == 0)
            return k;
    }
    return len;
}

/* Hands body bytes to part_data up to the next delimiter. A partial match
 * at the end of a feed is held back; if it turns out not to be a delimiter,
 * those bytes equal the delimiter's prefix and are emitted from there. */
static int scan_body(struct multipart_parser *p, const char *d, size_t len, size_t *used,
                     const struct multipart_callbacks *cb, void *arg)
{
    size_t i = 0, run = 0;
    int rc;
    while (i < len) {
        if (p->match == 0) {
            /* the common case: a whole delimiter, or none, in what is left */
            const char *hit = memmem(d + i, len - i, p->delim, p->delim_len);
            size_t stop = hit ? (size_t)(hit - d) : partial_tail(p, d, i, len);
            if (stop > run && (rc = cb->part_data(arg, d + run, stop - run)) != 0)
                return rc;
            if (!hit) {
                p->match = len - stop; /* held until the next feed decides */
                *used = len;
                return 0;
            }
            p->in_part = false;
            p->state = MP_AFTER_DELIM;
            *used = stop + p->delim_len;
            return cb->part_end(arg);
        }
        if (d[i] == p->delim[p->match]) {
            i++;
            if (++p->match < p->delim_len)
                continue;
            p->match = 0;
            p->in_part = false;
            p->state = MP_AFTER_DELIM;
            *used = i;
            return cb->part_end(arg);
        }
        /* not a delimiter after all: the held bytes were data */
        size_t held = p->match;
        p->match = 0;
        run = i;
        if ((rc = cb->part_data(arg, p->delim, held)) != 0)
            return rc;
    }
    *used = len;
    return 0;
}

static size_t scan_headers(struct multipart_parser *p, const char *d, size_t len, bool *done)
{
    *done = false;
    for (size_t i = 0; i < len; i++) {
        if (p->header_len >= sizeof(p->headers)) {
            fail(p, "part headers too large");
            return i;
        }
        p->headers[p->header_len++] = d[i];
        size_t n = p->header_len;
        if (d[i] == '\n' && ((n == 2 && p->headers[0] == '\r') ||
                             (n >= 4 && memcmp(p->headers + n - 4, "\r\n\r\n", 4) == 0))) {
            *done = true;
            return i + 1;
        }
    }
    return len;
}

static int after_delim(struct multipart_parser *p, char c)
{
    switch (p->state) {
    case MP_AFTER_DELIM:
        if (c == '-')
            p->state = MP_AFTER_DELIM_DASH;
        else if (c == '\r')
            p->state = MP_AFTER_DELIM_CR;
        else if (c != ' ' && c != '\t') /* transport padding */
            return fail(p, "malformed multipart boundary line");
        return 0;
    case MP_AFTER_DELIM_DASH:
        if (c != '-')
            return fail(p, "malformed multipart boundary line");
        p->state = MP_EPILOGUE;
        return 0;
    default: /* MP_AFTER_DELIM_CR */
        if (c != '\n')
            return fail(p, "malformed multipart boundary line");
        if (p->parts >= p->max_parts)
            return fail(p, "too many parts in multipart body");
        p->state = MP_HEADERS;
        p->header_len = 0;
        return 0;
    }
}

int multipart_feed(struct multipart_parser *p, const char *data, size_t len,
                   const struct multipart_callbacks *cb, void *arg)
{
    size_t i = 0;
    int rc;
    while (i < len) {
        size_t used = 0;
        bool done;
        switch (p->state) {
        case MP_PREAMBLE:
            i += scan_preamble(p, data + i, len - i);
            break;
        case MP_AFTER_DELIM:
        case MP_AFTER_DELIM_DASH:
        case MP_AFTER_DELIM_CR:
            if ((rc = after_delim(p, data[i++])) != 0)
                return rc;
            break;
        case MP_HEADERS:
            i += scan_headers(p, data + i, len - i, &done);
            if (p->state == MP_ERROR)
                return -EBADMSG;
            if (!done)
                break;
            if (parse_part_headers(p) < 0)
                return fail(p, NULL);
            p->parts++;
            p->in_part = true;
            p->state = MP_BODY;
            p->match = 0;
            if ((rc = cb->part_begin(arg, &p->part)) != 0)
                return rc;
            break;
        case MP_BODY:
            rc = scan_body(p, data + i, len - i, &used, cb, arg);
            i += used;
            if (rc != 0)
                return rc;
            break;
        case MP_EPILOGUE:
            return 0;
        case MP_ERROR:
            return -EBADMSG;
        }
    }
    return 0;
}

int multipart_finish(struct multipart_parser *p)
{
    if (p->state == MP_EPILOGUE)
        return 0;
    if (p->state != MP_ERROR)
        fail(p, "multipart body ended before its closing boundary");
    return -EBADMSG;
}
