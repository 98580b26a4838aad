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
    int order_out[SEL_MAX_TERMS]; /* ORDER BY term that names an output column, else -1 */
};

/* GROUP BY, and aggregates over the whole input (server/session_select_group.c). */
#define SEL_MAX_AGGS      32
#define SEL_MAX_ROW_CELLS 256 /* cells of a row sent; the select list's limit */
struct group;
struct keyed;
struct select_groups {
    struct evaluator *ev;
    const struct select_stmt *st;
    struct node *aggs[SEL_MAX_AGGS]; /* each once, wherever it appears */
    int naggs;
    size_t ncols;
    struct keyed **slots; /* groups and DISTINCT values; open addressing */
    size_t nslots, nkeyed;
    struct group **order; /* in order of first appearance */
    size_t n, cap;
    size_t bytes, limit;
};

static inline bool sel_grouped(const struct select_stmt *st)
{
    return st->has_agg || st->ngroups > 0;
}
/* False after setting the error (too many aggregates). */
bool sel_groups_init(struct select_groups *g, struct parser *p, struct evaluator *ev,
                     const struct select_stmt *st, const struct out_plan *pl, size_t limit);
/* One matching input row; 0, -ENOMEM, or -E2BIG past `limit` bytes. What
 * the row put in the evaluator's arena may be rewound after it. */
int sel_groups_add(struct select_groups *g, const struct row_ctx *rc);
/* The result rows in the parser's arena, one per group that passes
 * HAVING, in GROUP BY order (ORDER BY is the caller's); false when out of
 * memory. */
bool sel_groups_emit(struct select_groups *g, struct parser *p, const struct out_plan *pl,
                     struct out_row **rows, size_t *n);
void sel_groups_free(struct select_groups *g);
/* The same table as a set of rows, for DISTINCT. */
void sel_groups_init_set(struct select_groups *g, size_t limit);
/* 1 when a row with these cells (NULLs equal, text case-blind) was seen
 * before; else remembers it and gives 0, -ENOMEM or -E2BIG past the limit. */
int sel_groups_seen(struct select_groups *g, const char *const *cells, int n);
/* max_select_memory in bytes: what the rows, groups and DISTINCT values a
 * SELECT holds may take. */
size_t sel_memory_limit(const struct session *s);
/* DISTINCT over rows[0 .. *n), the first of equal rows kept; 0, -ENOMEM or
 * -E2BIG past max_select_memory. */
int sel_drop_duplicates(struct session *s, struct out_row *rows, size_t *n, int ncells);

bool sel_parse_select(struct parser *p, struct select_stmt *st);
/* Loads the FROM tables; false after setting the error. */
bool sel_load_tables(struct parser *p, struct select_stmt *st, struct vtable_rows *store);
/* Binds every clause to the table `t` (NULL without FROM) and plans the
 * output columns; false after setting the error. */
bool sel_prepare(struct parser *p, struct select_stmt *st, const struct vtable_rows *t,
                 struct out_plan *pl);
/* WHERE, and HAVING when there are no groups. */
bool sel_row_matches(struct evaluator *ev, const struct select_stmt *st, const struct row_ctx *r);
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
