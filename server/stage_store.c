#include "server/stage_store.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "server/process.h"
#include "storage/fs.h"

#define PATTERN_MATCH_LIMIT 1000000
#define PATTERN_DEPTH_LIMIT 10000

int stage_error_setv(struct stage_error *e, int code, const char *name, const char *fmt, va_list ap)
{
    char msg[400];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    e->code = code;
    snprintf(e->text, sizeof(e->text), "%s. Code: %d, Text = %s.", name, code, msg);
    return -1;
}

int stage_error_set(struct stage_error *e, int code, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    stage_error_setv(e, code, name, fmt, ap);
    va_end(ap);
    return -1;
}

bool stage_may(const struct stage_def *d, const char *user, int rights)
{
    (void)rights; /* owners hold every right; READ/WRITE grants come later */
    if (strcmp(user, "root") == 0)
        return true;
    char owner[160];
    snprintf(owner, sizeof(owner), "'%s'@'%%'", user);
    return d->creator && strcmp(d->creator, owner) == 0;
}

struct storage *stage_store_open(struct server *srv, const char *user, const char *name, int rights,
                                 struct stage_error *err)
{
    char root[4096], tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s/tmp", srv->cfg->data_dir);
    if (strcmp(name, "~") == 0) {
        snprintf(root, sizeof(root), "%s/stages/user/%s", srv->cfg->data_dir, user);
    } else {
        struct stage_def *d = catalog_find(&srv->catalog, name);
        if (!d) {
            stage_error_set(err, 2501, "UnknownStage", "Stage '%s' does not exist", name);
            return NULL;
        }
        if (!stage_may(d, user, rights)) {
            stage_error_set(err, 1063, "PermissionDenied",
                            "Permission denied: privilege [%s] is required on STAGE %s for user "
                            "'%s'@'%%'",
                            rights & STAGE_WRITE ? "Write" : "Read", name, user);
            return NULL;
        }
        if (d->type == STAGE_EXTERNAL) {
            stage_error_set(
                err, 3902, "StorageUnsupported",
                "stage '%s' is on %s, and object storage is not available in this version", name,
                d->url);
            return NULL;
        }
        snprintf(root, sizeof(root), "%s/stages/internal/%s", srv->cfg->data_dir, name);
    }
    struct storage *st = storage_fs_new(srv->loop, root, tmp);
    if (!st)
        stage_error_set(err, 4000, "StorageOther", "out of memory");
    return st;
}

int stage_pattern_compile(struct stage_pattern *p, const char *pattern, struct stage_error *err)
{
    int code;
    PCRE2_SIZE off;
    memset(p, 0, sizeof(*p));
    p->re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                          PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
                          &code, &off, NULL);
    if (!p->re) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(code, msg, sizeof(msg));
        return stage_error_set(err, 1005, "SyntaxException",
                               "Pattern format invalid, got:%s, error:%s", pattern,
                               (const char *)msg);
    }
    p->md = pcre2_match_data_create_from_pattern(p->re, NULL);
    p->mctx = pcre2_match_context_create(NULL);
    if (!p->md || !p->mctx) {
        stage_pattern_free(p);
        return stage_error_set(err, 4000, "StorageOther", "out of memory");
    }
    pcre2_set_match_limit(p->mctx, PATTERN_MATCH_LIMIT);
    pcre2_set_depth_limit(p->mctx, PATTERN_DEPTH_LIMIT);
    return 0;
}

int stage_pattern_match(const struct stage_pattern *p, const char *path, const char *key)
{
    size_t pl = strlen(path);
    if (!p->re || strcmp(key, path) == 0)
        return 1;
    const char *rest = key + pl;
    int rc = pcre2_match(p->re, (PCRE2_SPTR)rest, strlen(rest), 0, 0, p->md, p->mctx);
    if (rc >= 0)
        return 1;
    if (rc == PCRE2_ERROR_NOMATCH || rc == PCRE2_ERROR_BADUTFOFFSET || rc <= PCRE2_ERROR_UTF8_ERR1)
        return 0;
    return -1; /* match or depth limit: a catastrophic pattern */
}

void stage_pattern_free(struct stage_pattern *p)
{
    pcre2_code_free(p->re);
    pcre2_match_data_free(p->md);
    pcre2_match_context_free(p->mctx);
    memset(p, 0, sizeof(*p));
}

void stage_format_mtime(int64_t ms, char *out, size_t len)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(out, len, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(out + n, len - n, ".%03d +0000", (int)(ms % 1000));
}
