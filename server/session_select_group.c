#define _GNU_SOURCE /* qsort_r */
/* GROUP BY, and aggregates over the whole input (one group, no key). Each
 * group keeps its key, its first row (plain columns read it, as MariaDB
 * does without ONLY_FULL_GROUP_BY) and the state of every aggregate; it is
 * found by its key in a hash table. Input rows are not kept, so memory
 * grows with the groups, not with the rows, and stops at a limit. A
 * DISTINCT aggregate also keeps each value it has taken, per group, in the
 * same table. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/mysql_errors.h"
#include "server/session_select.h"

struct agg_state {
    int64_t count;
    struct val val;
    char *text; /* the text of a MIN/MAX, out of the caller's arena */
};

/* An entry of the hash table: a group, or a value a DISTINCT aggregate
 * has taken in one group. */
struct keyed {
    uint64_t hash;
    size_t owner; /* 0: a group; else seen_owner() of the aggregate and group */
    int nkeys;
    struct val *keys;
};

struct group {
    struct keyed k;
    size_t seq;         /* order of first appearance */
    const char **cells; /* the first row; NULL without a table */
    struct agg_state *aggs;
};

/* Bytes a group holds beyond its block: its place in the order and
 * malloc's overhead (its hash slots are counted as the table grows). */
#define GROUP_OVERHEAD (2 * sizeof(void *) + 16)

static bool collect_aggs(struct select_groups *g, struct node *n)
{
    if (!n)
        return true;
    if (n->k == N_FUNC && n->agg) {
        for (int i = 0; i < g->naggs; i++)
            if (g->aggs[i] == n)
                return true; /* an alias in HAVING shares its item's node */
        if (g->naggs == SEL_MAX_AGGS)
            return false;
        g->aggs[g->naggs++] = n;
        n->agg_count = 0;
        n->agg_val = v_null();
        return true;
    }
    for (int i = 0; i < n->nargs; i++)
        if (!collect_aggs(g, n->args[i]))
            return false;
    return true;
}

bool sel_groups_init(struct select_groups *g, struct parser *p, struct evaluator *ev,
                     const struct select_stmt *st, const struct out_plan *pl, size_t limit)
{
    memset(g, 0, sizeof(*g));
    g->ev = ev;
    g->st = st;
    g->ncols = ev->table ? ev->table->ncols : 0;
    g->limit = limit;
    bool ok = collect_aggs(g, st->having);
    for (int i = 0; i < st->nitems; i++)
        ok = ok && collect_aggs(g, st->items[i].expr);
    for (int i = 0; i < st->norders; i++)
        ok = ok && (pl->order_out[i] >= 0 || collect_aggs(g, st->orders[i].expr));
    if (!ok)
        fail(p, ER_NOT_SUPPORTED_YET, "more than 32 aggregates in one SELECT");
    return ok;
}

/* Keys equal as ex_compare has them (case-blind text, numbers by value)
 * hash alike. */
static uint64_t hash_keys(const struct val *k, int n, size_t owner)
{
    uint64_t h = (14695981039346656037u ^ owner) * 1099511628211u;
    for (int i = 0; i < n; i++) {
        if (k[i].t == V_NULL) {
            h = (h ^ 0xff) * 1099511628211u;
        } else if (ex_is_numeric(&k[i])) {
            double d = v_num(&k[i]);
            uint64_t bits;
            d = d == 0 ? 0 : d; /* -0 and 0 are one key */
            memcpy(&bits, &d, sizeof(bits));
            h = (h ^ bits) * 1099511628211u;
        } else {
            for (size_t j = 0; j < k[i].len; j++)
                h = (h ^ (uint8_t)tolower((unsigned char)k[i].s[j])) * 1099511628211u;
        }
        h = (h ^ 0x1f) * 1099511628211u; /* ends the key */
    }
    return h;
}

static bool same_keys(const struct val *a, const struct val *b, int n)
{
    for (int i = 0; i < n; i++) {
        if ((a[i].t == V_NULL) != (b[i].t == V_NULL))
            return false;
        if (a[i].t != V_NULL && ex_compare(&a[i], &b[i]) != 0)
            return false;
    }
    return true;
}

static struct keyed **find_slot(struct select_groups *g, const struct keyed *probe)
{
    size_t mask = g->nslots - 1;
    for (size_t i = probe->hash & mask;; i = (i + 1) & mask) {
        struct keyed *k = g->slots[i];
        if (!k || (k->hash == probe->hash && k->owner == probe->owner &&
                   same_keys(k->keys, probe->keys, probe->nkeys)))
            return &g->slots[i];
    }
}

/* Room for one more entry: the table at most half full. */
static int make_room(struct select_groups *g)
{
    if (g->nkeyed + 1 <= g->nslots / 2)
        return 0;
    size_t n = g->nslots ? g->nslots * 2 : 32, old_n = g->nslots;
    struct keyed **slots = calloc(n, sizeof(*slots)), **old = g->slots;
    if (!slots)
        return -ENOMEM;
    g->slots = slots;
    g->nslots = n;
    g->bytes += n / 2 * sizeof(*slots); /* the new half; the old was counted */
    for (size_t i = 0; i < old_n; i++)
        if (old[i])
            *find_slot(g, old[i]) = old[i];
    free(old);
    return 0;
}

static void insert(struct select_groups *g, struct keyed *k)
{
    *find_slot(g, k) = k;
    g->nkeyed++;
}

static size_t text_size(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

static size_t keys_size(const struct val *keys, int n)
{
    size_t size = sizeof(struct val) * (size_t)n;
    for (int i = 0; i < n; i++)
        size += keys[i].s ? keys[i].len + 1 : 0;
    return size;
}

/* Copies the keys to `k` (room for keys_size() at `at`), with their texts
 * out of the caller's arena; returns the byte after them. */
static char *copy_keys(struct keyed *k, const struct val *keys, int n, uint64_t h, size_t owner,
                       char *at)
{
    k->hash = h;
    k->owner = owner;
    k->nkeys = n;
    k->keys = (struct val *)at;
    char *text = (char *)(k->keys + n);
    for (int i = 0; i < n; i++) {
        k->keys[i] = keys[i];
        if (keys[i].s) { /* a string, or the text of a number as written */
            memcpy(text, keys[i].s, keys[i].len);
            text[keys[i].len] = 0;
            k->keys[i].s = text;
            text += keys[i].len + 1;
        }
    }
    return text;
}

/* A group in one block: keys, aggregate states and first row with their
 * texts. */
static struct group *new_group(struct select_groups *g, const struct val *keys, uint64_t h,
                               const char *const *cells)
{
    int nkeys = g->st->ngroups;
    size_t size =
        sizeof(struct group) + sizeof(struct agg_state) * (size_t)g->naggs + keys_size(keys, nkeys);
    size += cells ? sizeof(char *) * g->ncols : 0;
    for (size_t i = 0; cells && i < g->ncols; i++)
        size += text_size(cells[i]);
    struct group *gr = calloc(1, size);
    if (!gr)
        return NULL;
    g->bytes += size + GROUP_OVERHEAD;
    gr->seq = g->n;
    gr->aggs = (struct agg_state *)(gr + 1);
    char *at = (char *)(gr->aggs + g->naggs); /* the pointers first, aligned */
    if (cells) {
        gr->cells = (const char **)at;
        at += sizeof(char *) * g->ncols;
    }
    char *text = copy_keys(&gr->k, keys, nkeys, h, 0, at);
    for (size_t i = 0; cells && i < g->ncols; i++) {
        gr->cells[i] = cells[i] ? strcpy(text, cells[i]) : NULL;
        text += text_size(cells[i]);
    }
    for (int i = 0; i < g->naggs; i++)
        gr->aggs[i].val = v_null();
    return gr;
}

static void load_states(struct select_groups *g, const struct group *gr)
{
    for (int i = 0; i < g->naggs; i++) {
        g->aggs[i]->agg_count = gr->aggs[i].count;
        g->aggs[i]->agg_val = gr->aggs[i].val;
    }
}

/* Takes the aggregates' new values back from their nodes; a MIN/MAX text
 * moves out of the arena, which the caller may rewind after the row. */
static int store_states(struct select_groups *g, struct group *gr)
{
    for (int i = 0; i < g->naggs; i++) {
        struct agg_state *a = &gr->aggs[i];
        a->count = g->aggs[i]->agg_count;
        a->val = g->aggs[i]->agg_val;
        if (!a->val.s || a->val.s == a->text)
            continue;
        size_t had = text_size(a->text);
        char *t = realloc(a->text, a->val.len + 1);
        if (!t)
            return -ENOMEM;
        memcpy(t, a->val.s, a->val.len);
        t[a->val.len] = 0;
        a->text = t;
        a->val.s = t;
        g->bytes += a->val.len + 1 - (had < a->val.len + 1 ? had : a->val.len + 1);
    }
    return 0;
}

static int add_group(struct select_groups *g, const struct val *keys, uint64_t h,
                     const char *const *cells, struct group **out)
{
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 16;
        struct group **order = realloc(g->order, cap * sizeof(*order));
        if (!order)
            return -ENOMEM;
        g->order = order;
        g->cap = cap;
    }
    int rc = make_room(g);
    if (rc < 0)
        return rc;
    struct group *gr = new_group(g, keys, h, cells);
    if (!gr)
        return -ENOMEM;
    insert(g, &gr->k);
    g->order[g->n++] = gr;
    *out = gr;
    return 0;
}

/* 1 when the values are already in the table under `owner`; else adds
 * them and gives 0, or -ENOMEM. */
static int remember(struct select_groups *g, size_t owner, const struct val *vals, int n)
{
    struct keyed probe = {hash_keys(vals, n, owner), owner, n, (struct val *)vals};
    if (g->nslots && *find_slot(g, &probe))
        return 1;
    int err = make_room(g);
    if (err < 0)
        return err;
    size_t size = sizeof(struct keyed) + keys_size(vals, n);
    struct keyed *k = malloc(size);
    if (!k)
        return -ENOMEM;
    g->bytes += size + GROUP_OVERHEAD;
    copy_keys(k, vals, n, probe.hash, owner, (char *)(k + 1));
    insert(g, k);
    return 0;
}

/* Whether aggregate `a` has already taken this row's value in group `gr`
 * (1: skip the row for it), remembering it if not (0); rows with a NULL
 * are skipped, as MariaDB does. */
static int seen_before(struct select_groups *g, const struct group *gr, int a,
                       const struct row_ctx *rc)
{
    const struct node *n = g->aggs[a];
    struct val vals[32]; /* px_parse_args' limit */
    for (int i = 0; i < n->nargs; i++)
        if ((vals[i] = ex_eval(g->ev, n->args[i], rc)).t == V_NULL)
            return 1;
    return remember(g, 1 + gr->seq * SEL_MAX_AGGS + (size_t)a, vals, n->nargs);
}

void sel_groups_init_set(struct select_groups *g, size_t limit)
{
    memset(g, 0, sizeof(*g));
    g->limit = limit;
}

int sel_groups_seen(struct select_groups *g, const char *const *cells, int n)
{
    struct val vals[SEL_MAX_ROW_CELLS];
    if (n > SEL_MAX_ROW_CELLS)
        n = SEL_MAX_ROW_CELLS; /* what is sent of a row */
    for (int i = 0; i < n; i++)
        vals[i] = cells[i] ? v_cstr(cells[i]) : v_null();
    int rc = remember(g, SIZE_MAX, vals, n);
    return rc == 0 && g->bytes > g->limit ? -E2BIG : rc;
}

int sel_groups_add(struct select_groups *g, const struct row_ctx *rc)
{
    struct val keys[SEL_MAX_TERMS];
    for (int i = 0; i < g->st->ngroups; i++)
        keys[i] = ex_eval(g->ev, g->st->groups[i].expr, rc);
    struct keyed probe = {hash_keys(keys, g->st->ngroups, 0), 0, g->st->ngroups, keys};
    struct keyed **slot = g->nslots ? find_slot(g, &probe) : NULL;
    struct group *gr = slot && *slot ? (struct group *)*slot : NULL;
    if (!gr) {
        int err = add_group(g, keys, probe.hash, rc->cells, &gr);
        if (err < 0)
            return err;
    }
    load_states(g, gr);
    for (int i = 0; i < g->naggs; i++) {
        int seen = g->aggs[i]->agg_distinct ? seen_before(g, gr, i, rc) : 0;
        if (seen < 0)
            return seen;
        if (!seen)
            sel_accumulate(g->ev, g->aggs[i], rc);
    }
    int err = store_states(g, gr);
    if (err < 0)
        return err;
    return g->bytes > g->limit ? -E2BIG : 0;
}

/* MariaDB's order of groups: by their keys, NULLs first, each key ASC or
 * DESC as written. */
static int cmp_groups(const void *a, const void *b, void *arg)
{
    const struct group *x = *(struct group *const *)a, *y = *(struct group *const *)b;
    const struct select_stmt *st = arg;
    for (int i = 0; i < st->ngroups; i++) {
        const struct val *u = &x->k.keys[i], *v = &y->k.keys[i];
        int c = (u->t == V_NULL) != (v->t == V_NULL) ? (u->t == V_NULL ? -1 : 1)
                : u->t == V_NULL                     ? 0
                                                     : ex_compare(u, v);
        if (c)
            return st->groups[i].desc ? -c : c;
    }
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

bool sel_groups_emit(struct select_groups *g, struct parser *p, const struct out_plan *pl,
                     struct out_row **rows, size_t *n)
{
    struct group *none = NULL;
    /* aggregates over no row still make their one row */
    if (g->n == 0 && g->st->ngroups == 0 && add_group(g, NULL, 0, NULL, &none) < 0)
        return false;
    if (g->st->ngroups > 0 && g->n > 1) /* qsort_r wants a real array */
        qsort_r(g->order, g->n, sizeof(*g->order), cmp_groups, (void *)g->st);
    *n = 0;
    if (!(*rows = arena_alloc(p->a, sizeof(**rows) * (g->n ? g->n : 1))))
        return false;
    for (size_t i = 0; i < g->n; i++) {
        load_states(g, g->order[i]);
        struct row_ctx rc = {g->order[i]->cells, true};
        if (g->st->having) {
            struct val h = ex_eval(g->ev, g->st->having, &rc);
            if (!v_true(&h))
                continue;
        }
        if (!sel_emit_row(p, g->ev, g->st, pl, &rc, &(*rows)[*n], i))
            return false;
        (*n)++;
    }
    return !p->a->oom;
}

void sel_groups_free(struct select_groups *g)
{
    for (size_t i = 0; i < g->nslots; i++)
        if (g->slots[i] && g->slots[i]->owner) /* a DISTINCT aggregate's value */
            free(g->slots[i]);
    for (size_t i = 0; i < g->n; i++) {
        for (int k = 0; k < g->naggs; k++)
            free(g->order[i]->aggs[k].text);
        free(g->order[i]);
    }
    free(g->order);
    free(g->slots);
    memset(g, 0, sizeof(*g));
}
