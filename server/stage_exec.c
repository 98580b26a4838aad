#include "server/stage_exec.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "protocol/mysql_packet.h"
#include "protocol/stage_sql.h"
#include "server/catalog.h"
#include "server/log.h"
#include "server/mysql_conn.h"
#include "server/mysql_result.h"
#include "server/mysql_stmt.h"
#include "server/process.h"
#include "server/session.h"
#include "server/session_eval.h"
#include "server/session_time.h"
#include "server/stage_internal.h"
#include "server/stage_options.h"
#include "server/stage_writes.h"
#include "storage/fs.h"

/* ---- errors in Databend's form ---- */

int stage_err(struct mysql_conn *c, int code, const char *name, const char *fmt, ...)
{
    struct stage_error err;
    va_list ap;
    va_start(ap, fmt);
    stage_error_setv(&err, code, name, fmt, ap);
    va_end(ap);
    return stage_send_error(c, &err);
}

int stage_storage_err(struct mysql_conn *c, struct storage *st, const char *what, const char *key,
                      int status)
{
    struct stage_error err;
    stage_storage_failure(st, what, key, status, &err);
    return stage_send_error(c, &err);
}

int stage_send_error(struct mysql_conn *c, const struct stage_error *err)
{
    mysql_conn_send_err_text(c, 1105, "HY000", err->text);
    return -1;
}

int stage_unknown(struct mysql_conn *c, const char *name)
{
    return stage_err(c, 2501, "UnknownStage", "Stage '%s' does not exist", name);
}

int stage_parse_failed(struct mysql_conn *c, struct stage_stmt *st)
{
    stage_err(c, st->err_code, st->err_name, "%s", st->err_msg);
    stage_stmt_free(st);
    return -1;
}

/* ---- module ---- */

static int make_dir(const char *base, const char *sub, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", base, sub);
    if (mkdir(out, 0700) < 0 && errno != EEXIST) {
        log_error("cannot create %s: %s", out, strerror(errno));
        return -1;
    }
    return 0;
}

/* Temp files of uploads cut short by a crash are never renamed into a stage. */
static void clean_tmp_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (strncmp(de->d_name, "upload-", 7) == 0 && unlinkat(dirfd(d), de->d_name, 0) == 0)
            log_info("removed an unfinished upload: %s/%s", dir, de->d_name);
    }
    if (d)
        closedir(d);
}

int stage_module_init(struct server *srv)
{
    char path[4096], err[512];
    const char *data = srv->cfg->data_dir;
    if (make_dir(data, "stages", path, sizeof(path)) < 0 ||
        make_dir(data, "stages/internal", path, sizeof(path)) < 0 ||
        make_dir(data, "stages/user", path, sizeof(path)) < 0 ||
        make_dir(data, "tmp", path, sizeof(path)) < 0)
        return -1;
    clean_tmp_dir(path);
    if (catalog_load(&srv->catalog, srv->loop, data, err, sizeof(err)) < 0) {
        log_error("%s", err);
        log_error("refusing to start with an unreadable catalog; fix or restore it");
        return -1;
    }
    log_info("catalog: %zu stages", srv->catalog.n);
    return 0;
}

void stage_module_free(struct server *srv)
{
    catalog_free(&srv->catalog);
}

/* ---- CREATE / DROP: catalog changes made durable before the answer ---- */

struct commit_op {
    struct mysql_conn *c;
    struct stage_def *undo_put; /* put back on failure (DROP) */
    char *undo_take;            /* taken out again on failure (CREATE) */
    char *writes_stopped;       /* uploads to it resume once the change is saved or undone */
};

/* What the op still holds: stopped uploads resume, the rest is freed. */
static void commit_op_clear(struct commit_op *op)
{
    stage_writes_resume(op->c->srv, op->writes_stopped);
    stage_def_free(op->undo_put);
    free(op->undo_take);
    free(op->writes_stopped);
}

/* The change could not be saved: the catalog as it was before. */
static void commit_undo(struct catalog *cat, struct stage_def **undo_put, const char *undo_take)
{
    if (undo_take)
        stage_def_free(catalog_take(cat, undo_take));
    if (*undo_put && catalog_put(cat, *undo_put) == 0)
        *undo_put = NULL;
}

static void commit_done_cb(void *arg, int status)
{
    struct commit_op *op = arg;
    struct mysql_conn *c = op->c;
    struct catalog *cat = &c->srv->catalog;
    int rc = 0;
    if (status < 0) {
        log_error("cannot save the catalog %s: %s", cat->path, strerror(-status));
        commit_undo(cat, &op->undo_put, op->undo_take);
        if (!stage_conn_gone(c))
            stage_err(c, 4000, "StorageOther", "cannot save the catalog: %s", strerror(-status));
        rc = -1;
    } else if (!stage_conn_gone(c)) {
        mysql_conn_send_ok(c, 0, 0, NULL);
    }
    commit_op_clear(op);
    free(op);
    mysql_command_statement_done(c, rc);
}

/* Applies nothing itself: the caller changed the catalog already. Takes
 * `undo_put` and `writes_stopped` (a purge's stopped uploads, or NULL).
 * In an asynchronous statement a failure also ends it. */
static int commit_catalog(struct mysql_conn *c, struct stage_def *undo_put, const char *undo_take,
                          char *writes_stopped, bool already_async)
{
    struct commit_op *op = calloc(1, sizeof(*op)), oom;
    struct commit_op *o = op ? op : &oom; /* out of memory: only to undo */
    *o = (struct commit_op){.c = c, .undo_put = undo_put, .writes_stopped = writes_stopped};
    o->undo_take = undo_take ? strdup(undo_take) : NULL;
    if (!op || (undo_take && !op->undo_take) ||
        catalog_commit(&c->srv->catalog, commit_done_cb, op) < 0) {
        commit_undo(&c->srv->catalog, &o->undo_put, undo_take);
        commit_op_clear(o);
        free(op);
        int rc = stage_err(c, 4000, "StorageOther", "out of memory");
        if (already_async)
            mysql_command_statement_done(c, rc);
        return rc;
    }
    if (!already_async)
        mysql_conn_async_begin(c);
    return 1;
}

static void creator_of(struct mysql_conn *c, char *out, size_t len)
{
    snprintf(out, len, "'%s'@'%%'", c->sess->user);
}

/* Refuses a statement on a stage the session user may not touch. */
static int refuse_unless_may(struct mysql_conn *c, const struct stage_def *d, int rights)
{
    if (stage_may(d, c->sess->user, rights))
        return 0;
    struct stage_error err;
    stage_error_set(&err, 1063, "PermissionDenied",
                    "Permission denied: privilege [%s] is required on STAGE %s for user '%s'@'%%'",
                    rights & STAGE_WRITE ? "Write" : "Read", d->name, c->sess->user);
    return stage_send_error(c, &err);
}

static int64_t now_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* DROP and CREATE OR REPLACE of an internal stage: uploads to it are
 * stopped and waited for before its files are purged, so that none lands
 * after the purge; they are welcome again once the catalog change is over. */
static void purge_writes_stopped_cb(void *arg)
{
    struct list_op *op = arg;
    struct mysql_conn *c = op->c;
    if (stage_conn_gone(c)) {
        stage_list_op_free(op);
        mysql_command_statement_done(c, -1);
        return;
    }
    /* a copy: a failed start frees the op before naming the stage */
    char *name = strdup(op->writes_stopped);
    int rc = name ? stage_list_start(op, name, "", NULL) : -1;
    if (!name) {
        stage_list_op_free(op);
        stage_err(c, 4000, "StorageOther", "out of memory");
    }
    if (rc < 0)
        mysql_command_statement_done(c, -1);
    free(name);
}

static int writes_stop_failed(struct mysql_conn *c, const char *name, int rc)
{
    if (rc == -EBUSY)
        return stage_err(c, 2501, "UnknownStage",
                         "Stage '%s' is being dropped or replaced by another statement", name);
    return stage_err(c, 4000, "StorageOther", "out of memory");
}

static int purge_start(struct list_op *op, const char *name)
{
    struct mysql_conn *c = op->c;
    if (!(op->writes_stopped = strdup(name))) {
        stage_list_op_free(op);
        return stage_err(c, 4000, "StorageOther", "out of memory");
    }
    int rc = stage_writes_stop(c->srv, name, purge_writes_stopped_cb, op);
    if (rc < 0) {
        free(op->writes_stopped); /* not ours to resume */
        op->writes_stopped = NULL;
        stage_list_op_free(op);
        return writes_stop_failed(c, name, rc);
    }
    if (rc == 0)
        return stage_list_start(op, name, "", NULL);
    mysql_conn_async_begin(c);
    return 1;
}

static char *take_writes_stopped(struct list_op *op)
{
    char *name = op->writes_stopped;
    op->writes_stopped = NULL;
    return name;
}

/* After the old internal stage's files are gone: the new definition. */
static void replace_after_purge(struct list_op *op, int status)
{
    struct mysql_conn *c = op->c;
    struct stage_def *def = op->def;
    op->def = NULL;
    char *stopped = take_writes_stopped(op);
    stage_list_op_free(op);
    char *name = status < 0 || stage_conn_gone(c) ? NULL : strdup(def->name);
    if (!name || catalog_put(&c->srv->catalog, def) < 0) {
        if (name || (status == 0 && !stage_conn_gone(c)))
            stage_err(c, 4000, "StorageOther", "out of memory");
        free(name);
        stage_def_free(def);
        stage_writes_resume(c->srv, stopped);
        free(stopped);
        mysql_command_statement_done(c, -1);
        return;
    }
    /* a failed save takes the new definition out again; the old one is gone with its files */
    commit_catalog(c, NULL, name, stopped, true);
    free(name);
}

/* DROP and CREATE OR REPLACE of an external stage keep its objects, but
 * stop uploads to it and wait for them all the same: one that landed after
 * the answer would put an object where no stage points any more. */
struct external_change {
    struct mysql_conn *c;
    char *name;            /* its uploads resume once the change is saved or undone */
    struct stage_def *def; /* CREATE OR REPLACE: the new definition; DROP: NULL */
};

static int external_apply(struct external_change *x, bool already_async)
{
    struct mysql_conn *c = x->c;
    char *name = x->name;
    struct stage_def *def = x->def;
    free(x);
    if (!def)
        return commit_catalog(c, catalog_take(&c->srv->catalog, name), NULL, name, already_async);
    if (catalog_put(&c->srv->catalog, def) == 0)
        return commit_catalog(c, NULL, NULL, name, already_async);
    stage_def_free(def);
    stage_writes_resume(c->srv, name);
    free(name);
    int rc = stage_err(c, 4000, "StorageOther", "out of memory");
    if (already_async)
        mysql_command_statement_done(c, rc);
    return rc;
}

static void external_writes_stopped_cb(void *arg)
{
    struct external_change *x = arg;
    struct mysql_conn *c = x->c;
    if (!stage_conn_gone(c)) {
        external_apply(x, true);
        return;
    }
    stage_writes_resume(c->srv, x->name); /* the client left: no change */
    stage_def_free(x->def);
    free(x->name);
    free(x);
    mysql_command_statement_done(c, -1);
}

/* Takes `def` (NULL for DROP). */
static int external_change_start(struct mysql_conn *c, const char *name, struct stage_def *def)
{
    struct external_change *x = calloc(1, sizeof(*x));
    if (!x || !(x->name = strdup(name))) {
        free(x);
        stage_def_free(def);
        return stage_err(c, 4000, "StorageOther", "out of memory");
    }
    x->c = c;
    x->def = def;
    int rc = stage_writes_stop(c->srv, name, external_writes_stopped_cb, x);
    if (rc == 0)
        return external_apply(x, false);
    if (rc == 1) {
        mysql_conn_async_begin(c);
        return 1;
    }
    stage_def_free(def);
    free(x->name);
    free(x);
    return writes_stop_failed(c, name, rc);
}

static int exec_create(struct mysql_conn *c, const char *sql, size_t len)
{
    struct stage_stmt st;
    if (stage_sql_parse(sql, len, STAGE_STMT_CREATE, &st) < 0)
        return stage_parse_failed(c, &st);
    int rc;
    if (strcmp(st.name, "~") == 0) {
        rc = stage_err(c, 2506, "StagePermissionDenied", "user stage is not allowed to be created");
    } else if (strcasecmp(st.name, "_databend_load") == 0) {
        rc = stage_err(c, 2004, "InvalidArgument",
                       "Can not create stage with name `_databend_load`, which is reserved");
    } else {
        struct stage_def *old = catalog_find(&c->srv->catalog, st.name);
        if (old && st.if_not_exists) {
            mysql_conn_send_ok(c, 0, 0, NULL);
            rc = 0;
        } else if (old && !st.or_replace) {
            rc = stage_err(c, 2502, "StageAlreadyExists", "Stage '%s' already exists", st.name);
        } else if (old && refuse_unless_may(c, old, STAGE_READ | STAGE_WRITE) < 0) {
            rc = -1;
        } else {
            char why[300];
            int code = 0;
            const char *code_name = NULL;
            struct stage_def *def = stage_options_build(&st, why, sizeof(why), &code, &code_name);
            struct stage_error serr;
            if (!def) {
                rc = stage_err(c, code, code_name, "%s", why);
            } else if (stage_store_check(c->srv, def, &serr) < 0) {
                stage_def_free(def);
                rc = stage_send_error(c, &serr);
            } else {
                char creator[160];
                creator_of(c, creator, sizeof(creator));
                def->creator = strdup(creator);
                def->created_on_us = now_us();
                if (old && old->type == STAGE_INTERNAL) {
                    /* OR REPLACE of an internal stage: its files go first */
                    struct list_op *op = stage_list_op_new(c, LIST_PURGE);
                    if (!op) {
                        stage_def_free(def);
                        rc = stage_err(c, 4000, "StorageOther", "out of memory");
                    } else {
                        op->def = def;
                        op->done = replace_after_purge;
                        rc = purge_start(op, st.name);
                    }
                } else if (old) {
                    rc = external_change_start(c, st.name, def);
                } else if (catalog_put(&c->srv->catalog, def) < 0) {
                    stage_def_free(def);
                    rc = stage_err(c, 4000, "StorageOther", "out of memory");
                } else {
                    rc = commit_catalog(c, NULL, st.name, NULL, false);
                }
            }
        }
    }
    stage_stmt_free(&st);
    return rc;
}

static void drop_after_purge(struct list_op *op, int status)
{
    struct mysql_conn *c = op->c;
    char *name = op->name;
    op->name = NULL;
    char *stopped = take_writes_stopped(op);
    stage_list_op_free(op);
    struct stage_def *d = status < 0 ? NULL : catalog_take(&c->srv->catalog, name);
    free(name);
    if (!d) {
        /* a failed delete leaves the stage (and what is left of its files) */
        stage_writes_resume(c->srv, stopped);
        free(stopped);
        mysql_command_statement_done(c, -1);
        return;
    }
    commit_catalog(c, d, NULL, stopped, true);
}

static int exec_drop(struct mysql_conn *c, const char *sql, size_t len)
{
    struct stage_stmt st;
    if (stage_sql_parse(sql, len, STAGE_STMT_DROP, &st) < 0)
        return stage_parse_failed(c, &st);
    int rc;
    struct stage_def *d = catalog_find(&c->srv->catalog, st.name);
    if (strcmp(st.name, "~") == 0) {
        rc = stage_err(c, 2506, "StagePermissionDenied", "user stage is not allowed to be dropped");
    } else if (!d && st.if_exists) {
        mysql_conn_send_ok(c, 0, 0, NULL);
        rc = 0;
    } else if (!d) {
        rc = stage_unknown(c, st.name);
    } else if (refuse_unless_may(c, d, STAGE_READ | STAGE_WRITE) < 0) {
        rc = -1;
    } else if (d->type == STAGE_INTERNAL) {
        /* the files first, so a failed delete never leaves a stage's files behind */
        struct list_op *op = stage_list_op_new(c, LIST_PURGE);
        if (!op || !(op->name = strdup(st.name))) {
            free(op);
            rc = stage_err(c, 4000, "StorageOther", "out of memory");
        } else {
            op->done = drop_after_purge;
            rc = purge_start(op, st.name);
        }
    } else {
        rc = external_change_start(c, st.name, NULL);
    }
    stage_stmt_free(&st);
    return rc;
}

/* ---- DESC STAGE and SHOW STAGES ---- */

struct mysql_column stage_text_col(const char *name, uint16_t flags)
{
    struct mysql_column c = {
        .name = name, .type = MYSQL_TYPE_VAR_STRING, .length = 16382, .flags = flags};
    return c;
}

static struct mysql_column files_col(void)
{
    struct mysql_column c = {.name = "number_of_files",
                             .type = MYSQL_TYPE_LONGLONG,
                             .charset = MYSQL_CHARSET_BINARY,
                             .length = 20,
                             .flags = MYSQL_FLAG_UNSIGNED | MYSQL_FLAG_BINARY | MYSQL_FLAG_NUM};
    return c;
}

static struct mysql_column time_col(void)
{
    struct mysql_column c = {.name = "created_on",
                             .type = MYSQL_TYPE_DATETIME,
                             .charset = MYSQL_CHARSET_BINARY,
                             .length = 26,
                             .decimals = 6,
                             .flags = MYSQL_FLAG_NOT_NULL | MYSQL_FLAG_BINARY};
    return c;
}

void stage_send_values(struct mysql_conn *c, const struct mysql_column *cols, const char **vals,
                       size_t n)
{
    struct mysql_value v[16];
    for (size_t i = 0; i < n; i++) {
        v[i].null = vals[i] == NULL;
        v[i].s = vals[i] ? vals[i] : "";
        v[i].len = vals[i] ? strlen(vals[i]) : 0;
    }
    mysql_result_row(c, cols, v, n);
}

static int exec_desc(struct mysql_conn *c, const char *sql, size_t len)
{
    struct stage_stmt st;
    if (stage_sql_parse(sql, len, STAGE_STMT_DESC, &st) < 0)
        return stage_parse_failed(c, &st);
    struct mysql_column cols[10] = {
        stage_text_col("name", MYSQL_FLAG_NOT_NULL),
        stage_text_col("stage_type", MYSQL_FLAG_NOT_NULL),
        stage_text_col("stage_params", MYSQL_FLAG_NOT_NULL),
        stage_text_col("copy_options", MYSQL_FLAG_NOT_NULL),
        stage_text_col("file_format_options", MYSQL_FLAG_NOT_NULL),
        files_col(),
        stage_text_col("creator", 0),
        time_col(),
        stage_text_col("comment", MYSQL_FLAG_NOT_NULL),
        stage_text_col("owner", 0),
    };
    mysql_result_begin(c, cols, 10);
    /* an unknown or invisible stage is an empty result, as in Databend */
    struct stage_def *d = catalog_find(&c->srv->catalog, st.name);
    if (d && stage_may(d, c->sess->user, STAGE_READ)) {
        char params[2048], format[1024], created[40];
        stage_options_render_params(d, c->srv->cfg->data_dir, params, sizeof(params));
        stage_options_render_format(d, format, sizeof(format));
        time_format_datetime_us(d->created_on_us, ' ', created, sizeof(created));
        const char *vals[10] = {d->name,    d->type == STAGE_INTERNAL ? "Internal" : "External",
                                params,     STAGE_COPY_OPTIONS_TEXT,
                                format,     d->type == STAGE_INTERNAL ? "0" : NULL,
                                d->creator, created,
                                d->comment, NULL};
        stage_send_values(c, cols, vals, 10);
    }
    mysql_result_end(c);
    stage_stmt_free(&st);
    return 0;
}

static int exec_show(struct mysql_conn *c, const char *sql, size_t len)
{
    struct stage_stmt st;
    if (stage_sql_parse(sql, len, STAGE_STMT_SHOW, &st) < 0)
        return stage_parse_failed(c, &st);
    struct mysql_column cols[6] = {
        stage_text_col("name", MYSQL_FLAG_NOT_NULL),
        stage_text_col("stage_type", MYSQL_FLAG_NOT_NULL),
        files_col(),
        stage_text_col("creator", 0),
        time_col(),
        stage_text_col("comment", MYSQL_FLAG_NOT_NULL),
    };
    mysql_result_begin(c, cols, 6);
    struct catalog *cat = &c->srv->catalog;
    int64_t sent = 0;
    for (size_t i = 0; i < cat->n && (st.limit < 0 || sent < st.limit); i++) {
        struct stage_def *d = cat->stages[i]; /* sorted by name */
        if (st.like && !eval_like(d->name, strlen(d->name), st.like, strlen(st.like)))
            continue;
        if (!stage_may(d, c->sess->user, STAGE_READ))
            continue; /* only the stages the user can see */
        char created[40];
        time_format_datetime_us(d->created_on_us, ' ', created, sizeof(created));
        const char *vals[6] = {d->name,
                               d->type == STAGE_INTERNAL ? "Internal" : "External",
                               d->type == STAGE_INTERNAL ? "0" : NULL,
                               d->creator,
                               created,
                               d->comment};
        stage_send_values(c, cols, vals, 6);
        sent++;
    }
    mysql_result_end(c);
    stage_stmt_free(&st);
    return 0;
}

int stage_exec_statement(struct mysql_conn *c, enum sql_route route, const char *sql, size_t len)
{
    switch (route) {
    case SQL_ROUTE_CREATE_STAGE:
        return exec_create(c, sql, len);
    case SQL_ROUTE_DROP_STAGE:
        return exec_drop(c, sql, len);
    case SQL_ROUTE_DESC_STAGE:
        return exec_desc(c, sql, len);
    case SQL_ROUTE_SHOW_STAGES:
        return exec_show(c, sql, len);
    case SQL_ROUTE_LIST:
        return stage_list_exec(c, sql, len, STAGE_STMT_LIST);
    case SQL_ROUTE_REMOVE:
        return stage_list_exec(c, sql, len, STAGE_STMT_REMOVE);
    case SQL_ROUTE_PRESIGN:
        return stage_presign_exec(c, sql, len);
    case SQL_ROUTE_SELECT_STAGE:
        if (sql_route_is_list_stage(sql, len))
            return stage_list_exec(c, sql, len, STAGE_STMT_LIST_STAGE);
        /* SELECT FROM @stage comes with the file formats */
        mysql_conn_send_err(c, ER_STAGE_NOT_IMPLEMENTED, "SELECT FROM @stage");
        return -1;
    default:
        mysql_conn_send_err(c, ER_STAGE_NOT_IMPLEMENTED, sql_route_name(route));
        return -1;
    }
}
