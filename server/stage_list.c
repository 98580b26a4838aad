/* Listings of a stage, streamed page by page from its storage. */
#include "server/stage_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "protocol/mysql_packet.h"
#include "server/log.h"
#include "server/mysql_conn.h"
#include "server/mysql_result.h"
#include "server/mysql_stmt.h"
#include "server/process.h"
#include "server/session.h"
#include "server/stage_store.h"
#include "server/stage_writes.h"

/* ---- listings: LIST, REMOVE, LIST_STAGE and purges ---- */

const struct vtable_col stage_list_cols[STAGE_LIST_NCOLS] = {
    {"name", MYSQL_TYPE_VAR_STRING, MYSQL_FLAG_NOT_NULL},
    {"size", MYSQL_TYPE_LONGLONG, MYSQL_FLAG_NOT_NULL | MYSQL_FLAG_UNSIGNED},
    {"md5", MYSQL_TYPE_VAR_STRING, 0},
    {"last_modified", MYSQL_TYPE_VAR_STRING, MYSQL_FLAG_NOT_NULL},
    {"creator", MYSQL_TYPE_VAR_STRING, 0},
};

static void list_columns(struct mysql_column cols[STAGE_LIST_NCOLS])
{
    for (int i = 0; i < STAGE_LIST_NCOLS; i++) {
        struct mysql_column c = {.name = stage_list_cols[i].name,
                                 .type = stage_list_cols[i].type,
                                 .flags = stage_list_cols[i].flags,
                                 .length = 16382};
        if (c.type == MYSQL_TYPE_LONGLONG) {
            c.charset = MYSQL_CHARSET_BINARY;
            c.length = 20;
            c.flags |= MYSQL_FLAG_BINARY | MYSQL_FLAG_NUM;
        }
        cols[i] = c;
    }
}

void stage_list_op_free(struct list_op *op)
{
    if (op->l)
        op->st->ops->list_close(op->l);
    if (op->st)
        op->st->ops->destroy(op->st);
    for (size_t i = 0; i < op->nbatch; i++)
        free(op->batch[i]);
    free(op->batch);
    stage_pattern_free(&op->pattern);
    vtable_rows_free(&op->table);
    select_stream_free(op->stream);
    free(op->select_sql);
    stage_def_free(op->def);
    free(op->name);
    free(op->path);
    stage_writes_resume(op->c->srv, op->writes_stopped);
    free(op->writes_stopped);
    free(op);
}

/* Ends the statement with `rc` (its answer, if any, already sent). */
static void list_finish(struct list_op *op, int rc)
{
    struct mysql_conn *c = op->c;
    if (op->done) {
        list_done_fn done = op->done;
        op->done = NULL;
        done(op, rc);
        return;
    }
    stage_list_op_free(op);
    mysql_command_statement_done(c, rc);
}

bool stage_conn_gone(const struct mysql_conn *c)
{
    return c->free_when_idle || c->state != MYSQL_CONN_COMMAND;
}

static void entry_values(const struct storage_entry *e, char *size, size_t size_len, char *mtime,
                         size_t mtime_len, const char *vals[STAGE_LIST_NCOLS])
{
    snprintf(size, size_len, "%llu", (unsigned long long)e->size);
    stage_format_mtime(e->mtime_ms, mtime, mtime_len);
    vals[0] = e->key;
    vals[1] = size;
    vals[2] = e->etag;
    vals[3] = mtime;
    vals[4] = NULL;
}

static void send_row(struct mysql_conn *c, const struct storage_entry *e)
{
    struct mysql_column cols[5];
    struct mysql_value v[5];
    char size[24], mtime[48];
    const char *vals[5];
    list_columns(cols);
    entry_values(e, size, sizeof(size), mtime, sizeof(mtime), vals);
    for (int i = 0; i < 5; i++) {
        v[i].null = vals[i] == NULL;
        v[i].s = vals[i] ? vals[i] : "";
        v[i].len = vals[i] ? strlen(vals[i]) : 0;
    }
    mysql_result_row(c, cols, v, 5);
}

static void list_page_cb(void *arg, int status, const struct storage_entry *e, size_t n, bool last);

static void list_continue(struct list_op *op)
{
    op->st->ops->list_next(op->l);
}

static void list_drained(struct mysql_conn *c)
{
    struct list_op *op = c->drain_arg;
    c->drain_arg = NULL;
    if (stage_conn_gone(c)) {
        list_finish(op, -1);
        return;
    }
    list_continue(op);
}

static void remove_done_cb(void *arg, int status)
{
    struct list_op *op = arg;
    for (size_t i = 0; i < op->nbatch; i++)
        free(op->batch[i]);
    op->nbatch = 0;
    if (status < 0) {
        if (!stage_conn_gone(op->c))
            stage_storage_err(op->c, op->st, "remove", op->path, status);
        list_finish(op, -1);
        return;
    }
    if (op->l == NULL) { /* that was the last batch */
        if (op->purpose == LIST_REMOVE && !stage_conn_gone(op->c))
            mysql_conn_send_ok(op->c, 0, 0, NULL);
        list_finish(op, 0);
        return;
    }
    list_continue(op);
}

static int run_collected_select(struct list_op *op);

/* LIST answers with its columns before the first row, or with none at all. */
static void send_header(struct list_op *op)
{
    if (op->header_sent)
        return;
    struct mysql_column cols[5];
    list_columns(cols);
    mysql_result_begin(op->c, cols, 5);
    op->header_sent = true;
}

static void send_out_of_sort_memory(const struct list_op *op)
{
    char text[256];
    snprintf(text, sizeof(text),
             "the rows or groups this SELECT on LIST_STAGE holds need more than %ld MiB "
             "(max_select_memory); narrow the listing with a path or PATTERN, or give a sort "
             "a LIMIT",
             op->c->srv->cfg->max_select_memory);
    mysql_conn_send_err(op->c, ER_OUT_OF_SORTMEMORY, text);
}

/* -E2BIG or -ENOMEM from the select; an ERR may also end a result set
 * already begun (a DISTINCT sends its rows as it finds them). */
static void fail_held_memory(struct list_op *op, int err)
{
    if (err == -E2BIG)
        send_out_of_sort_memory(op);
    else
        mysql_conn_close(op->c, "out of memory");
}

static void list_ended(struct list_op *op)
{
    struct mysql_conn *c = op->c;
    op->st->ops->list_close(op->l);
    op->l = NULL;
    switch (op->purpose) {
    case LIST_ROWS:
        send_header(op);
        mysql_result_end(c);
        list_finish(op, 0);
        break;
    case LIST_COLLECT:
        list_finish(op, run_collected_select(op));
        break;
    case LIST_STREAM: {
        int err = select_stream_end(op->stream);
        op->stream = NULL;
        if (err < 0)
            fail_held_memory(op, err);
        list_finish(op, err < 0 ? -1 : 0);
        break;
    }
    case LIST_REMOVE:
    case LIST_PURGE:
        if (op->nbatch > 0) {
            if (op->st->ops->remove(op->st, op->batch, op->nbatch, remove_done_cb, op) < 0)
                remove_done_cb(op, -EIO);
            return;
        }
        if (op->purpose == LIST_REMOVE)
            mysql_conn_send_ok(c, 0, 0, NULL);
        list_finish(op, 0);
        break;
    }
}

/* A SELECT that sorts every row (ORDER BY without LIMIT) holds them;
 * past max_select_memory it stops with an error instead of growing. */
static int collect_row(struct list_op *op, const char *const *vals)
{
    size_t bytes = STAGE_LIST_NCOLS * 2 * sizeof(char *); /* cell and owner slots */
    for (size_t i = 0; i < STAGE_LIST_NCOLS; i++)
        bytes += vals[i] ? strlen(vals[i]) + 1 + 16 : 0; /* with malloc's overhead */
    op->table_bytes += bytes;
    if (op->table_bytes > (size_t)op->c->srv->cfg->max_select_memory << 20)
        return -E2BIG;
    return vtable_rows_add(&op->table, vals);
}

/* 0 to go on, 1 when no more entries are wanted (LIMIT met), -ENOMEM or
 * -E2BIG (max_select_memory). */
static int take_entry(struct list_op *op, const struct storage_entry *e)
{
    switch (op->purpose) {
    case LIST_ROWS:
        send_header(op);
        send_row(op->c, e);
        return 0;
    case LIST_COLLECT:
    case LIST_STREAM: {
        char size[24], mtime[48];
        const char *vals[STAGE_LIST_NCOLS];
        entry_values(e, size, sizeof(size), mtime, sizeof(mtime), vals);
        if (op->purpose == LIST_COLLECT)
            return collect_row(op, vals);
        return select_stream_row(op->stream, vals);
    }
    case LIST_REMOVE:
    case LIST_PURGE:
        if (!(op->batch[op->nbatch] = strdup(e->key)))
            return -ENOMEM;
        op->nbatch++;
        return 0;
    }
    return 0;
}

/* A result set already begun cannot be turned into an error. */
static bool result_begun(const struct list_op *op)
{
    return op->stream ? select_stream_begun(op->stream) : op->header_sent;
}

static void list_page_cb(void *arg, int status, const struct storage_entry *e, size_t n, bool last)
{
    struct list_op *op = arg;
    struct mysql_conn *c = op->c;
    if (stage_conn_gone(c)) {
        list_finish(op, -1);
        return;
    }
    if (status < 0) {
        if (result_begun(op)) /* cut it */
            mysql_conn_close(c, "storage failed during LIST");
        else
            stage_storage_err(c, op->st, "list", op->path, status);
        list_finish(op, -1);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        int m = stage_pattern_match(&op->pattern, op->path, e[i].key);
        if (m < 0) {
            if (result_begun(op))
                mysql_conn_close(c, "pattern too complex");
            else
                stage_err(c, 1005, "SyntaxException",
                          "Pattern too complex: match limit exceeded on '%s'", e[i].key);
            list_finish(op, -1);
            return;
        }
        int rc = m ? take_entry(op, &e[i]) : 0;
        if (rc < 0) {
            fail_held_memory(op, rc);
            list_finish(op, -1);
            return;
        }
        if (rc == 1) { /* LIMIT met: the rest is not listed */
            list_ended(op);
            return;
        }
    }
    if (last) {
        list_ended(op);
        return;
    }
    if ((op->purpose == LIST_REMOVE || op->purpose == LIST_PURGE) && op->nbatch > 0) {
        if (op->st->ops->remove(op->st, op->batch, op->nbatch, remove_done_cb, op) < 0)
            remove_done_cb(op, -EIO);
        return;
    }
    mysql_conn_flush(c);
    if (mysql_conn_backlogged(c)) {
        c->drain_arg = op;
        c->on_drain = list_drained; /* the client reads slower than we list */
        return;
    }
    list_continue(op);
}

/* Starts a listing of `name`/`path`; the op is freed on failure. */
int stage_list_start(struct list_op *op, const char *name, const char *path, const char *pattern)
{
    struct mysql_conn *c = op->c;
    op->path = strdup(path);
    op->batch = calloc(STORAGE_LIST_PAGE, sizeof(char *));
    if (!op->path || !op->batch) {
        stage_list_op_free(op);
        return stage_err(c, 4000, "StorageOther", "out of memory");
    }
    if (storage_prefix_check(path, strlen(path)) < 0) {
        stage_list_op_free(op);
        return stage_err(c, 1006, "BadArguments", "invalid path '%s' in stage '%s'", path, name);
    }
    struct stage_error err;
    if ((pattern && stage_pattern_compile(&op->pattern, pattern, &err) < 0) ||
        !(op->st = stage_store_open(c->srv, c->sess->user, name, op->rights, &err))) {
        stage_list_op_free(op);
        return stage_send_error(c, &err);
    }
    int rc = op->st->ops->list_start(op->st, path, list_page_cb, op, &op->l);
    if (rc < 0) {
        struct stage_error e;
        stage_storage_failure(op->st, "list", path, rc, &e);
        stage_list_op_free(op);
        return stage_send_error(c, &e);
    }
    mysql_conn_async_begin(c);
    return 1;
}

struct list_op *stage_list_op_new(struct mysql_conn *c, enum list_purpose purpose)
{
    struct list_op *op = calloc(1, sizeof(*op));
    if (op) {
        op->c = c;
        op->purpose = purpose;
        vtable_rows_init(&op->table, stage_list_cols, STAGE_LIST_NCOLS);
        op->rights =
            purpose == LIST_ROWS || purpose == LIST_COLLECT ? STAGE_READ : STAGE_READ | STAGE_WRITE;
    }
    return op;
}

int stage_list_exec(struct mysql_conn *c, const char *sql, size_t len, enum stage_stmt_kind kind)
{
    struct stage_stmt st;
    if (stage_sql_parse(sql, len, kind, &st) < 0)
        return stage_parse_failed(c, &st);
    enum list_purpose purpose = kind == STAGE_STMT_LIST     ? LIST_ROWS
                                : kind == STAGE_STMT_REMOVE ? LIST_REMOVE
                                                            : LIST_COLLECT;
    struct list_op *op = stage_list_op_new(c, purpose);
    if (!op) {
        stage_stmt_free(&st);
        return stage_err(c, 4000, "StorageOther", "out of memory");
    }
    if (kind == STAGE_STMT_LIST_STAGE) {
        int rc = select_stream_open(c->sess, sql, len, "LIST_STAGE", &op->table, &op->stream);
        if (rc < 0) {
            stage_list_op_free(op);
            stage_stmt_free(&st);
            return -1;
        }
        op->purpose = rc == 1 ? LIST_STREAM : LIST_COLLECT;
        op->select_sql = rc == 1 ? NULL : strndup(sql, len);
        op->select_len = len;
    }
    int rc = stage_list_start(op, st.name, st.path, st.pattern);
    stage_stmt_free(&st);
    return rc;
}

static int run_collected_select(struct list_op *op)
{
    return eval_select_with_table(op->c->sess, op->select_sql, op->select_len, "LIST_STAGE",
                                  &op->table);
}
