/* A small SQL expression engine for what stage-only mode answers itself:
 * SELECT lists of literals, variables and functions, and queries over
 * in-memory tables (information_schema, SHOW results) with WHERE, ORDER BY,
 * DISTINCT, simple aggregates and LIMIT. */
#ifndef SP_SERVER_SESSION_EVAL_H
#define SP_SERVER_SESSION_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/sql_lexer.h"

struct session;

/* A column of an in-memory table; values are text in MySQL's text format. */
struct vtable_col {
    const char *name;
    uint8_t type;   /* MYSQL_TYPE_* */
    uint16_t flags; /* MYSQL_FLAG_* */
};

/* A materialised table: rows[r * ncols + c], NULL = SQL NULL. */
struct vtable_rows {
    const struct vtable_col *cols;
    size_t ncols;
    const char **cells;
    size_t nrows;
    size_t cap;
    char **owned; /* strings to free with the table */
    size_t n_owned, cap_owned;
};

void vtable_rows_init(struct vtable_rows *t, const struct vtable_col *cols, size_t ncols);
/* Appends a row of ncols values (copied). */
int vtable_rows_add(struct vtable_rows *t, const char *const *vals);
void vtable_rows_free(struct vtable_rows *t);

/* Resolves FROM schema.table to a table's rows; returns -ENOENT if there is
 * no such table (session_tables.c). */
int vtable_load(struct session *s, const char *schema, const char *table, struct vtable_rows *out);

/* Runs a SELECT statement; sends its result or an error. 0 / -1 as
 * session_execute. */
int eval_select(struct session *s, const char *sql, size_t len);
/* The same, with the rows of a table function (FROM name(...)) provided. */
int eval_select_with_table(struct session *s, const char *sql, size_t len, const char *name,
                           struct vtable_rows *rows);

/* A SELECT over a table function whose rows arrive page by page
 * (LIST_STAGE). When each output row needs only its input row (one table,
 * no DISTINCT), rows are filtered and sent as they come and LIMIT ends it
 * early; with ORDER BY and LIMIT only the best OFFSET + LIMIT rows are
 * kept; aggregates and GROUP BY keep one state per group. Either way
 * memory stays flat in the number of rows.
 * select_stream_open: 1 with *out set; 0 when the statement needs every
 * row first (use eval_select_with_table); -1 after sending an error.
 * `shape` gives the columns; its rows are not read. */
struct select_stream;
int select_stream_open(struct session *s, const char *sql, size_t len, const char *name,
                       struct vtable_rows *shape, struct select_stream **out);
/* One input row. 1 once LIMIT is reached (no more rows wanted), 0 to go
 * on, -ENOMEM, or -E2BIG when the groups outgrow max_select_memory.
 * Unsorted results begin with the first row. */
int select_stream_row(struct select_stream *ss, const char *const *cells);
/* Whether the result set has begun (an error can no longer replace it). */
bool select_stream_begun(const struct select_stream *ss);
/* Ends the result set (begun if no row came) and frees the stream; 0, or
 * -ENOMEM or -E2BIG with nothing sent (a DISTINCT over the groups). */
int select_stream_end(struct select_stream *ss);
/* Frees the stream without a word to the client (it is gone). */
void select_stream_free(struct select_stream *ss);

/* Sends a table as a result set, optionally filtered: SHOW ... LIKE 'p'
 * (on the first column) or SHOW ... WHERE expr (from `where_at` to the end
 * of `sql`). */
int eval_show_rows(struct session *s, struct vtable_rows *t, const char *like, const char *sql,
                   size_t len, size_t where_at);

/* SET: evaluates one value expression in text (for SET x = expr).
 * On success *out is malloc'd text or NULL for SQL NULL. */
int eval_scalar(struct session *s, const char *sql, size_t start, size_t end, char **out,
                bool *is_int);

/* MySQL LIKE with % and _ and backslash escapes, ASCII case-insensitive. */
bool eval_like(const char *s, size_t slen, const char *pat, size_t plen);

#endif
