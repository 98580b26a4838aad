#include "server/stage_store.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "server/log.h"
#include "server/presign.h"
#include "server/process.h"
#include "storage/fs.h"
#include "storage/fs_md5.h"
#include "storage/s3.h"

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

static void tuning_of(const struct config *cfg, struct s3_tuning *t)
{
    t->timeout_s = (int)cfg->s3_timeout;
    t->retries = (int)cfg->s3_retries;
    t->list_max_keys = (int)cfg->s3_list_page;
    t->part_size = (size_t)cfg->s3_part_size << 20;
    t->parts_inflight = (int)cfg->s3_parts_inflight;
}

int stage_store_init(struct server *srv)
{
    const struct config *cfg = srv->cfg;
    if (presign_key_load(srv) < 0)
        return -1;
    srv->s3 = s3_client_new(srv->loop);
    if (!srv->s3) {
        log_error("cannot start the S3 client");
        return -1;
    }
    if (!*cfg->storage)
        return 0;
    struct s3_tuning tuning;
    char err[256];
    tuning_of(cfg, &tuning);
    srv->own_storage = calloc(1, sizeof(*srv->own_storage));
    if (!srv->own_storage ||
        s3_target_init(srv->own_storage, cfg->storage, cfg->storage_endpoint, cfg->storage_region,
                       cfg->storage_access_key_id, cfg->storage_secret_access_key,
                       cfg->storage_session_token, strcasecmp(cfg->storage_virtual_host, "on") == 0,
                       &tuning, err, sizeof(err)) < 0) {
        log_error("storage %s: %s", cfg->storage, srv->own_storage ? err : "out of memory");
        free(srv->own_storage);
        srv->own_storage = NULL;
        s3_client_close(srv->s3);
        srv->s3 = NULL;
        return -1;
    }
    log_info("internal and user stages live in %s at %s", cfg->storage, srv->own_storage->base);
    return 0;
}

void stage_store_close(struct server *srv)
{
    /* a file whose MD5 is not done keeps its mark: the next start hashes it */
    fs_md5_stop_background();
    s3_client_close(srv->s3);
    srv->s3 = NULL;
    if (srv->own_storage) {
        s3_target_free(srv->own_storage);
        free(srv->own_storage);
        srv->own_storage = NULL;
    }
}

static const char *conn_get(const struct stage_def *d, const char *key)
{
    json_t *v = d->connection ? json_object_get(d->connection, key) : NULL;
    return v && json_is_string(v) ? json_string_value(v) : NULL;
}

static struct storage *open_s3(struct server *srv, const struct s3_target *t,
                               struct stage_error *err)
{
    struct storage *st = srv->s3 ? storage_s3_new(srv->s3, t) : NULL;
    if (!st)
        stage_error_set(err, 4000, "StorageOther", "out of memory");
    return st;
}

/* The bucket behind an external stage; 0, or -1 with *err filled. */
static int external_target(struct server *srv, const struct stage_def *d, struct s3_target *t,
                           struct stage_error *err)
{
    if (strncasecmp(d->url, "s3://", 5) != 0 && strncasecmp(d->url, "s3a://", 6) != 0) {
        stage_error_set(err, 3902, "StorageUnsupported",
                        "stage '%s' is on %s, and only s3:// object storage is available in "
                        "this version",
                        d->name, d->url);
        return -1;
    }
    struct s3_tuning tuning;
    char why[256];
    const char *vhost = conn_get(d, "enable_virtual_host_style");
    tuning_of(srv->cfg, &tuning);
    if (s3_target_init(t, d->url, conn_get(d, "endpoint_url"), conn_get(d, "region"),
                       conn_get(d, "access_key_id"), conn_get(d, "secret_access_key"),
                       conn_get(d, "session_token"), vhost && strcasecmp(vhost, "true") == 0,
                       &tuning, why, sizeof(why)) < 0) {
        stage_error_set(err, 2002, "InvalidConfig",
                        "Input storage config for stage is invalid: stage '%s': %s", d->name, why);
        return -1;
    }
    return 0;
}

static struct storage *open_external(struct server *srv, const struct stage_def *d,
                                     struct stage_error *err)
{
    struct s3_target t;
    if (external_target(srv, d, &t, err) < 0)
        return NULL;
    struct storage *st = open_s3(srv, &t, err);
    s3_target_free(&t);
    return st;
}

int stage_store_check(struct server *srv, const struct stage_def *d, struct stage_error *err)
{
    struct s3_target t;
    if (d->type != STAGE_EXTERNAL)
        return 0;
    if (external_target(srv, d, &t, err) < 0)
        return err->code == 3902 ? 0 : -1; /* kept for a version that has the driver */
    s3_target_free(&t);
    return 0;
}

/* Internal and user stages: below the data dir, or below --storage. */
static struct storage *open_own(struct server *srv, const char *sub, struct stage_error *err)
{
    char root[4096], tmp[4096];
    if (srv->own_storage) {
        struct s3_target t;
        if (s3_target_copy(&t, srv->own_storage) < 0) {
            stage_error_set(err, 4000, "StorageOther", "out of memory");
            return NULL;
        }
        snprintf(root, sizeof(root), "%sstages/%s/", srv->own_storage->prefix, sub);
        free(t.prefix);
        t.prefix = strdup(root);
        struct storage *st = t.prefix ? open_s3(srv, &t, err) : NULL;
        s3_target_free(&t);
        return st;
    }
    snprintf(tmp, sizeof(tmp), "%s/tmp", srv->cfg->data_dir);
    snprintf(root, sizeof(root), "%s/stages/%s", srv->cfg->data_dir, sub);
    struct storage *st = storage_fs_new(srv->loop, root, tmp);
    if (!st)
        stage_error_set(err, 4000, "StorageOther", "out of memory");
    return st;
}

struct storage *stage_store_open(struct server *srv, const char *user, const char *name, int rights,
                                 struct stage_error *err)
{
    char sub[512];
    if (strcmp(name, "~") == 0) {
        snprintf(sub, sizeof(sub), "user/%s", user);
        return open_own(srv, sub, err);
    }
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
    if (d->type == STAGE_EXTERNAL)
        return open_external(srv, d, err);
    snprintf(sub, sizeof(sub), "internal/%s", name);
    return open_own(srv, sub, err);
}

int stage_storage_failure(struct storage *st, const char *what, const char *key, int status,
                          struct stage_error *err)
{
    const char *driver = st && st->ops->last_error ? st->ops->last_error(st) : NULL;
    if (driver && *driver) {
        size_t n = strlen(driver);
        while (n && driver[n - 1] == '.') /* the error format adds its own */
            n--;
        stage_error_set(err, 4000, "StorageOther", "%.*s", (int)n, driver);
    } else
        stage_error_set(err, 4000, "StorageOther", "cannot %s '%s': %s", what, key ? key : "",
                        strerror(-status));
    return st && st->remote ? 502 : status == -ENOSPC ? 507 : 500;
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
