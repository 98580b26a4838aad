/* Internals shared by the stage statements: Databend-style errors, and
 * listings of a stage (LIST, REMOVE, LIST_STAGE, and the purges of DROP
 * and CREATE OR REPLACE). */
#ifndef SP_SERVER_STAGE_INTERNAL_H
#define SP_SERVER_STAGE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "protocol/stage_sql.h"
#include "server/catalog.h"
#include "server/session_eval.h"
#include "server/stage_store.h"
#include "storage/storage.h"

struct mysql_conn;

/* ERR 1105 HY000 "Name. Code: N, Text = message."; returns -1. */
int stage_err(struct mysql_conn *c, int code, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int stage_unknown(struct mysql_conn *c, const char *name);
/* Sends a refusal built by the stage store; returns -1. */
int stage_send_error(struct mysql_conn *c, const struct stage_error *err);
struct mysql_column stage_text_col(const char *name, uint16_t flags);
void stage_send_values(struct mysql_conn *c, const struct mysql_column *cols, const char **vals,
                       size_t n);
int stage_presign_exec(struct mysql_conn *c, const char *sql, size_t len);
/* ERR 1105 for a failed storage call, in the driver's words when it has some. */
int stage_storage_err(struct mysql_conn *c, struct storage *st, const char *what, const char *key,
                      int status);
/* Sends the parser's error and frees the statement; returns -1. */
int stage_parse_failed(struct mysql_conn *c, struct stage_stmt *st);
/* The client went away while the statement waited. */
bool stage_conn_gone(const struct mysql_conn *c);

/* The columns of LIST and LIST_STAGE: name, size, md5, last_modified, creator. */
#define STAGE_LIST_NCOLS 5
extern const struct vtable_col stage_list_cols[STAGE_LIST_NCOLS];

/* LIST_STREAM: a LIST_STAGE select sent row by row as pages come;
 * LIST_COLLECT: one that needs every row first (ORDER BY, DISTINCT...). */
enum list_purpose { LIST_ROWS, LIST_REMOVE, LIST_COLLECT, LIST_STREAM, LIST_PURGE };

struct list_op;
typedef void (*list_done_fn)(struct list_op *op, int status);

struct list_op {
    struct mysql_conn *c;
    struct storage *st;
    struct storage_list *l;
    enum list_purpose purpose;
    char *path;
    struct stage_pattern pattern;
    int rights; /* what the purpose needs on the stage */
    bool header_sent;
    char **batch;
    size_t nbatch;
    struct vtable_rows table;
    size_t table_bytes; /* held by table, roughly, against max_select_memory */
    struct select_stream *stream;
    char *select_sql;
    size_t select_len;
    list_done_fn done;     /* for purges: what follows */
    struct stage_def *def; /* CREATE OR REPLACE: the new definition */
    char *name;            /* DROP: the stage */
    char *writes_stopped;  /* purges: the stage whose uploads wait, resumed when freed */
};

struct list_op *stage_list_op_new(struct mysql_conn *c, enum list_purpose purpose);
void stage_list_op_free(struct list_op *op);
/* Lists `name`/`path` (and removes, collects...); 1 when started (the op
 * ends the statement), -1 after sending an error (the op is freed). */
int stage_list_start(struct list_op *op, const char *name, const char *path, const char *pattern);
/* LIST, REMOVE and SELECT ... FROM LIST_STAGE(...). */
int stage_list_exec(struct mysql_conn *c, const char *sql, size_t len, enum stage_stmt_kind kind);

#endif
