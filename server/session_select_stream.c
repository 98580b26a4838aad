#define _GNU_SOURCE /* qsort_r */
/* A SELECT over a table function whose rows arrive page by page
 * (LIST_STAGE). Each input row is filtered and either sent at once or,
 * with ORDER BY and LIMIT, weighed against the best OFFSET + LIMIT rows
 * kept so far in a heap; with aggregates or GROUP BY, folded into its
 * group (session_select_group.c). What a row allocates is given back
 * after it. Memory stays flat in the number of input rows. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/mysql_conn.h"
#include "server/process.h"
#include "server/session.h"
#include "server/session_select.h"

struct select_stream {
    struct arena a;
    struct parser p;
    struct select_stmt st;
    struct out_plan pl;
    struct evaluator ev;
    bool begun;
    int64_t skipped, sent;
    /* ORDER BY ... LIMIT: a max-heap of the best rows, worst on top */
    struct out_row **heap;
    size_t nheap, keep, heap_bytes;
    size_t limit; /* max_select_memory in bytes, for the heap and the DISTINCT set together */
    size_t seq;
    /* aggregates and GROUP BY: the groups, not the rows */
    struct select_groups groups;
    bool grouped;
};

static bool streamable(struct select_stream *ss)
{
    const struct select_stmt *st = &ss->st;
    if (st->ntables != 1 || ss->p.tables[0] != ss->p.preset)
        return false;
    /* else all rows are sorted; with DISTINCT, only the distinct ones are kept */
    return sel_grouped(st) || st->norders == 0 || st->limit >= 0 || st->distinct;
}

int select_stream_open(struct session *s, const char *sql, size_t len, const char *name,
                       struct vtable_rows *shape, struct select_stream **out)
{
    *out = NULL;
    struct select_stream *ss = calloc(1, sizeof(*ss));
    if (!ss)
        return 0; /* the collecting path reports it */
    struct parser *p = &ss->p;
    *p = (struct parser){.s = s, .a = &ss->a, .preset_name = name, .preset = shape};
    struct vtable_rows *tables = arena_alloc(&ss->a, sizeof(struct vtable_rows) * 8);
    if (!tables || px_tokenize(p, sql, 0, len) < 0 || !sel_parse_select(p, &ss->st) ||
        !sel_load_tables(p, &ss->st, tables)) {
        px_finish(p, -1);
        free(ss);
        return -1;
    }
    if (!streamable(ss)) {
        select_stream_free(ss);
        return 0;
    }
    ss->ev = (struct evaluator){s, &ss->a, shape};
    size_t limit = ss->limit = sel_memory_limit(s);
    ss->grouped = sel_grouped(&ss->st);
    if (!sel_prepare(p, &ss->st, shape, &ss->pl) ||
        (ss->grouped && !sel_groups_init(&ss->groups, p, &ss->ev, &ss->st, &ss->pl, limit))) {
        px_finish(p, -1);
        free(ss);
        return -1;
    }
    if (!ss->grouped && ss->st.distinct) /* the rows given so far, to skip their equals */
        sel_groups_init_set(&ss->groups, limit);
    if (ss->st.norders > 0 && !ss->grouped) {
        uint64_t off = ss->st.offset > 0 ? (uint64_t)ss->st.offset : 0;
        uint64_t keep = off + (uint64_t)ss->st.limit;
        ss->keep = keep < off || keep > SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)keep;
    }
    *out = ss;
    return 1;
}

static size_t row_size(const struct out_row *r, int ncells, int nkeys)
{
    size_t size = sizeof(*r) + sizeof(char *) * (size_t)ncells + sizeof(struct val) * (size_t)nkeys;
    for (int i = 0; i < ncells; i++)
        size += r->cells[i] ? strlen(r->cells[i]) + 1 : 0;
    for (int i = 0; i < nkeys; i++)
        size += r->keys[i].t == V_STR ? r->keys[i].len + 1 : 0;
    return size;
}

/* A kept row in one block of its own: the arena is rewound after each row. */
static struct out_row *copy_row(const struct out_row *r, int ncells, int nkeys)
{
    struct out_row *c = malloc(row_size(r, ncells, nkeys));
    if (!c)
        return NULL;
    c->cells = (const char **)(c + 1);
    c->keys = (struct val *)(c->cells + ncells);
    c->seq = r->seq;
    char *text = (char *)(c->keys + nkeys);
    for (int i = 0; i < ncells; i++) {
        c->cells[i] = r->cells[i] ? strcpy(text, r->cells[i]) : NULL;
        text += r->cells[i] ? strlen(r->cells[i]) + 1 : 0;
    }
    for (int i = 0; i < nkeys; i++) {
        c->keys[i] = r->keys[i];
        if (r->keys[i].t == V_STR) {
            memcpy(text, r->keys[i].s, r->keys[i].len);
            text[r->keys[i].len] = 0;
            c->keys[i].s = text;
            text += r->keys[i].len + 1;
        }
    }
    return c;
}

static int heap_cmp(struct select_stream *ss, size_t i, size_t j)
{
    struct sort_ctx sc = {&ss->st};
    return sel_cmp_rows(ss->heap[i], ss->heap[j], &sc);
}

static void heap_swap(struct select_stream *ss, size_t i, size_t j)
{
    struct out_row *t = ss->heap[i];
    ss->heap[i] = ss->heap[j];
    ss->heap[j] = t;
}

static void sift_down(struct select_stream *ss, size_t i)
{
    for (;;) {
        size_t worst = i, l = 2 * i + 1, r = l + 1;
        if (l < ss->nheap && heap_cmp(ss, l, worst) > 0)
            worst = l;
        if (r < ss->nheap && heap_cmp(ss, r, worst) > 0)
            worst = r;
        if (worst == i)
            return;
        heap_swap(ss, i, worst);
        i = worst;
    }
}

/* Keeps `r` if it is among the best `keep` rows so far; 0, -ENOMEM, or
 * -E2BIG when the kept rows outgrow max_select_memory (a large LIMIT). */
static int weigh_row(struct select_stream *ss, const struct out_row *r)
{
    struct sort_ctx sc = {&ss->st};
    int ncells = ss->pl.n, nkeys = ss->st.norders;
    if (ss->keep == 0 || (ss->nheap == ss->keep && sel_cmp_rows(r, ss->heap[0], &sc) >= 0))
        return 0;
    struct out_row *c = copy_row(r, ncells, nkeys);
    if (!c)
        return -ENOMEM;
    ss->heap_bytes += row_size(c, ncells, nkeys) + 16; /* with malloc's overhead */
    if (ss->nheap == ss->keep) {                       /* it replaces the worst */
        ss->heap_bytes -= row_size(ss->heap[0], ncells, nkeys) + 16;
        free(ss->heap[0]);
        ss->heap[0] = c;
        sift_down(ss, 0);
        return 0;
    }
    if (!(ss->nheap & (ss->nheap + 1))) { /* grow at 0, 1, 3, 7, ... */
        struct out_row **h = realloc(ss->heap, sizeof(*h) * (ss->nheap * 2 + 2));
        if (!h) {
            free(c);
            return -ENOMEM;
        }
        ss->heap = h;
        ss->heap_bytes += sizeof(*h) * (ss->nheap + 1);
    }
    size_t i = ss->nheap++;
    ss->heap[i] = c;
    while (i > 0 && heap_cmp(ss, i, (i - 1) / 2) > 0) { /* sift up */
        heap_swap(ss, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
    return ss->heap_bytes + ss->groups.bytes > ss->limit ? -E2BIG : 0;
}

static int row_cells(struct select_stream *ss, const struct row_ctx *rc, const char **cells)
{
    int n = ss->pl.n < SEL_MAX_ROW_CELLS ? ss->pl.n : SEL_MAX_ROW_CELLS;
    for (int i = 0; i < n; i++)
        cells[i] = sel_cell_text(&ss->ev, ss->pl.exprs[i], rc, ss->pl.table_col[i]);
    return n;
}

/* Sends the row; `cells` are its output cells if `n` >= 0 (DISTINCT
 * computed them), else they are computed here. */
static void send_one(struct select_stream *ss, const struct row_ctx *rc, const char **cells, int n)
{
    struct mysql_value vals[SEL_MAX_ROW_CELLS];
    if (n < 0)
        n = row_cells(ss, rc, cells);
    for (int i = 0; i < n; i++)
        vals[i] = (struct mysql_value){.null = cells[i] == NULL,
                                       .s = cells[i] ? cells[i] : "",
                                       .len = cells[i] ? strlen(cells[i]) : 0};
    mysql_result_row(ss->p.s->conn, ss->pl.cols, vals, (size_t)n);
    ss->sent++;
}

/* DISTINCT: 1 when an equal row was given before, 0 for a new one, or an
 * error. */
static int seen_row(struct select_stream *ss, const struct row_ctx *rc, const char **cells, int *n)
{
    *n = row_cells(ss, rc, cells);
    return sel_groups_seen(&ss->groups, cells, *n);
}

int select_stream_row(struct select_stream *ss, const char *const *cells)
{
    const struct select_stmt *st = &ss->st;
    bool as_they_come = st->norders == 0 && !ss->grouped; /* else all go out at the end */
    if (as_they_come && !ss->begun) {
        mysql_result_begin(ss->p.s->conn, ss->pl.cols, (size_t)ss->pl.n);
        ss->begun = true;
    }
    if (as_they_come && st->limit >= 0 && ss->sent >= st->limit)
        return 1;
    struct arena_mark m = arena_mark(&ss->a);
    struct row_ctx rc = {cells, false};
    const char *out[SEL_MAX_ROW_CELLS];
    int rc_out = 0, seen = 0, nout = -1; /* the output cells, once computed */
    if (!sel_row_matches(&ss->ev, st, &rc)) {
        /* not wanted */
    } else if (ss->grouped) {
        rc_out = sel_groups_add(&ss->groups, &rc);
    } else if (st->distinct && (seen = seen_row(ss, &rc, out, &nout)) != 0) {
        rc_out = seen < 0 ? seen : 0; /* an error, or an equal row given before */
    } else if (st->norders > 0) {
        struct out_row r;
        rc_out = sel_emit_row(&ss->p, &ss->ev, st, &ss->pl, &rc, &r, ss->seq++) ? weigh_row(ss, &r)
                                                                                : -ENOMEM;
    } else if (ss->skipped < st->offset) {
        ss->skipped++;
    } else {
        send_one(ss, &rc, out, nout);
        if (st->limit >= 0 && ss->sent >= st->limit)
            rc_out = 1;
    }
    arena_rewind(&ss->a, m);
    return rc_out;
}

/* ORDER BY ... LIMIT: the kept rows, sorted, make the result. */
static void send_kept(struct select_stream *ss)
{
    struct out_row *rows = malloc(sizeof(*rows) * (ss->nheap ? ss->nheap : 1));
    if (!rows) {
        mysql_conn_close(ss->p.s->conn, "out of memory");
        return;
    }
    for (size_t i = 0; i < ss->nheap; i++)
        rows[i] = *ss->heap[i];
    struct sort_ctx sc = {&ss->st};
    qsort_r(rows, ss->nheap, sizeof(*rows), sel_cmp_rows, &sc);
    sel_send_rows(ss->p.s, &ss->pl, rows, ss->nheap, &ss->st);
    free(rows);
}

/* Aggregates and GROUP BY: a row per group, sorted. */
static int send_groups(struct select_stream *ss)
{
    struct out_row *rows;
    size_t n;
    if (!sel_groups_emit(&ss->groups, &ss->p, &ss->pl, &rows, &n))
        return -ENOMEM;
    int err = ss->st.distinct ? sel_drop_duplicates(ss->p.s, rows, &n, ss->pl.n) : 0;
    if (err < 0)
        return err;
    if (ss->st.norders > 0) {
        struct sort_ctx sc = {&ss->st};
        qsort_r(rows, n, sizeof(*rows), sel_cmp_rows, &sc);
    }
    sel_send_rows(ss->p.s, &ss->pl, rows, n, &ss->st);
    return 0;
}

int select_stream_end(struct select_stream *ss)
{
    int err = 0;
    if (ss->grouped) {
        err = send_groups(ss);
    } else if (ss->st.norders > 0) {
        send_kept(ss);
    } else {
        if (!ss->begun)
            mysql_result_begin(ss->p.s->conn, ss->pl.cols, (size_t)ss->pl.n);
        mysql_result_end(ss->p.s->conn);
    }
    select_stream_free(ss);
    return err;
}

bool select_stream_begun(const struct select_stream *ss)
{
    return ss->begun;
}

void select_stream_free(struct select_stream *ss)
{
    if (!ss)
        return;
    for (size_t i = 0; i < ss->nheap; i++)
        free(ss->heap[i]);
    free(ss->heap);
    sel_groups_free(&ss->groups);
    px_free(&ss->p);
    arena_free(&ss->a);
    free(ss);
}
