#define _GNU_SOURCE /* strptime, timegm */
#include "storage/s3_xml.h"

#include <errno.h>
#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct s3_xml {
    XML_Parser p;
    s3_xml_leaf_cb leaf;
    s3_xml_end_cb end;
    void *arg;
    char path[S3_XML_PATH_MAX];
    size_t path_len;
    char text[S3_XML_TEXT_MAX + 1];
    size_t text_len;
    bool has_child; /* the open element had a child: not a leaf */
    const char *error;
};

static void fail(struct s3_xml *x, const char *why)
{
    if (!x->error)
        x->error = why;
    XML_StopParser(x->p, XML_FALSE);
}

static void start_cb(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    (void)attrs;
    struct s3_xml *x = ud;
    size_t n = strlen(name);
    size_t need = x->path_len + (x->path_len ? 1 : 0) + n;
    if (need >= sizeof(x->path))
        return fail(x, "elements nested too deeply");
    if (x->path_len)
        x->path[x->path_len++] = '/';
    memcpy(x->path + x->path_len, name, n + 1);
    x->path_len += n;
    x->text_len = 0;
    x->has_child = false;
}

static void end_cb(void *ud, const XML_Char *name)
{
    struct s3_xml *x = ud;
    /* expat still ends an empty element whose start was refused: its name
     * was never added to the path */
    if (x->error)
        return;
    if (!x->has_child) {
        x->text[x->text_len] = '\0';
        x->leaf(x->arg, x->path, x->text, x->text_len);
    }
    if (x->end)
        x->end(x->arg, x->path);
    x->path_len -= strlen(name);
    if (x->path_len)
        x->path_len--;
    x->path[x->path_len] = '\0';
    x->has_child = true; /* the parent now has a child */
    x->text_len = 0;
}

static void chars_cb(void *ud, const XML_Char *s, int len)
{
    struct s3_xml *x = ud;
    if (x->text_len + (size_t)len > S3_XML_TEXT_MAX)
        return fail(x, "element text too long");
    memcpy(x->text + x->text_len, s, (size_t)len);
    x->text_len += (size_t)len;
}

static void doctype_cb(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
                       int has_internal_subset)
{
    (void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
    fail(ud, "DOCTYPE not allowed");
}

static void entity_cb(void *ud, const XML_Char *name, int is_param, const XML_Char *value,
                      int value_len, const XML_Char *base, const XML_Char *sysid,
                      const XML_Char *pubid, const XML_Char *notation)
{
    (void)name, (void)is_param, (void)value, (void)value_len, (void)base, (void)sysid;
    (void)pubid, (void)notation;
    fail(ud, "entity declarations not allowed");
}

struct s3_xml *s3_xml_new(s3_xml_leaf_cb leaf, s3_xml_end_cb end, void *arg)
{
    struct s3_xml *x = calloc(1, sizeof(*x));
    if (!x)
        return NULL;
    x->p = XML_ParserCreate("UTF-8");
    if (!x->p) {
        free(x);
        return NULL;
    }
    x->leaf = leaf;
    x->end = end;
    x->arg = arg;
    XML_SetUserData(x->p, x);
    XML_SetElementHandler(x->p, start_cb, end_cb);
    XML_SetCharacterDataHandler(x->p, chars_cb);
    XML_SetStartDoctypeDeclHandler(x->p, doctype_cb);
    XML_SetEntityDeclHandler(x->p, entity_cb);
    return x;
}

int s3_xml_feed(struct s3_xml *x, const void *data, size_t len, bool final)
{
    if (x->error)
        return -EBADMSG;
    while (len || final) {
        int n = len > (1u << 30) ? 1 << 30 : (int)len;
        if (XML_Parse(x->p, data, n, final && (size_t)n == len) != XML_STATUS_OK) {
            if (!x->error)
                x->error = XML_ErrorString(XML_GetErrorCode(x->p));
            return -EBADMSG;
        }
        data = (const char *)data + n;
        len -= (size_t)n;
        if (!len)
            break;
    }
    return 0;
}

const char *s3_xml_error(const struct s3_xml *x)
{
    return x->error ? x->error : "no error";
}

void s3_xml_free(struct s3_xml *x)
{
    if (!x)
        return;
    XML_ParserFree(x->p);
    free(x);
}

static int64_t tm_to_ms(struct tm *tm, int ms)
{
    time_t t = timegm(tm);
    return t == (time_t)-1 ? -1 : (int64_t)t * 1000 + ms;
}

int64_t s3_parse_iso8601_ms(const char *s)
{
    struct tm tm = {0};
    int ms = 0;
    const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest)
        return -1;
    if (*rest == '.') {
        int digits = 0;
        for (rest++; *rest >= '0' && *rest <= '9'; rest++, digits++)
            if (digits < 3)
                ms = ms * 10 + (*rest - '0');
        for (; digits < 3; digits++)
            ms *= 10;
    }
    if (strcmp(rest, "Z") != 0 && strcmp(rest, "+00:00") != 0)
        return -1;
    return tm_to_ms(&tm, ms);
}

int64_t s3_parse_http_date_ms(const char *s)
{
    struct tm tm = {0};
    const char *rest = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return rest && *rest == '\0' ? tm_to_ms(&tm, 0) : -1;
}

size_t s3_xml_escape(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    for (; *s; s++) {
        const char *rep = NULL;
        switch (*s) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&apos;";
            break;
        }
        size_t n = rep ? strlen(rep) : 1;
        if (o + n < cap)
            memcpy(out + o, rep ? rep : s, n);
        o += n;
    }
    if (o < cap)
        out[o] = '\0';
    return o;
}
