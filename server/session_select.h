/* The SELECT evaluator's parts shared by the whole-table path
 * (session_select.c) and the streamed one (session_select_stream.c). */
#ifndef SP_SERVER_SESSION_SELECT_H
#define SP_SERVER_SESSION_SELECT_H

#include <stdbool.h>
#include <stddef.h>

#include "server/mysql_result.h"
#include "server/session_eval.h"
#include "server/session_expr.h"

struct out_row {
    const char **cells;
    struct val *keys; /* the ORDER BY terms */
    size_t seq;       /* input order: ties keep it */
};

struct sort_ctx {
    const struct select_stmt *st;
};

struct out_plan {
    struct mysql_column *cols;
    struct node **exprs; /* NULL entry: table column `table_col[i]` */
    int *table_col;
    int n;
    int order_out[16]; /* ORDER BY term that names an output column, else -1 */
};

bool sel_parse_select(struct parser *p, struct select_stmt *st);
/* Loads the FROM tables; false after setting the error. */
bool sel_load_tables(struct parser *p, struct select_stmt *st, struct vtable_rows *store);
bool sel_resolve_items(struct parser *p, struct select_stmt *st, const struct vtable_rows *t);
bool sel_plan_outputs(struct parser *p, struct select_stmt *st, const struct vtable_rows *t,
                      struct out_plan *pl);
bool sel_resolve_orders(struct parser *p, struct select_stmt *st, const struct vtable_rows *t,
                        const struct out_plan *pl);
const char *sel_cell_text(struct evaluator *ev, struct node *e, const struct row_ctx *r,
                          int table_col);
/* One output row (cells and sort keys) in the parser's arena. */
bool sel_emit_row(struct parser *p, struct evaluator *ev, const struct select_stmt *st,
                  const struct out_plan *pl, const struct row_ctx *r, struct out_row *out,
                  size_t seq);
/* Feeds one input row to the aggregates under `n`. */
void sel_accumulate(struct evaluator *ev, struct node *n, const struct row_ctx *r);
/* qsort_r order of ORDER BY (arg: struct sort_ctx). */
int sel_cmp_rows(const void *a, const void *b, void *arg);
/* The whole result: columns, rows[OFFSET .. OFFSET + LIMIT), end. */
void sel_send_rows(struct session *s, const struct out_plan *pl, struct out_row *rows, size_t n,
                   const struct select_stmt *st);

#endif
