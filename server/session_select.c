#define _GNU_SOURCE /* qsort_r */
/* SELECT over in-memory tables: planning its outputs, filtering,
 * aggregating, sorting and sending the rows. The statement is parsed in
 * session_select_parse.c; a table function's rows can instead be streamed
 * (session_select_stream.c). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "protocol/mysql_packet.h"
#include "server/mysql_conn.h"
#include "server/mysql_result.h"
#include "server/process.h"
#include "server/session.h"
#include "server/session_expr.h"
#include "server/session_select.h"

/* ---- tables ---- */

void vtable_rows_init(struct vtable_rows *t, const struct vtable_col *cols, size_t ncols)
{
    memset(t, 0, sizeof(*t));
    t->cols = cols;
    t->ncols = ncols;
}

int vtable_rows_add(struct vtable_rows *t, const char *const *vals)
{
    if ((t->nrows + 1) * t->ncols > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : t->ncols * 16;
        const char **c = realloc(t->cells, cap * sizeof(*c));
        if (!c)
            return -ENOMEM;
        t->cells = c;
        t->cap = cap;
    }
    for (size_t i = 0; i < t->ncols; i++) {
        char *copy = NULL;
        if (vals[i]) {
            if (t->n_owned == t->cap_owned) {
                size_t cap = t->cap_owned ? t->cap_owned * 2 : 64;
                char **o = realloc(t->owned, cap * sizeof(*o));
                if (!o)
                    return -ENOMEM;
                t->owned = o;
                t->cap_owned = cap;
            }
            if (!(copy = strdup(vals[i])))
                return -ENOMEM;
            t->owned[t->n_owned++] = copy;
        }
        t->cells[t->nrows * t->ncols + i] = copy;
    }
    t->nrows++;
    return 0;
}

void vtable_rows_free(struct vtable_rows *t)
{
    for (size_t i = 0; i < t->n_owned; i++)
        free(t->owned[i]);
    free(t->owned);
    free(t->cells);
    memset(t, 0, sizeof(*t));
}

/* ---- execution ---- */

int sel_cmp_rows(const void *a, const void *b, void *arg)
{
    const struct out_row *x = a, *y = b;
    const struct sort_ctx *sc = arg;
    for (int i = 0; i < sc->st->norders; i++) {
        const struct val *u = &x->keys[i], *v = &y->keys[i];
        int c;
        if (u->t == V_NULL || v->t == V_NULL)
            c = (u->t == V_NULL) == (v->t == V_NULL) ? 0
                : u->t == V_NULL                     ? -1
                                                     : 1; /* NULLs first */
        else
            c = ex_compare(u, v);
        if (c)
            return sc->st->orders[i].desc ? -c : c;
    }
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void sel_accumulate(struct evaluator *ev, struct node *n, const struct row_ctx *r)
{
    if (!n)
        return;
    if (n->k == N_FUNC && n->agg) {
        if (n->agg == 'C') {
            n->agg_count++;
            return;
        }
        struct val v = ex_eval(ev, n->args[0], r);
        if (v.t == V_NULL)
            return;
        if (n->agg == 'c') {
            n->agg_count++;
        } else if (n->agg == 's' || n->agg == 'a') {
            double sum = (n->agg_val.t == V_NULL ? 0 : n->agg_val.d) + v_num(&v);
            n->agg_val = (struct val){.t = V_DOUBLE, .d = sum};
            n->agg_count += n->agg == 'a';
        } else {
            int c = n->agg_val.t == V_NULL ? 0 : ex_compare(&v, &n->agg_val);
            if (n->agg_val.t == V_NULL || (n->agg == 'n' ? c < 0 : c > 0)) {
                struct val t = ex_to_text(ev, &v);
                n->agg_val = ex_is_numeric(&v) ? v : v_str(arena_strndup(ev->a, t.s, t.len), t.len);
            }
        }
        return;
    }
    for (int i = 0; i < n->nargs; i++)
        sel_accumulate(ev, n->args[i], r);
}

static bool sel_plan_outputs(struct parser *p, struct select_stmt *st, const struct vtable_rows *t,
                             struct out_plan *pl)
{
    int cap = 0;
    for (int i = 0; i < st->nitems; i++)
        cap += st->items[i].expr ? 1 : (t ? (int)t->ncols : 0);
    pl->cols = arena_alloc(p->a, sizeof(*pl->cols) * (size_t)(cap ? cap : 1));
    pl->exprs = arena_alloc(p->a, sizeof(*pl->exprs) * (size_t)(cap ? cap : 1));
    pl->table_col = arena_alloc(p->a, sizeof(int) * (size_t)(cap ? cap : 1));
    if (!pl->cols || !pl->exprs || !pl->table_col)
        return false;
    for (int i = 0; i < st->nitems; i++) {
        struct select_item *it = &st->items[i];
        if (!it->expr) {
            if (!t) {
                fail(p, ER_NO_TABLES_USED, "");
                return false;
            }
            if (it->star_qual && !ex_qual_matches(&st->tables[0], it->star_qual)) {
                fail(p, ER_BAD_TABLE, it->star_qual);
                return false;
            }
            for (size_t c = 0; c < t->ncols; c++) {
                pl->cols[pl->n] = ex_typed(t->cols[c].name, t->cols[c].type);
                pl->cols[pl->n].flags |= t->cols[c].flags;
                pl->cols[pl->n].table =
                    st->tables[0].alias ? st->tables[0].alias : st->tables[0].name;
                pl->table_col[pl->n] = (int)c;
                pl->exprs[pl->n++] = NULL;
            }
            continue;
        }
        pl->cols[pl->n] = ex_column_for(p->s, it->expr, t);
        pl->cols[pl->n].name = it->label;
        if (it->expr->k == N_COL)
            pl->cols[pl->n].table = st->tables[0].alias ? st->tables[0].alias : st->tables[0].name;
        pl->exprs[pl->n++] = it->expr;
    }
    for (int i = 0; i < st->norders; i++) {
        struct node *e = st->orders[i].expr;
        pl->order_out[i] = -1;
        if (e->k == N_LIT && e->lit.t == V_INT && e->lit.i >= 1 && e->lit.i <= pl->n)
            pl->order_out[i] = (int)e->lit.i - 1;
        else if (e->k == N_COL && !e->qual)
            for (int c = 0; c < pl->n; c++)
                if (strcasecmp(pl->cols[c].name, e->name) == 0)
                    pl->order_out[i] = c;
    }
    return true;
}

static bool resolve_items(struct parser *p, struct select_stmt *st, const struct vtable_rows *t)
{
    struct resolver rs = {p, t, st->ntables ? &st->tables[0] : NULL, "field list"};
    for (int i = 0; i < st->nitems; i++)
        if (!ex_resolve(&rs, st->items[i].expr))
            return false;
    rs.clause = "where clause";
    return ex_resolve(&rs, st->where);
}

/* ORDER BY terms that do not name an output column read the input row. */
static bool resolve_orders(struct parser *p, struct select_stmt *st, const struct vtable_rows *t,
                           const struct out_plan *pl)
{
    struct resolver rs = {p, t, st->ntables ? &st->tables[0] : NULL, "order clause"};
    for (int i = 0; i < st->norders; i++)
        if (pl->order_out[i] < 0 && !ex_resolve(&rs, st->orders[i].expr))
            return false;
    return true;
}

static bool table_has_column(const struct vtable_rows *t, const char *name)
{
    for (size_t i = 0; t && i < t->ncols; i++)
        if (strcasecmp(t->cols[i].name, name) == 0)
            return true;
    return false;
}

/* The output column an alias names, or -1. */
static int output_named(const struct out_plan *pl, const char *name)
{
    for (int c = 0; c < pl->n; c++)
        if (strcasecmp(pl->cols[c].name, name) == 0)
            return c;
    return -1;
}

/* The expression of output column `i`; a table column of a '*' gets a
 * node of its own. */
static struct node *output_expr(struct parser *p, const struct vtable_rows *t,
                                const struct out_plan *pl, int i)
{
    if (pl->exprs[i])
        return pl->exprs[i];
    struct node *n = arena_alloc(p->a, sizeof(*n));
    if (!n)
        return NULL;
    memset(n, 0, sizeof(*n));
    n->k = N_COL;
    n->col = pl->table_col[i];
    n->name = t->cols[n->col].name;
    n->name_len = strlen(n->name);
    return n;
}

/* A GROUP BY term: a position in the select list, a column of the table,
 * else an alias of the select list (MySQL's order of lookup). */
static bool resolve_group(struct resolver *rs, const struct out_plan *pl, struct order_item *g)
{
    struct parser *p = rs->p;
    struct node *e = g->expr;
    int out = -1;
    if (e->k == N_LIT && e->lit.t == V_INT) {
        if (e->lit.i < 1 || e->lit.i > pl->n) {
            char what[24];
            snprintf(what, sizeof(what), "%" PRId64, e->lit.i);
            px_fail(p, ER_BAD_FIELD, what, "group statement");
            return false;
        }
        out = (int)e->lit.i - 1;
    } else if (e->k == N_COL && !e->qual && !table_has_column(rs->table, e->name)) {
        out = output_named(pl, e->name);
    }
    if (out >= 0 && !(g->expr = output_expr(p, rs->table, pl, out)))
        return false;
    if (out < 0 && !ex_resolve(rs, e))
        return false;
    if (ex_contains_agg(g->expr)) {
        fail(p, ER_WRONG_GROUP_FIELD, out >= 0 ? pl->cols[out].name : px_label(p, e));
        return false;
    }
    return true;
}

/* HAVING may name aliases of the select list (MySQL's extension): they
 * stand for their expressions; a table column of that name wins. */
static struct node *having_aliases(struct parser *p, const struct vtable_rows *t,
                                   const struct out_plan *pl, struct node *n)
{
    if (!n)
        return NULL;
    int out =
        n->k == N_COL && !n->qual && !table_has_column(t, n->name) ? output_named(pl, n->name) : -1;
    struct node *e = out >= 0 ? output_expr(p, t, pl, out) : NULL;
    if (e)
        return e;
    for (int i = 0; i < n->nargs; i++)
        n->args[i] = having_aliases(p, t, pl, n->args[i]);
    return n;
}

/* An aggregate inside an aggregate's argument. */
static bool agg_nested(const struct node *n)
{
    if (!n)
        return false;
    for (int i = 0; i < n->nargs; i++)
        if (n->k == N_FUNC && n->agg ? ex_contains_agg(n->args[i]) : agg_nested(n->args[i]))
            return true;
    return false;
}

static bool resolve_grouping(struct parser *p, struct select_stmt *st, const struct vtable_rows *t,
                             const struct out_plan *pl)
{
    bool misplaced = ex_contains_agg(st->where) || agg_nested(st->having);
    for (int i = 0; i < st->nitems; i++)
        misplaced |= agg_nested(st->items[i].expr);
    for (int i = 0; i < st->norders; i++)
        misplaced |= agg_nested(st->orders[i].expr);
    if (misplaced) {
        px_fail(p, ER_INVALID_GROUP_FUNC_USE);
        return false;
    }
    struct resolver rs = {p, t, st->ntables ? &st->tables[0] : NULL, "group statement"};
    for (int i = 0; i < st->ngroups; i++)
        if (!resolve_group(&rs, pl, &st->groups[i]))
            return false;
    rs.clause = "having clause";
    st->having = having_aliases(p, t, pl, st->having);
    return !p->a->oom && ex_resolve(&rs, st->having);
}

bool sel_prepare(struct parser *p, struct select_stmt *st, const struct vtable_rows *t,
                 struct out_plan *pl)
{
    return resolve_items(p, st, t) && sel_plan_outputs(p, st, t, pl) &&
           resolve_orders(p, st, t, pl) && resolve_grouping(p, st, t, pl);
}

bool sel_row_matches(struct evaluator *ev, const struct select_stmt *st, const struct row_ctx *r)
{
    struct val v;
    if (st->where && (v = ex_eval(ev, st->where, r), !v_true(&v)))
        return false;
    /* without groups, HAVING filters the rows as WHERE does */
    return !st->having || sel_grouped(st) || (v = ex_eval(ev, st->having, r), v_true(&v));
}

const char *sel_cell_text(struct evaluator *ev, struct node *e, const struct row_ctx *r,
                          int table_col)
{
    if (!e)
        return r->cells ? r->cells[table_col] : NULL;
    struct val v = ex_eval(ev, e, r);
    if (v.t == V_NULL)
        return NULL;
    v = ex_to_text(ev, &v);
    return arena_strndup(ev->a, v.s, v.len);
}

bool sel_emit_row(struct parser *p, struct evaluator *ev, const struct select_stmt *st,
                  const struct out_plan *pl, const struct row_ctx *r, struct out_row *out,
                  size_t seq)
{
    out->cells = arena_alloc(p->a, sizeof(char *) * (size_t)(pl->n ? pl->n : 1));
    out->keys = arena_alloc(p->a, sizeof(struct val) * (size_t)(st->norders ? st->norders : 1));
    out->seq = seq;
    if (!out->cells || !out->keys)
        return false;
    for (int i = 0; i < pl->n; i++)
        out->cells[i] = sel_cell_text(ev, pl->exprs[i], r, pl->table_col[i]);
    for (int i = 0; i < st->norders; i++) {
        if (pl->order_out[i] >= 0) {
            struct node *e = pl->exprs[pl->order_out[i]];
            out->keys[i] = e ? ex_eval(ev, e, r) : v_cstr(out->cells[pl->order_out[i]]);
        } else {
            out->keys[i] = ex_eval(ev, st->orders[i].expr, r);
        }
    }
    return true;
}

void sel_send_rows(struct session *s, const struct out_plan *pl, struct out_row *rows, size_t n,
                   const struct select_stmt *st)
{
    struct mysql_conn *c = s->conn;
    struct mysql_value vals[SEL_MAX_ROW_CELLS];
    mysql_result_begin(c, pl->cols, (size_t)pl->n);
    size_t first = st->offset > 0 ? (size_t)st->offset : 0;
    size_t sent = 0;
    for (size_t r = first; r < n; r++) {
        if (st->limit >= 0 && sent >= (size_t)st->limit)
            break;
        for (int i = 0; i < pl->n && i < SEL_MAX_ROW_CELLS; i++) {
            vals[i].null = rows[r].cells[i] == NULL;
            vals[i].s = rows[r].cells[i] ? rows[r].cells[i] : "";
            vals[i].len = rows[r].cells[i] ? strlen(rows[r].cells[i]) : 0;
        }
        mysql_result_row(c, pl->cols, vals, (size_t)pl->n);
        sent++;
    }
    mysql_result_end(c);
}

size_t sel_memory_limit(const struct session *s)
{
    return (size_t)s->conn->srv->cfg->max_select_memory << 20;
}

static void fail_held_memory(struct parser *p, int err)
{
    if (err == -E2BIG)
        fail(p, ER_OUT_OF_SORTMEMORY,
             arena_printf(p->a,
                          "the groups or rows of this SELECT need more than %ld MiB "
                          "(max_select_memory)",
                          p->s->conn->srv->cfg->max_select_memory));
    else
        fail(p, ER_UNKNOWN, "out of memory");
}

/* Groups the matching rows of `t` into rows[0 .. *n). */
static bool group_rows(struct parser *p, struct evaluator *ev, struct select_stmt *st,
                       const struct out_plan *pl, struct select_groups *g, struct out_row **rows,
                       size_t *n)
{
    if (!sel_groups_init(g, p, ev, st, pl, sel_memory_limit(p->s)))
        return false;
    const struct vtable_rows *t = ev->table;
    int err = 0;
    for (size_t r = 0; r < (t ? t->nrows : 1) && err == 0; r++) {
        struct row_ctx rc = {t ? t->cells + r * t->ncols : NULL, false};
        if (sel_row_matches(ev, st, &rc))
            err = sel_groups_add(g, &rc);
    }
    if (err == 0 && !sel_groups_emit(g, p, pl, rows, n))
        err = -ENOMEM;
    if (err < 0)
        fail_held_memory(p, err);
    return err == 0;
}

int sel_drop_duplicates(struct session *s, struct out_row *rows, size_t *n, int ncells)
{
    struct select_groups set;
    sel_groups_init_set(&set, sel_memory_limit(s));
    size_t kept = 0;
    int rc = 0;
    for (size_t r = 0; r < *n && rc >= 0; r++) {
        rc = sel_groups_seen(&set, rows[r].cells, ncells);
        if (rc == 0)
            rows[kept++] = rows[r];
    }
    sel_groups_free(&set);
    *n = kept;
    return rc < 0 ? rc : 0;
}

static int select_rows(struct parser *p, struct select_stmt *st, struct vtable_rows *t,
                       struct select_groups *g)
{
    struct out_plan pl;
    memset(&pl, 0, sizeof(pl));
    if (!sel_prepare(p, st, t, &pl))
        return -1;
    struct evaluator ev = {p->s, p->a, t};
    size_t nin = t ? t->nrows : 1, nout = 0;
    struct out_row *rows = NULL;
    if (sel_grouped(st)) {
        if (!group_rows(p, &ev, st, &pl, g, &rows, &nout))
            return -1;
    } else {
        if (!(rows = arena_alloc(p->a, sizeof(*rows) * (nin ? nin : 1))))
            return -1;
        for (size_t r = 0; r < nin; r++) {
            struct row_ctx rc = {t ? t->cells + r * t->ncols : NULL, false};
            if (!sel_row_matches(&ev, st, &rc))
                continue;
            if (!sel_emit_row(p, &ev, st, &pl, &rc, &rows[nout], nout))
                return -1;
            nout++;
        }
    }
    int err = st->distinct ? sel_drop_duplicates(p->s, rows, &nout, pl.n) : 0;
    if (err < 0) {
        fail_held_memory(p, err);
        return -1;
    }
    if (st->norders > 0) {
        struct sort_ctx sc = {st};
        qsort_r(rows, nout, sizeof(*rows), sel_cmp_rows, &sc);
    }
    if (p->a->oom) {
        fail(p, ER_UNKNOWN, "out of memory");
        return -1;
    }
    sel_send_rows(p->s, &pl, rows, nout, st);
    return 0;
}

static int run_select(struct parser *p, struct select_stmt *st, struct vtable_rows *t)
{
    struct select_groups g;
    memset(&g, 0, sizeof(g));
    int rc = select_rows(p, st, t, &g);
    sel_groups_free(&g); /* only now: a row's plain columns may point into its group */
    return rc;
}

/* Loads the FROM tables; false after setting the error. */
bool sel_load_tables(struct parser *p, struct select_stmt *st, struct vtable_rows *store)
{
    for (int i = 0; i < st->ntables; i++) {
        struct table_ref *ref = &st->tables[i];
        if (ref->is_function) {
            if (!p->preset || strcasecmp(ref->name, p->preset_name) != 0) {
                fail(p, ER_NOT_SUPPORTED_YET, "this table function");
                return false;
            }
            p->tables[p->ntables++] = p->preset;
            continue;
        }
        const char *schema = ref->schema ? ref->schema : p->s->database;
        if (!schema) {
            fail(p, ER_NO_DB, "");
            return false;
        }
        int rc = vtable_load(p->s, schema, ref->name, &store[i]);
        if (rc == -ENOENT) {
            if (strcasecmp(schema, "information_schema") == 0 ||
                session_database_exists(p->s->conn->srv, schema))
                px_fail(p, ER_NO_SUCH_TABLE, schema, ref->name);
            else
                px_fail(p, ER_NO_UPSTREAM, "tables live in the upstream database");
            return false;
        }
        if (rc < 0) {
            fail(p, ER_UNKNOWN, "out of memory");
            return false;
        }
        p->tables[p->ntables++] = &store[i];
    }
    return true;
}

/* Joins: only answerable here when an inner-joined table is empty. */
static int run_join(struct parser *p, struct select_stmt *st)
{
    bool empty = p->tables[0]->nrows == 0;
    for (int i = 1; i < st->ntables; i++)
        empty |= !st->tables[i].left_join && p->tables[i]->nrows == 0;
    if (!empty) {
        fail(p, ER_NOT_SUPPORTED_YET, "joins in stage-only mode");
        return -1;
    }
    struct mysql_column cols[256];
    int n = 0;
    for (int i = 0; i < st->nitems && n < 256; i++) {
        if (st->items[i].expr) {
            cols[n++] = ex_typed(st->items[i].label, MYSQL_TYPE_VAR_STRING);
            continue;
        }
        for (int t = 0; t < st->ntables; t++)
            for (size_t c = 0; c < p->tables[t]->ncols && n < 256; c++)
                cols[n++] = ex_typed(p->tables[t]->cols[c].name, p->tables[t]->cols[c].type);
    }
    mysql_result_begin(p->s->conn, cols, (size_t)n);
    mysql_result_end(p->s->conn);
    return 0;
}

int eval_select(struct session *s, const char *sql, size_t len)
{
    return eval_select_with_table(s, sql, len, NULL, NULL);
}

int eval_select_with_table(struct session *s, const char *sql, size_t len, const char *name,
                           struct vtable_rows *rows)
{
    struct arena a = {0};
    struct parser p = {.s = s, .a = &a, .preset_name = name, .preset = rows};
    struct select_stmt st;
    struct vtable_rows tables[8];
    int rc = -1;
    memset(&st, 0, sizeof(st));
    if (px_tokenize(&p, sql, 0, len) == 0 && sel_parse_select(&p, &st) &&
        sel_load_tables(&p, &st, tables)) {
        if (st.ntables > 1)
            rc = run_join(&p, &st);
        else
            rc = run_select(&p, &st, st.ntables ? p.tables[0] : NULL);
    }
    return px_finish(&p, rc);
}

int eval_show_rows(struct session *s, struct vtable_rows *t, const char *like, const char *sql,
                   size_t len, size_t where_at)
{
    struct arena a = {0};
    struct parser p = {.s = s, .a = &a};
    struct select_stmt st;
    struct select_item star = {0};
    memset(&st, 0, sizeof(st));
    st.items = &star;
    st.nitems = 1;
    st.limit = -1;
    st.ntables = 1;
    st.tables[0].name = "";
    int rc = -1;
    if (like) {
        /* LIKE filters the first column. */
        struct vtable_rows filtered;
        vtable_rows_init(&filtered, t->cols, t->ncols);
        for (size_t r = 0; r < t->nrows; r++) {
            const char *v = t->cells[r * t->ncols];
            if (v && eval_like(v, strlen(v), like, strlen(like)))
                vtable_rows_add(&filtered, t->cells + r * t->ncols);
        }
        rc = run_select(&p, &st, &filtered);
        vtable_rows_free(&filtered);
    } else if (where_at) {
        if (px_tokenize(&p, sql, where_at, len) == 0 && (st.where = px_parse_expr(&p)) &&
            px_cur(&p)->type == SQL_TK_EOF)
            rc = run_select(&p, &st, t);
        else
            px_syntax_error(&p);
    } else {
        rc = run_select(&p, &st, t);
    }
    return px_finish(&p, rc);
}

int eval_scalar(struct session *s, const char *sql, size_t start, size_t end, char **out,
                bool *is_int)
{
    struct arena a = {0};
    struct parser p = {.s = s, .a = &a, .bare_ident_as_string = true};
    int rc = -1;
    *out = NULL;
    *is_int = false;
    struct node *n = NULL;
    if (px_tokenize(&p, sql, start, end) == 0 && (n = px_parse_expr(&p))) {
        struct resolver rs = {&p, NULL, NULL, "field list"};
        if (px_cur(&p)->type != SQL_TK_EOF)
            px_syntax_error(&p);
        else if (ex_resolve(&rs, n)) {
            struct evaluator ev = {s, &a, NULL};
            struct row_ctx rc0 = {NULL, false};
            struct val v = ex_eval(&ev, n, &rc0);
            *is_int = v.t == V_INT;
            if (v.t != V_NULL) {
                v = ex_to_text(&ev, &v);
                *out = strndup(v.s, v.len);
            }
            rc = (v.t == V_NULL || *out) ? 0 : -1;
        }
    }
    return px_finish(&p, rc);
}
