#define _GNU_SOURCE /* qsort_r */
#include "server/session_eval.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "protocol/mysql_packet.h"
#include "server/mysql_conn.h"
#include "server/mysql_result.h"
#include "server/process.h"
#include "server/session.h"
#include "server/session_time.h"

/* ---- arena: everything of one statement is freed at once ---- */

struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    char data[];
};

struct arena {
    struct arena_block *head;
    int oom;
};

static void *arena_alloc(struct arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!a->head || a->head->cap - a->head->used < n) {
        size_t cap = n > 8192 ? n : 8192;
        struct arena_block *b = malloc(sizeof(*b) + cap);
        if (!b) {
            a->oom = 1;
            return NULL;
        }
        b->next = a->head;
        b->used = 0;
        b->cap = cap;
        a->head = b;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += n;
    memset(p, 0, n);
    return p;
}

static char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

static char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *arena_printf(struct arena *a, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    return arena_strndup(a, tmp, n < 0 ? 0 : (size_t)n >= sizeof(tmp) ? sizeof(tmp) - 1 : (size_t)n);
}

static void arena_free(struct arena *a)
{
    while (a->head) {
        struct arena_block *b = a->head;
        a->head = b->next;
        free(b);
    }
}

/* ---- values ---- */

enum vtype { V_NULL, V_INT, V_DOUBLE, V_STR };

struct val {
    enum vtype t;
    int64_t i;
    double d;
    const char *s;
    size_t len;
};

static struct val v_null(void)
{
    struct val v = {.t = V_NULL};
    return v;
}

static struct val v_int(int64_t i)
{
    struct val v = {.t = V_INT, .i = i};
    return v;
}

static struct val v_str(const char *s, size_t len)
{
    struct val v = {.t = V_STR, .s = s, .len = len};
    return v;
}

static struct val v_cstr(const char *s)
{
    return s ? v_str(s, strlen(s)) : v_null();
}

static double v_num(const struct val *v)
{
    if (v->t == V_INT)
        return (double)v->i;
    if (v->t == V_DOUBLE)
        return v->d;
    if (v->t == V_STR) {
        char tmp[64];
        size_t n = v->len < sizeof(tmp) - 1 ? v->len : sizeof(tmp) - 1;
        memcpy(tmp, v->s, n);
        tmp[n] = 0;
        return strtod(tmp, NULL);
    }
    return 0;
}

static bool v_true(const struct val *v)
{
    return v->t != V_NULL && v_num(v) != 0;
}

/* ---- AST ---- */

enum nkind { N_LIT, N_SYSVAR, N_USERVAR, N_COL, N_FUNC, N_NEG, N_NOT, N_BIN, N_IN, N_BETWEEN,
             N_LIKE, N_ISNULL, N_ISBOOL, N_CASE };

enum binop { OP_OR, OP_XOR, OP_AND, OP_EQ, OP_NSEQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_ADD,
             OP_SUB, OP_MUL, OP_DIV, OP_IDIV, OP_MOD };

struct node {
    enum nkind k;
    enum binop op;
    struct val lit;
    const char *name;
    size_t name_len;
    const char *qual;
    size_t qual_len;
    bool global;
    bool neg;
    bool bool_value; /* IS [NOT] TRUE/FALSE */
    struct node **args;
    int nargs;
    int col;
    int agg; /* 0, or which aggregate: 'c' count, 'C' count(*), 'n' min, 'x' max, 's' sum */
    int64_t agg_count;
    struct val agg_val;
    bool has_else;
    size_t src_start, src_end;
};

struct select_item {
    struct node *expr; /* NULL for '*' */
    const char *star_qual;
    size_t star_qual_len;
    const char *label;
};

struct order_item {
    struct node *expr;
    bool desc;
};

struct table_ref {
    const char *schema;
    const char *name;
    const char *alias;
    bool left_join;
};

struct select_stmt {
    struct select_item *items;
    int nitems;
    struct table_ref tables[8];
    int ntables;
    struct node *where;
    bool group_by;
    bool distinct;
    struct order_item orders[16];
    int norders;
    int64_t limit, offset;
    bool has_agg;
};

/* ---- parser ---- */

struct parser {
    struct session *s;
    struct arena *a;
    const char *src;
    size_t src_len;
    struct sql_token *toks;
    size_t n, pos;
    bool bare_ident_as_string; /* SET x = ON */
    int err;                   /* 0, or enum mysql_error to report */
    char errarg[160];
    int errline;
    struct vtable_rows *tables[8];
    int ntables;
    struct select_stmt *stmt;
};

static const struct sql_token *cur(struct parser *p)
{
    return &p->toks[p->pos < p->n ? p->pos : p->n - 1];
}

static const struct sql_token *peek_tok(struct parser *p, size_t k)
{
    size_t i = p->pos + k;
    return &p->toks[i < p->n ? i : p->n - 1];
}

static bool is_kw(struct parser *p, const char *kw)
{
    return sql_token_is(p->src, cur(p), kw);
}

static bool accept_kw(struct parser *p, const char *kw)
{
    if (!is_kw(p, kw))
        return false;
    p->pos++;
    return true;
}

static bool is_op(struct parser *p, const char *op)
{
    return sql_token_op(p->src, cur(p), op);
}

static bool accept_op(struct parser *p, const char *op)
{
    if (!is_op(p, op))
        return false;
    p->pos++;
    return true;
}

static void syntax_error(struct parser *p)
{
    if (p->err)
        return;
    const struct sql_token *t = cur(p);
    p->err = ER_PARSE;
    size_t left = t->start < p->src_len ? p->src_len - t->start : 0;
    snprintf(p->errarg, sizeof(p->errarg), "%.*s", (int)(left < 80 ? left : 80), p->src + t->start);
    p->errline = 1;
    for (size_t i = 0; i < t->start; i++)
        if (p->src[i] == '\n')
            p->errline++;
}

/* Records the first error, formatted from the error table. */
static void failf(struct parser *p, int err, ...)
{
    if (p->err)
        return;
    p->err = err;
    va_list ap;
    va_start(ap, err);
    vsnprintf(p->errarg, sizeof(p->errarg), mysql_error_info(err)->fmt, ap);
    va_end(ap);
}

#define fail(p, err, arg) failf((p), (err), (arg))

static struct node *new_node(struct parser *p, enum nkind k)
{
    struct node *n = arena_alloc(p->a, sizeof(*n));
    if (!n) {
        fail(p, ER_UNKNOWN, "out of memory");
        return NULL;
    }
    n->k = k;
    n->col = -1;
    n->src_start = cur(p)->start;
    return n;
}

static char *tok_text(struct parser *p, const struct sql_token *t)
{
    struct buf b;
    buf_init(&b);
    sql_token_unquote(p->src, t, &b);
    char *s = arena_strndup(p->a, b.data ? (const char *)b.data : "", b.len);
    buf_free(&b);
    return s;
}

static struct node *parse_expr(struct parser *p);

static const char *const reserved_words[] = {
    "FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "UNION", "INTO", "FOR", "LOCK",
    "JOIN", "INNER", "LEFT", "RIGHT", "CROSS", "NATURAL", "ON", "USING", "STRAIGHT_JOIN",
    "AND", "OR", "NOT", "XOR", "IS", "LIKE", "IN", "BETWEEN", "AS", "ASC", "DESC", "OFFSET",
    "WINDOW", "THEN", "WHEN", "ELSE", "END", "DIV", "MOD", "ESCAPE", "REGEXP", "RLIKE", NULL};

static bool is_reserved(struct parser *p, const struct sql_token *t)
{
    for (int i = 0; reserved_words[i]; i++)
        if (sql_token_is(p->src, t, reserved_words[i]))
            return true;
    return false;
}

static bool parse_args(struct parser *p, struct node *n)
{
    struct node *tmp[32];
    int k = 0;
    if (!accept_op(p, ")")) {
        do {
            if (k == 32) {
                syntax_error(p);
                return false;
            }
            tmp[k] = parse_expr(p);
            if (!tmp[k++])
                return false;
        } while (accept_op(p, ","));
        if (!accept_op(p, ")")) {
            syntax_error(p);
            return false;
        }
    }
    n->nargs = k;
    n->args = arena_alloc(p->a, sizeof(struct node *) * (size_t)(k ? k : 1));
    if (!n->args)
        return false;
    memcpy(n->args, tmp, sizeof(struct node *) * (size_t)k);
    return true;
}

static const char *const aggregates[] = {"COUNT", "MIN", "MAX", "SUM", NULL};

static struct node *parse_function(struct parser *p, const struct sql_token *name)
{
    struct node *n = new_node(p, N_FUNC);
    if (!n)
        return NULL;
    n->src_start = name->start;
    n->name = tok_text(p, name);
    n->name_len = strlen(n->name);
    p->pos += 2; /* the name and '(' */
    for (int i = 0; aggregates[i]; i++) {
        if (strcasecmp(n->name, aggregates[i]) == 0) {
            n->agg = "cnxs"[i];
            if (p->stmt)
                p->stmt->has_agg = true;
        }
    }
    if (n->agg == 'c' && is_op(p, "*") && sql_token_op(p->src, peek_tok(p, 1), ")")) {
        p->pos += 2;
        n->agg = 'C';
        return n;
    }
    if (n->agg && accept_kw(p, "DISTINCT")) {
        fail(p, ER_NOT_SUPPORTED_YET, "DISTINCT inside aggregates");
        return NULL;
    }
    if (is_kw(p, "SELECT")) {
        fail(p, ER_NOT_SUPPORTED_YET, "subqueries");
        return NULL;
    }
    return parse_args(p, n) ? n : NULL;
}

/* Keywords that name a function without parentheses. */
static const char *const niladic[] = {"CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME",
                                      "CURRENT_USER",      "LOCALTIME",    "LOCALTIMESTAMP",
                                      "UTC_TIMESTAMP",     "UTC_DATE",     "UTC_TIME", NULL};

static struct node *parse_case(struct parser *p)
{
    struct node *n = new_node(p, N_CASE);
    struct node *tmp[64];
    int k = 0;
    if (!n)
        return NULL;
    struct node *subject = NULL;
    if (!is_kw(p, "WHEN") && !(subject = parse_expr(p)))
        return NULL;
    tmp[k++] = subject;
    while (accept_kw(p, "WHEN")) {
        if (k + 2 > 62) {
            syntax_error(p);
            return NULL;
        }
        if (!(tmp[k++] = parse_expr(p)) || !accept_kw(p, "THEN") || !(tmp[k++] = parse_expr(p))) {
            syntax_error(p);
            return NULL;
        }
    }
    if (accept_kw(p, "ELSE")) {
        if (!(tmp[k++] = parse_expr(p)))
            return NULL;
        n->has_else = true;
    }
    if (!accept_kw(p, "END") || k < 3) {
        syntax_error(p);
        return NULL;
    }
    n->nargs = k;
    n->args = arena_alloc(p->a, sizeof(struct node *) * (size_t)k);
    if (!n->args)
        return NULL;
    memcpy(n->args, tmp, sizeof(struct node *) * (size_t)k);
    return n;
}

static struct node *literal(struct parser *p, struct val v)
{
    struct node *n = new_node(p, N_LIT);
    if (n)
        n->lit = v;
    return n;
}

static struct node *parse_string_literal(struct parser *p)
{
    struct buf b;
    buf_init(&b);
    size_t start = cur(p)->start;
    /* Adjacent literals concatenate: 'a' 'b' is 'ab'. */
    while (cur(p)->type == SQL_TK_STRING) {
        sql_token_unquote(p->src, cur(p), &b);
        p->pos++;
    }
    char *s = arena_strndup(p->a, b.data ? (const char *)b.data : "", b.len);
    size_t len = b.len;
    buf_free(&b);
    struct node *n = literal(p, v_str(s, len));
    if (n)
        n->src_start = start;
    return n;
}

static struct node *parse_number(struct parser *p)
{
    const struct sql_token *t = cur(p);
    char tmp[80];
    size_t len = t->len < sizeof(tmp) - 1 ? t->len : sizeof(tmp) - 1;
    memcpy(tmp, p->src + t->start, len);
    tmp[len] = 0;
    p->pos++;
    if (len > 2 && tmp[0] == '0' && (tmp[1] == 'x' || tmp[1] == 'X')) {
        struct node *h = literal(p, v_int((int64_t)strtoull(tmp + 2, NULL, 16)));
        if (h)
            h->src_start = t->start;
        return h;
    }
    struct node *n;
    errno = 0;
    long long iv = strpbrk(tmp, ".eE") ? 0 : strtoll(tmp, NULL, 10);
    if (!strpbrk(tmp, ".eE") && !errno) {
        n = literal(p, v_int(iv));
    } else {
        struct val v = {.t = V_DOUBLE, .d = strtod(tmp, NULL)};
        v.s = arena_strndup(p->a, tmp, len);
        v.len = len;
        n = literal(p, v);
    }
    if (n)
        n->src_start = t->start;
    return n;
}

static struct node *parse_ident(struct parser *p)
{
    const struct sql_token *t = cur(p);
    const struct sql_token *next = peek_tok(p, 1);
    if (t->type == SQL_TK_IDENT) {
        if (accept_kw(p, "NULL"))
            return literal(p, v_null());
        if (accept_kw(p, "TRUE"))
            return literal(p, v_int(1));
        if (accept_kw(p, "FALSE"))
            return literal(p, v_int(0));
        if (accept_kw(p, "CASE"))
            return parse_case(p);
        if (next->type == SQL_TK_STRING &&
            (p->src[t->start] == '_' || sql_token_is(p->src, t, "N") ||
             sql_token_is(p->src, t, "DATE") || sql_token_is(p->src, t, "TIME") ||
             sql_token_is(p->src, t, "TIMESTAMP"))) {
            p->pos++; /* charset introducer or temporal literal: the string itself */
            return parse_string_literal(p);
        }
        if (sql_token_op(p->src, next, "("))
            return parse_function(p, t);
        for (int i = 0; niladic[i]; i++) {
            if (sql_token_is(p->src, t, niladic[i])) {
                struct node *n = new_node(p, N_FUNC);
                if (!n)
                    return NULL;
                n->name = niladic[i];
                n->name_len = strlen(n->name);
                p->pos++;
                return n;
            }
        }
        if (p->bare_ident_as_string) {
            p->pos++;
            char *s = tok_text(p, t);
            return literal(p, v_cstr(s));
        }
    }
    /* [qualifier.]column, the qualifier possibly schema.table */
    struct node *n = new_node(p, N_COL);
    if (!n)
        return NULL;
    const struct sql_token *parts[3];
    int k = 0;
    parts[k++] = t;
    p->pos++;
    while (k < 3 && is_op(p, ".") &&
           (peek_tok(p, 1)->type == SQL_TK_IDENT || peek_tok(p, 1)->type == SQL_TK_QIDENT)) {
        p->pos++;
        parts[k++] = cur(p);
        p->pos++;
    }
    n->name = tok_text(p, parts[k - 1]);
    n->name_len = strlen(n->name);
    if (k >= 2) {
        n->qual = tok_text(p, parts[k - 2]);
        n->qual_len = strlen(n->qual);
    }
    return n;
}

static struct node *parse_sysvar(struct parser *p)
{
    const struct sql_token *t = cur(p);
    struct node *n = new_node(p, N_SYSVAR);
    if (!n)
        return NULL;
    const char *text = p->src + t->text_start;
    size_t len = t->text_len;
    const char *dot = memchr(text, '.', len);
    if (dot) {
        size_t sl = (size_t)(dot - text);
        if (sl == 6 && strncasecmp(text, "global", 6) == 0)
            n->global = true;
        else if (!((sl == 7 && strncasecmp(text, "session", 7) == 0) ||
                   (sl == 5 && strncasecmp(text, "local", 5) == 0))) {
            syntax_error(p);
            return NULL;
        }
        len -= sl + 1;
        text = dot + 1;
    }
    if (len >= 2 && text[0] == '`') {
        text++;
        len -= 2;
    }
    n->name = arena_strndup(p->a, text, len);
    n->name_len = len;
    p->pos++;
    return n;
}

static struct node *parse_primary(struct parser *p)
{
    const struct sql_token *t = cur(p);
    switch (t->type) {
    case SQL_TK_NUMBER:
        return parse_number(p);
    case SQL_TK_STRING:
        return parse_string_literal(p);
    case SQL_TK_IDENT:
    case SQL_TK_QIDENT:
        return parse_ident(p);
    case SQL_TK_SYSVAR:
        return parse_sysvar(p);
    case SQL_TK_AT: {
        struct node *n = new_node(p, N_USERVAR);
        if (!n)
            return NULL;
        n->name = tok_text(p, t);
        n->name_len = strlen(n->name);
        p->pos++;
        return n;
    }
    case SQL_TK_OP:
        if (accept_op(p, "(")) {
            if (is_kw(p, "SELECT")) {
                fail(p, ER_NOT_SUPPORTED_YET, "subqueries");
                return NULL;
            }
            struct node *n = parse_expr(p);
            if (n && !accept_op(p, ")")) {
                syntax_error(p);
                return NULL;
            }
            return n;
        }
        break;
    default:
        break;
    }
    syntax_error(p);
    return NULL;
}

static struct node *parse_unary(struct parser *p)
{
    size_t start = cur(p)->start;
    if (accept_op(p, "-")) {
        struct node *n = new_node(p, N_NEG);
        if (!n || !(n->args = arena_alloc(p->a, sizeof(struct node *))))
            return NULL;
        n->src_start = start;
        n->nargs = 1;
        n->args[0] = parse_unary(p);
        return n->args[0] ? n : NULL;
    }
    if (accept_op(p, "+"))
        return parse_unary(p);
    if (accept_op(p, "!")) {
        struct node *n = new_node(p, N_NOT);
        if (!n || !(n->args = arena_alloc(p->a, sizeof(struct node *))))
            return NULL;
        n->src_start = start;
        n->nargs = 1;
        n->args[0] = parse_unary(p);
        return n->args[0] ? n : NULL;
    }
    return parse_primary(p);
}

static struct node *binary(struct parser *p, enum binop op, struct node *l, struct node *r)
{
    if (!l || !r)
        return NULL;
    struct node *n = new_node(p, N_BIN);
    if (!n || !(n->args = arena_alloc(p->a, 2 * sizeof(struct node *))))
        return NULL;
    n->op = op;
    n->nargs = 2;
    n->args[0] = l;
    n->args[1] = r;
    n->src_start = l->src_start;
    return n;
}

static struct node *parse_mul(struct parser *p)
{
    struct node *l = parse_unary(p);
    for (;;) {
        if (!l)
            return NULL;
        if (accept_op(p, "*"))
            l = binary(p, OP_MUL, l, parse_unary(p));
        else if (accept_op(p, "/"))
            l = binary(p, OP_DIV, l, parse_unary(p));
        else if (accept_op(p, "%") || accept_kw(p, "MOD"))
            l = binary(p, OP_MOD, l, parse_unary(p));
        else if (accept_kw(p, "DIV"))
            l = binary(p, OP_IDIV, l, parse_unary(p));
        else
            return l;
    }
}

static struct node *parse_add(struct parser *p)
{
    struct node *l = parse_mul(p);
    for (;;) {
        if (!l)
            return NULL;
        if (accept_op(p, "+"))
            l = binary(p, OP_ADD, l, parse_mul(p));
        else if (accept_op(p, "-"))
            l = binary(p, OP_SUB, l, parse_mul(p));
        else
            return l;
    }
}

static struct node *wrap(struct parser *p, enum nkind k, struct node *first, int nargs)
{
    struct node *n = new_node(p, k);
    if (!n || !(n->args = arena_alloc(p->a, sizeof(struct node *) * (size_t)nargs)))
        return NULL;
    n->nargs = nargs;
    n->args[0] = first;
    n->src_start = first->src_start;
    return n;
}

static struct node *parse_in(struct parser *p, struct node *l, bool neg)
{
    if (!accept_op(p, "(")) {
        syntax_error(p);
        return NULL;
    }
    if (is_kw(p, "SELECT")) {
        fail(p, ER_NOT_SUPPORTED_YET, "subqueries");
        return NULL;
    }
    struct node tmp = {0};
    if (!parse_args(p, &tmp))
        return NULL;
    struct node *n = wrap(p, N_IN, l, tmp.nargs + 1);
    if (!n)
        return NULL;
    memcpy(n->args + 1, tmp.args, sizeof(struct node *) * (size_t)tmp.nargs);
    n->neg = neg;
    return n;
}

static struct node *parse_cmp(struct parser *p)
{
    struct node *l = parse_add(p);
    static const struct {
        const char *op;
        enum binop b;
    } ops[] = {{"=", OP_EQ}, {"<=>", OP_NSEQ}, {"<>", OP_NE}, {"!=", OP_NE},
               {"<=", OP_LE}, {">=", OP_GE},    {"<", OP_LT},  {">", OP_GT}};
    while (l) {
        bool matched = false;
        for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
            if (accept_op(p, ops[i].op)) {
                l = binary(p, ops[i].b, l, parse_add(p));
                matched = true;
                break;
            }
        }
        if (matched)
            continue;
        if (accept_kw(p, "IS")) {
            bool neg = accept_kw(p, "NOT");
            struct node *n = wrap(p, N_ISNULL, l, 1);
            if (!n)
                return NULL;
            n->neg = neg;
            if (accept_kw(p, "NULL") || accept_kw(p, "UNKNOWN")) {
            } else if (accept_kw(p, "TRUE") || accept_kw(p, "FALSE")) {
                n->k = N_ISBOOL;
                n->bool_value = sql_token_is(p->src, &p->toks[p->pos - 1], "TRUE");
            } else {
                syntax_error(p);
                return NULL;
            }
            l = n;
            continue;
        }
        size_t save = p->pos;
        bool neg = accept_kw(p, "NOT");
        if (accept_kw(p, "LIKE")) {
            struct node *n = wrap(p, N_LIKE, l, 2);
            if (!n || !(n->args[1] = parse_add(p)))
                return NULL;
            n->neg = neg;
            if (accept_kw(p, "ESCAPE") && !parse_add(p))
                return NULL;
            l = n;
        } else if (accept_kw(p, "IN")) {
            l = parse_in(p, l, neg);
        } else if (accept_kw(p, "BETWEEN")) {
            struct node *n = wrap(p, N_BETWEEN, l, 3);
            if (!n || !(n->args[1] = parse_add(p)) || !accept_kw(p, "AND") ||
                !(n->args[2] = parse_add(p))) {
                syntax_error(p);
                return NULL;
            }
            n->neg = neg;
            l = n;
        } else if (accept_kw(p, "REGEXP") || accept_kw(p, "RLIKE")) {
            fail(p, ER_NOT_SUPPORTED_YET, "REGEXP in stage-only mode");
            return NULL;
        } else {
            p->pos = save;
            return l;
        }
    }
    return l;
}

static struct node *parse_not(struct parser *p)
{
    size_t start = cur(p)->start;
    if (accept_kw(p, "NOT")) {
        struct node *inner = parse_not(p);
        if (!inner)
            return NULL;
        struct node *n = wrap(p, N_NOT, inner, 1);
        if (n)
            n->src_start = start;
        return n;
    }
    return parse_cmp(p);
}

static struct node *parse_and(struct parser *p)
{
    struct node *l = parse_not(p);
    while (l && (accept_kw(p, "AND") || accept_op(p, "&&")))
        l = binary(p, OP_AND, l, parse_not(p));
    return l;
}

static struct node *parse_xor(struct parser *p)
{
    struct node *l = parse_and(p);
    while (l && accept_kw(p, "XOR"))
        l = binary(p, OP_XOR, l, parse_and(p));
    return l;
}

static struct node *parse_expr(struct parser *p)
{
    struct node *l = parse_xor(p);
    while (l && (accept_kw(p, "OR") || accept_op(p, "||")))
        l = binary(p, OP_OR, l, parse_xor(p));
    if (l)
        l->src_end = p->pos > 0 ? p->toks[p->pos - 1].start + p->toks[p->pos - 1].len : 0;
    return l;
}

/* ---- evaluation ---- */

struct row_ctx {
    const char *const *cells; /* current input row, or NULL */
    bool aggregated;          /* read aggregate results */
};

struct evaluator {
    struct session *s;
    struct arena *a;
    const struct vtable_rows *table;
};

bool eval_like(const char *s, size_t slen, const char *pat, size_t plen)
{
    size_t si = 0, pi = 0, star_p = (size_t)-1, star_s = 0;
    while (si < slen) {
        if (pi < plen && pat[pi] == '\\' && pi + 1 < plen) {
            if (tolower((unsigned char)pat[pi + 1]) == tolower((unsigned char)s[si])) {
                pi += 2;
                si++;
                continue;
            }
        } else if (pi < plen && pat[pi] == '%') {
            star_p = ++pi;
            star_s = si;
            continue;
        } else if (pi < plen &&
                   (pat[pi] == '_' || tolower((unsigned char)pat[pi]) == tolower((unsigned char)s[si]))) {
            pi++;
            si++;
            continue;
        }
        if (star_p == (size_t)-1)
            return false;
        pi = star_p;
        si = ++star_s;
    }
    while (pi < plen && pat[pi] == '%')
        pi++;
    return pi == plen;
}

static struct val eval(struct evaluator *ev, struct node *n, const struct row_ctx *r);

static bool is_numeric(const struct val *v)
{
    return v->t == V_INT || v->t == V_DOUBLE;
}

/* -1, 0, 1; strings compare case-insensitively like the *_ci collations. */
static int compare(const struct val *a, const struct val *b)
{
    if (is_numeric(a) || is_numeric(b)) {
        double x = v_num(a), y = v_num(b);
        return x < y ? -1 : x > y;
    }
    size_t n = a->len < b->len ? a->len : b->len;
    int c = strncasecmp(a->s, b->s, n);
    if (c)
        return c < 0 ? -1 : 1;
    return a->len < b->len ? -1 : a->len > b->len;
}

static struct val to_text(struct evaluator *ev, const struct val *v)
{
    if (v->t == V_INT) {
        char *s = arena_printf(ev->a, "%" PRId64, v->i);
        return v_cstr(s);
    }
    if (v->t == V_DOUBLE) {
        if (v->s)
            return v_str(v->s, v->len);
        char *s = arena_printf(ev->a, "%.15g", v->d);
        return v_cstr(s);
    }
    return *v;
}

static struct val eval_binop(struct evaluator *ev, struct node *n, const struct row_ctx *r)
{
    struct val a = eval(ev, n->args[0], r);
    if (n->op == OP_AND || n->op == OP_OR) {
        /* three-valued logic, short-circuited */
        if (n->op == OP_AND && a.t != V_NULL && !v_true(&a))
            return v_int(0);
        if (n->op == OP_OR && v_true(&a))
            return v_int(1);
        struct val b = eval(ev, n->args[1], r);
        if (n->op == OP_AND)
            return (a.t == V_NULL || b.t == V_NULL) ? (b.t != V_NULL && !v_true(&b) ? v_int(0) : v_null())
                                                     : v_int(v_true(&b));
        return v_true(&b) ? v_int(1) : (a.t == V_NULL || b.t == V_NULL) ? v_null() : v_int(0);
    }
    struct val b = eval(ev, n->args[1], r);
    if (n->op == OP_NSEQ) {
        if (a.t == V_NULL || b.t == V_NULL)
            return v_int(a.t == V_NULL && b.t == V_NULL);
        return v_int(compare(&a, &b) == 0);
    }
    if (a.t == V_NULL || b.t == V_NULL)
        return v_null();
    switch (n->op) {
    case OP_XOR: return v_int(v_true(&a) != v_true(&b));
    case OP_EQ: return v_int(compare(&a, &b) == 0);
    case OP_NE: return v_int(compare(&a, &b) != 0);
    case OP_LT: return v_int(compare(&a, &b) < 0);
    case OP_LE: return v_int(compare(&a, &b) <= 0);
    case OP_GT: return v_int(compare(&a, &b) > 0);
    case OP_GE: return v_int(compare(&a, &b) >= 0);
    default: break;
    }
    if (a.t == V_INT && b.t == V_INT && n->op != OP_DIV) {
        switch (n->op) {
        case OP_ADD: return v_int(a.i + b.i);
        case OP_SUB: return v_int(a.i - b.i);
        case OP_MUL: return v_int(a.i * b.i);
        case OP_IDIV: return b.i ? v_int(a.i / b.i) : v_null();
        case OP_MOD: return b.i ? v_int(a.i % b.i) : v_null();
        default: break;
        }
    }
    double x = v_num(&a), y = v_num(&b), z;
    switch (n->op) {
    case OP_ADD: z = x + y; break;
    case OP_SUB: z = x - y; break;
    case OP_MUL: z = x * y; break;
    case OP_DIV: if (y == 0) return v_null(); z = x / y; break;
    case OP_IDIV: if (y == 0) return v_null(); return v_int((int64_t)(x / y));
    default: if (y == 0) return v_null(); z = x - y * (double)(int64_t)(x / y); break;
    }
    struct val v = {.t = V_DOUBLE, .d = z};
    return v;
}

static int session_tz_offset(struct evaluator *ev)
{
    const char *tz = session_var_get(ev->s, sysvar_find("time_zone", 9), false);
    int off = 0;
    if (!tz || time_zone_offset(tz, &off) < 0)
        off = 0;
    return off;
}

static struct val datetime_val(struct evaluator *ev, int64_t secs, char kind)
{
    char tmp[40];
    if (kind == 'd')
        time_format_date(secs, tmp, sizeof(tmp));
    else if (kind == 't')
        time_format_time(((secs % 86400) + 86400) % 86400, tmp, sizeof(tmp));
    else
        time_format_datetime(secs, tmp, sizeof(tmp));
    return v_cstr(arena_strndup(ev->a, tmp, strlen(tmp)));
}

static bool fname(const struct node *n, const char *name)
{
    return strcasecmp(n->name, name) == 0;
}

static struct val fn_time(struct evaluator *ev, struct node *n, struct val *args)
{
    int64_t now = (int64_t)time(NULL);
    if (fname(n, "NOW") || fname(n, "CURRENT_TIMESTAMP") || fname(n, "LOCALTIME") ||
        fname(n, "LOCALTIMESTAMP") || fname(n, "SYSDATE"))
        return datetime_val(ev, now + session_tz_offset(ev), 'D');
    if (fname(n, "UTC_TIMESTAMP"))
        return datetime_val(ev, now, 'D');
    if (fname(n, "CURDATE") || fname(n, "CURRENT_DATE"))
        return datetime_val(ev, now + session_tz_offset(ev), 'd');
    if (fname(n, "UTC_DATE"))
        return datetime_val(ev, now, 'd');
    if (fname(n, "CURTIME") || fname(n, "CURRENT_TIME"))
        return datetime_val(ev, now + session_tz_offset(ev), 't');
    if (fname(n, "UTC_TIME"))
        return datetime_val(ev, now, 't');
    if (fname(n, "UNIX_TIMESTAMP"))
        return v_int(now);
    if (fname(n, "TIMEDIFF")) {
        int64_t a, b;
        if (args[0].t == V_NULL || args[1].t == V_NULL)
            return v_null();
        struct val x = to_text(ev, &args[0]), y = to_text(ev, &args[1]);
        if ((time_parse_datetime(x.s, x.len, &a) < 0 && time_parse_time(x.s, x.len, &a) < 0) ||
            (time_parse_datetime(y.s, y.len, &b) < 0 && time_parse_time(y.s, y.len, &b) < 0))
            return v_null();
        char tmp[40];
        time_format_time(a - b, tmp, sizeof(tmp));
        return v_cstr(arena_strndup(ev->a, tmp, strlen(tmp)));
    }
    if (fname(n, "CONVERT_TZ")) {
        int64_t t;
        int from, to;
        struct val x = to_text(ev, &args[0]);
        if (args[0].t == V_NULL || args[1].t == V_NULL || args[2].t == V_NULL ||
            time_parse_datetime(x.s, x.len, &t) < 0)
            return v_null();
        struct val f = to_text(ev, &args[1]), g = to_text(ev, &args[2]);
        char fz[64], tz[64];
        snprintf(fz, sizeof(fz), "%.*s", (int)f.len, f.s);
        snprintf(tz, sizeof(tz), "%.*s", (int)g.len, g.s);
        if (time_zone_offset(fz, &from) < 0 || time_zone_offset(tz, &to) < 0)
            return v_null();
        return datetime_val(ev, t - from + to, 'D');
    }
    /* TIME_FORMAT / DATE_FORMAT */
    int64_t t;
    bool is_time = fname(n, "TIME_FORMAT");
    if (args[0].t == V_NULL || args[1].t == V_NULL)
        return v_null();
    struct val x = to_text(ev, &args[0]), f = to_text(ev, &args[1]);
    if (is_time ? (time_parse_time(x.s, x.len, &t) < 0 && time_parse_datetime(x.s, x.len, &t) < 0)
                : time_parse_datetime(x.s, x.len, &t) < 0)
        return v_null();
    char out[256];
    time_format_mysql(t, is_time, f.s, f.len, out, sizeof(out));
    return v_cstr(arena_strndup(ev->a, out, strlen(out)));
}

static struct val fn_string(struct evaluator *ev, struct node *n, struct val *args)
{
    struct buf b;
    buf_init(&b);
    bool ws = fname(n, "CONCAT_WS");
    for (int i = ws ? 1 : 0; i < n->nargs; i++) {
        if (args[i].t == V_NULL) {
            if (ws)
                continue;
            buf_free(&b);
            return v_null();
        }
        struct val t = to_text(ev, &args[i]);
        if (ws && b.len > 0 && args[0].t != V_NULL)
            buf_append(&b, args[0].s, args[0].len);
        buf_append(&b, t.s, t.len);
    }
    char *s = arena_strndup(ev->a, b.data ? (const char *)b.data : "", b.len);
    size_t len = b.len;
    buf_free(&b);
    return v_str(s, len);
}

static struct val fn_case_conv(struct evaluator *ev, struct node *n, struct val *args)
{
    if (args[0].t == V_NULL)
        return v_null();
    struct val t = to_text(ev, &args[0]);
    char *s = arena_strndup(ev->a, t.s, t.len);
    bool up = fname(n, "UPPER") || fname(n, "UCASE");
    for (size_t i = 0; s && i < t.len; i++)
        s[i] = (char)(up ? toupper((unsigned char)s[i]) : tolower((unsigned char)s[i]));
    return v_str(s, t.len);
}

struct func_def {
    const char *name;
    int min_args, max_args;
    uint8_t type;
};

static const struct func_def functions[] = {
    {"VERSION", 0, 0, MYSQL_TYPE_VAR_STRING},      {"DATABASE", 0, 0, MYSQL_TYPE_VAR_STRING},
    {"SCHEMA", 0, 0, MYSQL_TYPE_VAR_STRING},       {"USER", 0, 0, MYSQL_TYPE_VAR_STRING},
    {"SESSION_USER", 0, 0, MYSQL_TYPE_VAR_STRING}, {"SYSTEM_USER", 0, 0, MYSQL_TYPE_VAR_STRING},
    {"CURRENT_USER", 0, 0, MYSQL_TYPE_VAR_STRING}, {"CONNECTION_ID", 0, 0, MYSQL_TYPE_LONGLONG},
    {"LAST_INSERT_ID", 0, 1, MYSQL_TYPE_LONGLONG}, {"ROW_COUNT", 0, 0, MYSQL_TYPE_LONGLONG},
    {"FOUND_ROWS", 0, 0, MYSQL_TYPE_LONGLONG},     {"NOW", 0, 1, MYSQL_TYPE_DATETIME},
    {"CURRENT_TIMESTAMP", 0, 1, MYSQL_TYPE_DATETIME}, {"LOCALTIME", 0, 1, MYSQL_TYPE_DATETIME},
    {"LOCALTIMESTAMP", 0, 1, MYSQL_TYPE_DATETIME}, {"SYSDATE", 0, 1, MYSQL_TYPE_DATETIME},
    {"UTC_TIMESTAMP", 0, 1, MYSQL_TYPE_DATETIME},  {"CURDATE", 0, 0, MYSQL_TYPE_DATE},
    {"CURRENT_DATE", 0, 0, MYSQL_TYPE_DATE},       {"UTC_DATE", 0, 0, MYSQL_TYPE_DATE},
    {"CURTIME", 0, 1, MYSQL_TYPE_TIME},            {"CURRENT_TIME", 0, 1, MYSQL_TYPE_TIME},
    {"UTC_TIME", 0, 1, MYSQL_TYPE_TIME},           {"UNIX_TIMESTAMP", 0, 0, MYSQL_TYPE_LONGLONG},
    {"TIMEDIFF", 2, 2, MYSQL_TYPE_TIME},           {"CONVERT_TZ", 3, 3, MYSQL_TYPE_DATETIME},
    {"TIME_FORMAT", 2, 2, MYSQL_TYPE_VAR_STRING},  {"DATE_FORMAT", 2, 2, MYSQL_TYPE_VAR_STRING},
    {"CONCAT", 1, 32, MYSQL_TYPE_VAR_STRING},      {"CONCAT_WS", 2, 32, MYSQL_TYPE_VAR_STRING},
    {"IFNULL", 2, 2, 0},                           {"COALESCE", 1, 32, 0},
    {"NULLIF", 2, 2, 0},                           {"IF", 3, 3, 0},
    {"UPPER", 1, 1, MYSQL_TYPE_VAR_STRING},        {"LOWER", 1, 1, MYSQL_TYPE_VAR_STRING},
    {"UCASE", 1, 1, MYSQL_TYPE_VAR_STRING},        {"LCASE", 1, 1, MYSQL_TYPE_VAR_STRING},
    {"LENGTH", 1, 1, MYSQL_TYPE_LONGLONG},         {"CHAR_LENGTH", 1, 1, MYSQL_TYPE_LONGLONG},
    {"COUNT", 1, 1, MYSQL_TYPE_LONGLONG},          {"MIN", 1, 1, 0},
    {"MAX", 1, 1, 0},                              {"SUM", 1, 1, MYSQL_TYPE_NEWDECIMAL},
};

static const struct func_def *find_function(const char *name)
{
    for (size_t i = 0; i < sizeof(functions) / sizeof(functions[0]); i++)
        if (strcasecmp(functions[i].name, name) == 0)
            return &functions[i];
    return NULL;
}

static struct val eval_func(struct evaluator *ev, struct node *n, const struct row_ctx *r)
{
    struct session *s = ev->s;
    struct val args[32];
    if (n->agg)
        return n->agg == 'C' || n->agg == 'c' ? v_int(n->agg_count) : n->agg_val;
    /* IF/IFNULL/COALESCE evaluate lazily, the rest eagerly */
    if (fname(n, "IF")) {
        struct val c = eval(ev, n->args[0], r);
        return eval(ev, n->args[v_true(&c) ? 1 : 2], r);
    }
    if (fname(n, "IFNULL") || fname(n, "COALESCE")) {
        for (int i = 0; i < n->nargs; i++) {
            struct val v = eval(ev, n->args[i], r);
            if (v.t != V_NULL)
                return v;
        }
        return v_null();
    }
    for (int i = 0; i < n->nargs; i++)
        args[i] = eval(ev, n->args[i], r);
    if (fname(n, "NULLIF"))
        return args[0].t != V_NULL && args[1].t != V_NULL && compare(&args[0], &args[1]) == 0
                   ? v_null()
                   : args[0];
    if (fname(n, "VERSION"))
        return v_cstr(s->conn->srv->server_version);
    if (fname(n, "DATABASE") || fname(n, "SCHEMA"))
        return v_cstr(s->database);
    if (fname(n, "USER") || fname(n, "SESSION_USER") || fname(n, "SYSTEM_USER"))
        return v_cstr(arena_printf(ev->a, "%s@%s", s->user, s->conn->peer_ip));
    if (fname(n, "CURRENT_USER"))
        return v_cstr(arena_printf(ev->a, "%s@%%", s->user));
    if (fname(n, "CONNECTION_ID"))
        return v_int(s->conn->id);
    if (fname(n, "LAST_INSERT_ID"))
        return n->nargs ? args[0] : v_int(0);
    if (fname(n, "ROW_COUNT"))
        return v_int(-1);
    if (fname(n, "FOUND_ROWS"))
        return v_int(0);
    if (fname(n, "CONCAT") || fname(n, "CONCAT_WS"))
        return fn_string(ev, n, args);
    if (fname(n, "UPPER") || fname(n, "LOWER") || fname(n, "UCASE") || fname(n, "LCASE"))
        return fn_case_conv(ev, n, args);
    if (fname(n, "LENGTH") || fname(n, "CHAR_LENGTH")) {
        if (args[0].t == V_NULL)
            return v_null();
        struct val t = to_text(ev, &args[0]);
        size_t chars = 0;
        for (size_t i = 0; i < t.len; i++)
            chars += ((unsigned char)t.s[i] & 0xC0) != 0x80;
        return v_int((int64_t)(fname(n, "LENGTH") ? t.len : chars));
    }
    return fn_time(ev, n, args);
}

static struct val eval_col(struct evaluator *ev, struct node *n, const struct row_ctx *r)
{
    if (!r->cells || n->col < 0)
        return v_null();
    const char *s = r->cells[n->col];
    if (!s)
        return v_null();
    uint8_t t = ev->table->cols[n->col].type;
    if (t == MYSQL_TYPE_LONGLONG || t == MYSQL_TYPE_LONG) {
        errno = 0;
        char *end;
        long long v = strtoll(s, &end, 10);
        if (!errno && !*end)
            return v_int(v);
    }
    return v_cstr(s);
}

static struct val eval(struct evaluator *ev, struct node *n, const struct row_ctx *r)
{
    struct val v;
    switch (n->k) {
    case N_LIT:
        return n->lit;
    case N_SYSVAR: {
        const struct sysvar_def *d = sysvar_find(n->name, n->name_len);
        const char *s = session_var_get(ev->s, d, n->global);
        if (s && (d->type == SYSVAR_INT || d->type == SYSVAR_BOOL)) {
            errno = 0;
            char *end;
            long long x = strtoll(s, &end, 10);
            if (!errno && !*end)
                return v_int(x);
        }
        return v_cstr(s);
    }
    case N_USERVAR: {
        bool is_int;
        const char *s = session_user_var_get(ev->s, n->name, n->name_len, &is_int);
        return is_int && s ? v_int(strtoll(s, NULL, 10)) : v_cstr(s);
    }
    case N_COL:
        return eval_col(ev, n, r);
    case N_FUNC:
        return eval_func(ev, n, r);
    case N_NEG:
        v = eval(ev, n->args[0], r);
        if (v.t == V_INT)
            return v_int(-v.i);
        if (v.t == V_NULL)
            return v;
        v.d = -v_num(&v);
        v.t = V_DOUBLE;
        v.s = NULL;
        return v;
    case N_NOT:
        v = eval(ev, n->args[0], r);
        return v.t == V_NULL ? v : v_int(!v_true(&v));
    case N_BIN:
        return eval_binop(ev, n, r);
    case N_ISNULL:
        v = eval(ev, n->args[0], r);
        return v_int((v.t == V_NULL) != n->neg);
    case N_ISBOOL:
        v = eval(ev, n->args[0], r);
        return v_int((v.t != V_NULL && v_true(&v) == n->bool_value) != n->neg);
    case N_LIKE: {
        struct val a = eval(ev, n->args[0], r), b = eval(ev, n->args[1], r);
        if (a.t == V_NULL || b.t == V_NULL)
            return v_null();
        a = to_text(ev, &a);
        b = to_text(ev, &b);
        return v_int(eval_like(a.s, a.len, b.s, b.len) != n->neg);
    }
    case N_IN: {
        struct val a = eval(ev, n->args[0], r);
        bool saw_null = false;
        if (a.t == V_NULL)
            return v_null();
        for (int i = 1; i < n->nargs; i++) {
            struct val b = eval(ev, n->args[i], r);
            if (b.t == V_NULL)
                saw_null = true;
            else if (compare(&a, &b) == 0)
                return v_int(!n->neg);
        }
        return saw_null ? v_null() : v_int(n->neg);
    }
    case N_BETWEEN: {
        struct val a = eval(ev, n->args[0], r), lo = eval(ev, n->args[1], r),
                   hi = eval(ev, n->args[2], r);
        if (a.t == V_NULL || lo.t == V_NULL || hi.t == V_NULL)
            return v_null();
        return v_int((compare(&a, &lo) >= 0 && compare(&a, &hi) <= 0) != n->neg);
    }
    case N_CASE: {
        struct val subject = n->args[0] ? eval(ev, n->args[0], r) : v_null();
        int pairs_end = n->has_else ? n->nargs - 1 : n->nargs;
        for (int i = 1; i + 1 < pairs_end; i += 2) {
            struct val w = eval(ev, n->args[i], r);
            bool hit = n->args[0] ? (subject.t != V_NULL && w.t != V_NULL && compare(&subject, &w) == 0)
                                  : v_true(&w);
            if (hit)
                return eval(ev, n->args[i + 1], r);
        }
        return n->has_else ? eval(ev, n->args[n->nargs - 1], r) : v_null();
    }
    }
    return v_null();
}

/* ---- name resolution and typing ---- */

struct resolver {
    struct parser *p;
    const struct vtable_rows *table;
    const struct table_ref *ref;
    const char *clause;
};

static bool qual_matches(const struct table_ref *ref, const char *q)
{
    return !q || (ref->alias && strcasecmp(ref->alias, q) == 0) ||
           (!ref->alias && strcasecmp(ref->name, q) == 0) || strcasecmp(ref->name, q) == 0;
}

/* Binds column references and checks functions and variables; false after
 * setting p->err. */
static bool resolve(struct resolver *rs, struct node *n)
{
    struct parser *p = rs->p;
    if (!n)
        return true;
    switch (n->k) {
    case N_COL: {
        int found = -1;
        if (rs->table && (!rs->ref || qual_matches(rs->ref, n->qual))) {
            for (size_t i = 0; i < rs->table->ncols; i++)
                if (strcasecmp(rs->table->cols[i].name, n->name) == 0)
                    found = (int)i;
        }
        if (found < 0) {
            char what[200];
            snprintf(what, sizeof(what), "%s%s%s", n->qual ? n->qual : "", n->qual ? "." : "",
                     n->name);
            failf(p, ER_BAD_FIELD, what, rs->clause);
            return false;
        }
        n->col = found;
        return true;
    }
    case N_SYSVAR: {
        const struct sysvar_def *d = sysvar_find(n->name, n->name_len);
        if (!d) {
            fail(p, ER_UNKNOWN_SYSTEM_VARIABLE, n->name);
            return false;
        }
        if (!n->global && (d->flags & SYSVAR_GLOBAL_ONLY) && n->src_start < n->src_end &&
            memchr(p->src + n->src_start, '.', n->src_end - n->src_start)) {
            /* @@session.x of a global-only variable */
            failf(p, ER_INCORRECT_GLOBAL_LOCAL_VAR, d->name, "GLOBAL");
            return false;
        }
        return true;
    }
    case N_FUNC: {
        const struct func_def *f = find_function(n->name);
        if (!f) {
            char what[200];
            snprintf(what, sizeof(what), "function %s()", n->name);
            fail(p, ER_NO_UPSTREAM, what);
            return false;
        }
        if (!n->agg && (n->nargs < f->min_args || n->nargs > f->max_args)) {
            fail(p, ER_WRONG_PARAMCOUNT, f->name);
            return false;
        }
        break;
    }
    default:
        break;
    }
    for (int i = 0; i < n->nargs; i++)
        if (!resolve(rs, n->args[i]))
            return false;
    return true;
}

static bool contains_agg(const struct node *n)
{
    if (!n)
        return false;
    if (n->k == N_FUNC && n->agg)
        return true;
    for (int i = 0; i < n->nargs; i++)
        if (contains_agg(n->args[i]))
            return true;
    return false;
}

static struct mysql_column column_for(struct session *s, const struct node *n,
                                      const struct vtable_rows *t);

static struct mysql_column typed(const char *name, uint8_t type)
{
    struct mysql_column c = {.name = name, .type = type};
    switch (type) {
    case MYSQL_TYPE_LONGLONG:
        c.charset = MYSQL_CHARSET_BINARY;
        c.length = 21;
        c.flags = MYSQL_FLAG_BINARY | MYSQL_FLAG_NUM;
        break;
    case MYSQL_TYPE_DOUBLE:
    case MYSQL_TYPE_NEWDECIMAL:
        c.charset = MYSQL_CHARSET_BINARY;
        c.length = 23;
        c.decimals = 31;
        c.flags = MYSQL_FLAG_BINARY | MYSQL_FLAG_NUM;
        break;
    case MYSQL_TYPE_DATETIME:
        c.charset = MYSQL_CHARSET_BINARY;
        c.length = 19;
        c.flags = MYSQL_FLAG_BINARY;
        break;
    case MYSQL_TYPE_DATE:
        c.charset = MYSQL_CHARSET_BINARY;
        c.length = 10;
        c.flags = MYSQL_FLAG_BINARY;
        break;
    case MYSQL_TYPE_TIME:
        c.charset = MYSQL_CHARSET_BINARY;
        c.length = 10;
        c.flags = MYSQL_FLAG_BINARY;
        break;
    case MYSQL_TYPE_NULL:
        c.charset = MYSQL_CHARSET_BINARY;
        c.flags = MYSQL_FLAG_BINARY;
        break;
    default:
        c.type = MYSQL_TYPE_VAR_STRING;
        c.length = 1024;
        break;
    }
    return c;
}

static struct mysql_column column_for(struct session *s, const struct node *n,
                                      const struct vtable_rows *t)
{
    switch (n->k) {
    case N_LIT: {
        uint8_t type = n->lit.t == V_INT      ? MYSQL_TYPE_LONGLONG
                       : n->lit.t == V_DOUBLE ? MYSQL_TYPE_NEWDECIMAL
                       : n->lit.t == V_NULL   ? MYSQL_TYPE_NULL
                                              : MYSQL_TYPE_VAR_STRING;
        struct mysql_column c = typed(NULL, type);
        if (n->lit.t != V_NULL)
            c.flags |= MYSQL_FLAG_NOT_NULL;
        return c;
    }
    case N_SYSVAR: {
        const struct sysvar_def *d = sysvar_find(n->name, n->name_len);
        return typed(NULL, d && d->type != SYSVAR_STR ? MYSQL_TYPE_LONGLONG : MYSQL_TYPE_VAR_STRING);
    }
    case N_USERVAR: {
        bool is_int;
        const char *v = session_user_var_get(s, n->name, n->name_len, &is_int);
        return typed(NULL, v && is_int ? MYSQL_TYPE_LONGLONG : MYSQL_TYPE_VAR_STRING);
    }
    case N_COL: {
        struct mysql_column c = typed(NULL, t->cols[n->col].type);
        c.flags |= t->cols[n->col].flags;
        c.org_name = t->cols[n->col].name;
        return c;
    }
    case N_FUNC: {
        const struct func_def *f = find_function(n->name);
        if (f && f->type) {
            struct mysql_column c = typed(NULL, f->type);
            if (f->type == MYSQL_TYPE_LONGLONG && fname(n, "CONNECTION_ID"))
                c.flags |= MYSQL_FLAG_UNSIGNED | MYSQL_FLAG_NOT_NULL;
            return c;
        }
        /* IFNULL, COALESCE, IF, MIN, MAX: the type of the first value argument */
        int i = fname(n, "IF") ? 1 : 0;
        return i < n->nargs ? column_for(s, n->args[i], t) : typed(NULL, MYSQL_TYPE_VAR_STRING);
    }
    case N_NEG:
        return column_for(s, n->args[0], t);
    case N_BIN:
        if (n->op >= OP_ADD) {
            struct mysql_column a = column_for(s, n->args[0], t), b = column_for(s, n->args[1], t);
            bool ints = a.type == MYSQL_TYPE_LONGLONG && b.type == MYSQL_TYPE_LONGLONG &&
                        n->op != OP_DIV;
            return typed(NULL, ints ? MYSQL_TYPE_LONGLONG : MYSQL_TYPE_NEWDECIMAL);
        }
        return typed(NULL, MYSQL_TYPE_LONGLONG);
    case N_CASE:
        return n->nargs > 2 ? column_for(s, n->args[2], t) : typed(NULL, MYSQL_TYPE_VAR_STRING);
    default:
        return typed(NULL, MYSQL_TYPE_LONGLONG);
    }
}

/* The column label MySQL would show: the alias, a string literal's value,
 * or the expression exactly as written. */
static const char *label_for(struct parser *p, const struct node *n)
{
    if (n->k == N_LIT && n->lit.t == V_STR && n->lit.s)
        return n->lit.s;
    size_t end = n->src_end > n->src_start ? n->src_end : n->src_start;
    return arena_strndup(p->a, p->src + n->src_start, end - n->src_start);
}

/* ---- SELECT ---- */

static const char *parse_alias(struct parser *p)
{
    bool as = accept_kw(p, "AS");
    const struct sql_token *t = cur(p);
    if (t->type == SQL_TK_QIDENT || t->type == SQL_TK_STRING ||
        (t->type == SQL_TK_IDENT && !is_reserved(p, t))) {
        p->pos++;
        return tok_text(p, t);
    }
    if (as)
        syntax_error(p);
    return NULL;
}

static bool parse_select_list(struct parser *p, struct select_stmt *st)
{
    struct select_item tmp[256];
    int k = 0;
    do {
        if (k == 256) {
            fail(p, ER_NOT_SUPPORTED_YET, "more than 256 columns");
            return false;
        }
        struct select_item *it = &tmp[k++];
        memset(it, 0, sizeof(*it));
        if (accept_op(p, "*"))
            continue;
        const struct sql_token *t = cur(p);
        if ((t->type == SQL_TK_IDENT || t->type == SQL_TK_QIDENT) &&
            sql_token_op(p->src, peek_tok(p, 1), ".") && sql_token_op(p->src, peek_tok(p, 2), "*")) {
            it->star_qual = tok_text(p, t);
            p->pos += 3;
            continue;
        }
        if (!(it->expr = parse_expr(p)))
            return false;
        it->label = parse_alias(p);
        if (p->err)
            return false;
        if (!it->label)
            it->label = label_for(p, it->expr);
    } while (accept_op(p, ","));
    st->nitems = k;
    st->items = arena_alloc(p->a, sizeof(*st->items) * (size_t)k);
    if (!st->items)
        return false;
    memcpy(st->items, tmp, sizeof(*st->items) * (size_t)k);
    return true;
}

static bool parse_table_ref(struct parser *p, struct table_ref *ref)
{
    const struct sql_token *t = cur(p);
    if (is_op(p, "(")) {
        fail(p, ER_NOT_SUPPORTED_YET, "derived tables");
        return false;
    }
    if (t->type != SQL_TK_IDENT && t->type != SQL_TK_QIDENT) {
        syntax_error(p);
        return false;
    }
    ref->name = tok_text(p, t);
    p->pos++;
    if (is_op(p, ".") &&
        (peek_tok(p, 1)->type == SQL_TK_IDENT || peek_tok(p, 1)->type == SQL_TK_QIDENT)) {
        ref->schema = ref->name;
        ref->name = tok_text(p, peek_tok(p, 1));
        p->pos += 2;
    }
    ref->alias = parse_alias(p);
    return !p->err;
}

static bool parse_from(struct parser *p, struct select_stmt *st)
{
    if (accept_kw(p, "DUAL"))
        return true;
    do {
        bool left = false;
        for (;;) {
            if (st->ntables == 8) {
                fail(p, ER_NOT_SUPPORTED_YET, "more than 8 tables");
                return false;
            }
            struct table_ref *ref = &st->tables[st->ntables++];
            ref->left_join = left;
            if (!parse_table_ref(p, ref))
                return false;
            if (st->ntables > 1 && accept_kw(p, "ON")) {
                if (!parse_expr(p))
                    return false;
            } else if (st->ntables > 1 && accept_kw(p, "USING")) {
                struct node tmp = {0};
                if (!accept_op(p, "(") || !parse_args(p, &tmp))
                    return false;
            }
            accept_kw(p, "NATURAL");
            left = accept_kw(p, "LEFT") || accept_kw(p, "RIGHT");
            accept_kw(p, "OUTER");
            bool join = accept_kw(p, "INNER") | accept_kw(p, "CROSS");
            if (!accept_kw(p, "JOIN") && !accept_kw(p, "STRAIGHT_JOIN")) {
                if (left || join)
                    syntax_error(p);
                break;
            }
        }
    } while (!p->err && accept_op(p, ","));
    return !p->err;
}

static bool parse_limit(struct parser *p, struct select_stmt *st)
{
    const struct sql_token *a = cur(p);
    if (a->type != SQL_TK_NUMBER) {
        syntax_error(p);
        return false;
    }
    p->pos++;
    int64_t first = strtoll(p->src + a->start, NULL, 10);
    if (accept_op(p, ",")) {
        const struct sql_token *b = cur(p);
        if (b->type != SQL_TK_NUMBER) {
            syntax_error(p);
            return false;
        }
        p->pos++;
        st->offset = first;
        st->limit = strtoll(p->src + b->start, NULL, 10);
    } else {
        st->limit = first;
        if (accept_kw(p, "OFFSET")) {
            const struct sql_token *b = cur(p);
            if (b->type != SQL_TK_NUMBER) {
                syntax_error(p);
                return false;
            }
            p->pos++;
            st->offset = strtoll(p->src + b->start, NULL, 10);
        }
    }
    return true;
}

static bool parse_select(struct parser *p, struct select_stmt *st)
{
    st->limit = -1;
    p->stmt = st;
    if (!accept_kw(p, "SELECT")) {
        syntax_error(p);
        return false;
    }
    for (;;) {
        if (accept_kw(p, "DISTINCT") || accept_kw(p, "DISTINCTROW"))
            st->distinct = true;
        else if (!(accept_kw(p, "ALL") || accept_kw(p, "HIGH_PRIORITY") || accept_kw(p, "STRAIGHT_JOIN") ||
                   accept_kw(p, "SQL_SMALL_RESULT") || accept_kw(p, "SQL_BIG_RESULT") ||
                   accept_kw(p, "SQL_BUFFER_RESULT") || accept_kw(p, "SQL_NO_CACHE") ||
                   accept_kw(p, "SQL_CACHE") || accept_kw(p, "SQL_CALC_FOUND_ROWS")))
            break;
    }
    if (!parse_select_list(p, st))
        return false;
    if (accept_kw(p, "INTO")) {
        fail(p, ER_NOT_SUPPORTED_YET, "SELECT ... INTO");
        return false;
    }
    if (accept_kw(p, "FROM") && !parse_from(p, st))
        return false;
    if (accept_kw(p, "WHERE") && !(st->where = parse_expr(p)))
        return false;
    if (accept_kw(p, "GROUP")) {
        struct node tmp = {0};
        if (!accept_kw(p, "BY"))
            return syntax_error(p), false;
        st->group_by = true;
        do {
            if (!parse_expr(p))
                return false;
            if (!accept_kw(p, "ASC"))
                accept_kw(p, "DESC");
        } while (accept_op(p, ","));
        (void)tmp;
    }
    if (accept_kw(p, "HAVING")) {
        fail(p, ER_NOT_SUPPORTED_YET, "HAVING in stage-only mode");
        return false;
    }
    if (accept_kw(p, "ORDER")) {
        if (!accept_kw(p, "BY"))
            return syntax_error(p), false;
        do {
            if (st->norders == 16)
                return fail(p, ER_NOT_SUPPORTED_YET, "more than 16 ORDER BY terms"), false;
            struct order_item *o = &st->orders[st->norders++];
            if (!(o->expr = parse_expr(p)))
                return false;
            o->desc = accept_kw(p, "DESC");
            if (!o->desc)
                accept_kw(p, "ASC");
        } while (accept_op(p, ","));
    }
    if (accept_kw(p, "LIMIT") && !parse_limit(p, st))
        return false;
    if (accept_kw(p, "FOR")) {
        if (!accept_kw(p, "UPDATE") && !accept_kw(p, "SHARE"))
            return syntax_error(p), false;
    } else if (accept_kw(p, "LOCK")) {
        if (!accept_kw(p, "IN") || !accept_kw(p, "SHARE") || !accept_kw(p, "MODE"))
            return syntax_error(p), false;
    }
    if (accept_kw(p, "UNION")) {
        fail(p, ER_NOT_SUPPORTED_YET, "UNION in stage-only mode");
        return false;
    }
    if (cur(p)->type != SQL_TK_EOF) {
        syntax_error(p);
        return false;
    }
    return true;
}

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

struct out_row {
    const char **cells;
    struct val *keys;
    size_t seq;
};

struct sort_ctx {
    const struct select_stmt *st;
};

static int cmp_rows(const void *a, const void *b, void *arg)
{
    const struct out_row *x = a, *y = b;
    const struct sort_ctx *sc = arg;
    for (int i = 0; i < sc->st->norders; i++) {
        const struct val *u = &x->keys[i], *v = &y->keys[i];
        int c;
        if (u->t == V_NULL || v->t == V_NULL)
            c = (u->t == V_NULL) - (v->t == V_NULL) ? ((u->t == V_NULL) ? -1 : 1) : 0;
        else
            c = compare(u, v);
        if (c)
            return sc->st->orders[i].desc ? -c : c;
    }
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void accumulate(struct evaluator *ev, struct node *n, const struct row_ctx *r)
{
    if (!n)
        return;
    if (n->k == N_FUNC && n->agg) {
        if (n->agg == 'C') {
            n->agg_count++;
            return;
        }
        struct val v = eval(ev, n->args[0], r);
        if (v.t == V_NULL)
            return;
        if (n->agg == 'c') {
            n->agg_count++;
        } else if (n->agg == 's') {
            double sum = (n->agg_val.t == V_NULL ? 0 : n->agg_val.d) + v_num(&v);
            n->agg_val = (struct val){.t = V_DOUBLE, .d = sum};
        } else {
            int c = n->agg_val.t == V_NULL ? 0 : compare(&v, &n->agg_val);
            if (n->agg_val.t == V_NULL || (n->agg == 'n' ? c < 0 : c > 0)) {
                struct val t = to_text(ev, &v);
                n->agg_val = is_numeric(&v) ? v : v_str(arena_strndup(ev->a, t.s, t.len), t.len);
            }
        }
        return;
    }
    for (int i = 0; i < n->nargs; i++)
        accumulate(ev, n->args[i], r);
}

struct out_plan {
    struct mysql_column *cols;
    struct node **exprs; /* NULL entry: table column `table_col[i]` */
    int *table_col;
    int n;
    int order_out[16]; /* ORDER BY term that names an output column, else -1 */
};

static bool plan_outputs(struct parser *p, struct select_stmt *st, const struct vtable_rows *t,
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
            if (it->star_qual && !qual_matches(&st->tables[0], it->star_qual)) {
                fail(p, ER_BAD_TABLE, it->star_qual);
                return false;
            }
            for (size_t c = 0; c < t->ncols; c++) {
                pl->cols[pl->n] = typed(t->cols[c].name, t->cols[c].type);
                pl->cols[pl->n].flags |= t->cols[c].flags;
                pl->cols[pl->n].table = st->tables[0].alias ? st->tables[0].alias : st->tables[0].name;
                pl->table_col[pl->n] = (int)c;
                pl->exprs[pl->n++] = NULL;
            }
            continue;
        }
        pl->cols[pl->n] = column_for(p->s, it->expr, t);
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
        if (!resolve(&rs, st->items[i].expr))
            return false;
    rs.clause = "where clause";
    return resolve(&rs, st->where);
}

/* ORDER BY terms that do not name an output column read the input row. */
static bool resolve_orders(struct parser *p, struct select_stmt *st, const struct vtable_rows *t,
                           const struct out_plan *pl)
{
    struct resolver rs = {p, t, st->ntables ? &st->tables[0] : NULL, "order clause"};
    for (int i = 0; i < st->norders; i++)
        if (pl->order_out[i] < 0 && !resolve(&rs, st->orders[i].expr))
            return false;
    return true;
}

static const char *cell_text(struct evaluator *ev, struct node *e, const struct row_ctx *r,
                             int table_col)
{
    if (!e)
        return r->cells ? r->cells[table_col] : NULL;
    struct val v = eval(ev, e, r);
    if (v.t == V_NULL)
        return NULL;
    v = to_text(ev, &v);
    return arena_strndup(ev->a, v.s, v.len);
}

static bool emit_row(struct parser *p, struct evaluator *ev, const struct select_stmt *st,
                     const struct out_plan *pl, const struct row_ctx *r, struct out_row *out,
                     size_t seq)
{
    out->cells = arena_alloc(p->a, sizeof(char *) * (size_t)(pl->n ? pl->n : 1));
    out->keys = arena_alloc(p->a, sizeof(struct val) * (size_t)(st->norders ? st->norders : 1));
    out->seq = seq;
    if (!out->cells || !out->keys)
        return false;
    for (int i = 0; i < pl->n; i++)
        out->cells[i] = cell_text(ev, pl->exprs[i], r, pl->table_col[i]);
    for (int i = 0; i < st->norders; i++) {
        if (pl->order_out[i] >= 0) {
            struct node *e = pl->exprs[pl->order_out[i]];
            out->keys[i] = e ? eval(ev, e, r) : v_cstr(out->cells[pl->order_out[i]]);
        } else {
            out->keys[i] = eval(ev, st->orders[i].expr, r);
        }
    }
    return true;
}

static bool same_row(const struct out_row *a, const struct out_row *b, int n)
{
    for (int i = 0; i < n; i++) {
        const char *x = a->cells[i], *y = b->cells[i];
        if ((x == NULL) != (y == NULL) || (x && strcmp(x, y) != 0))
            return false;
    }
    return true;
}

static void send_rows(struct session *s, const struct out_plan *pl, struct out_row *rows,
                      size_t n, const struct select_stmt *st)
{
    struct mysql_conn *c = s->conn;
    struct mysql_value vals[256];
    mysql_result_begin(c, pl->cols, (size_t)pl->n);
    size_t first = st->offset > 0 ? (size_t)st->offset : 0;
    size_t sent = 0;
    for (size_t r = first; r < n; r++) {
        if (st->limit >= 0 && sent >= (size_t)st->limit)
            break;
        for (int i = 0; i < pl->n && i < 256; i++) {
            vals[i].null = rows[r].cells[i] == NULL;
            vals[i].s = rows[r].cells[i] ? rows[r].cells[i] : "";
            vals[i].len = rows[r].cells[i] ? strlen(rows[r].cells[i]) : 0;
        }
        mysql_result_row(c, pl->cols, vals, (size_t)pl->n);
        sent++;
    }
    mysql_result_end(c);
}

static int run_select(struct parser *p, struct select_stmt *st, struct vtable_rows *t)
{
    struct out_plan pl;
    memset(&pl, 0, sizeof(pl));
    if (!resolve_items(p, st, t) || !plan_outputs(p, st, t, &pl) || !resolve_orders(p, st, t, &pl))
        return -1;
    struct evaluator ev = {p->s, p->a, t};
    size_t nin = t ? t->nrows : 1, nout = 0;
    struct out_row *rows = arena_alloc(p->a, sizeof(*rows) * (nin ? nin : 1));
    if (!rows)
        return -1;
    bool has_agg = false;
    for (int i = 0; i < st->nitems; i++)
        has_agg |= contains_agg(st->items[i].expr);
    const char *const *first_match = NULL;
    size_t matched = 0;
    for (size_t r = 0; r < nin; r++) {
        struct row_ctx rc = {t ? t->cells + r * t->ncols : NULL, false};
        if (st->where) {
            struct val w = eval(&ev, st->where, &rc);
            if (!v_true(&w))
                continue;
        }
        if (!matched++)
            first_match = rc.cells;
        if (has_agg || st->group_by) {
            for (int i = 0; i < st->nitems; i++)
                accumulate(&ev, st->items[i].expr, &rc);
            continue;
        }
        if (!emit_row(p, &ev, st, &pl, &rc, &rows[nout], nout))
            return -1;
        if (st->distinct) {
            bool dup = false;
            for (size_t k = 0; k < nout && !dup; k++)
                dup = same_row(&rows[k], &rows[nout], pl.n);
            if (dup)
                continue;
        }
        nout++;
    }
    if (st->group_by && matched > 0) {
        fail(p, ER_NOT_SUPPORTED_YET, "GROUP BY in stage-only mode");
        return -1;
    }
    if (has_agg && !st->group_by) {
        struct row_ctx rc = {first_match, true};
        if (!emit_row(p, &ev, st, &pl, &rc, &rows[0], 0))
            return -1;
        nout = 1;
    }
    if (st->norders > 0) {
        struct sort_ctx sc = {st};
        qsort_r(rows, nout, sizeof(*rows), cmp_rows, &sc);
    }
    if (p->a->oom) {
        fail(p, ER_UNKNOWN, "out of memory");
        return -1;
    }
    send_rows(p->s, &pl, rows, nout, st);
    return 0;
}

static int tokenize(struct parser *p, const char *sql, size_t start, size_t end)
{
    struct sql_lexer lx;
    size_t cap = 64;
    p->src = sql;
    p->src_len = end;
    p->toks = malloc(cap * sizeof(*p->toks));
    if (!p->toks)
        return -1;
    sql_lexer_init(&lx, sql, end, SQL_MODE_MYSQL);
    lx.pos = start;
    for (;;) {
        if (p->n == cap) {
            cap *= 2;
            struct sql_token *t = realloc(p->toks, cap * sizeof(*t));
            if (!t)
                return -1;
            p->toks = t;
        }
        struct sql_token *t = &p->toks[p->n++];
        sql_lexer_next(&lx, t);
        if (t->type == SQL_TK_ERROR) {
            p->pos = p->n - 1;
            syntax_error(p);
            return -1;
        }
        if (t->type == SQL_TK_EOF)
            return 0;
    }
}

static void send_parser_error(struct parser *p)
{
    struct mysql_conn *c = p->s->conn;
    if (p->err == ER_PARSE)
        mysql_conn_send_err(c, ER_PARSE, p->errarg, p->errline > 0 ? p->errline : 1);
    else
        mysql_conn_send_err_text(c, mysql_error_info(p->err)->code,
                                 mysql_error_info(p->err)->sqlstate, p->errarg);
}

static void parser_free(struct parser *p)
{
    free(p->toks);
    for (int i = 0; i < p->ntables; i++)
        vtable_rows_free(p->tables[i]);
}

/* Loads the FROM tables; false after setting the error. */
static bool load_tables(struct parser *p, struct select_stmt *st, struct vtable_rows *store)
{
    for (int i = 0; i < st->ntables; i++) {
        struct table_ref *ref = &st->tables[i];
        const char *schema = ref->schema ? ref->schema : p->s->database;
        if (!schema) {
            fail(p, ER_NO_DB, "");
            return false;
        }
        int rc = vtable_load(p->s, schema, ref->name, &store[i]);
        if (rc == -ENOENT) {
            if (strcasecmp(schema, "information_schema") == 0 ||
                session_database_exists(p->s->conn->srv, schema))
                failf(p, ER_NO_SUCH_TABLE, schema, ref->name);
            else
                failf(p, ER_NO_UPSTREAM, "tables live in the upstream database");
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
            cols[n++] = typed(st->items[i].label, MYSQL_TYPE_VAR_STRING);
            continue;
        }
        for (int t = 0; t < st->ntables; t++)
            for (size_t c = 0; c < p->tables[t]->ncols && n < 256; c++)
                cols[n++] = typed(p->tables[t]->cols[c].name, p->tables[t]->cols[c].type);
    }
    mysql_result_begin(p->s->conn, cols, (size_t)n);
    mysql_result_end(p->s->conn);
    return 0;
}

int eval_select(struct session *s, const char *sql, size_t len)
{
    struct arena a = {0};
    struct parser p = {.s = s, .a = &a};
    struct select_stmt st;
    struct vtable_rows tables[8];
    int rc = -1;
    memset(&st, 0, sizeof(st));
    if (tokenize(&p, sql, 0, len) == 0 && parse_select(&p, &st) && load_tables(&p, &st, tables)) {
        if (st.ntables > 1)
            rc = run_join(&p, &st);
        else
            rc = run_select(&p, &st, st.ntables ? p.tables[0] : NULL);
    }
    if (rc < 0) {
        if (!p.err)
            fail(&p, ER_UNKNOWN, "out of memory");
        send_parser_error(&p);
    }
    parser_free(&p);
    arena_free(&a);
    return rc;
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
        if (tokenize(&p, sql, where_at, len) == 0 && (st.where = parse_expr(&p)) &&
            cur(&p)->type == SQL_TK_EOF)
            rc = run_select(&p, &st, t);
        else
            syntax_error(&p);
    } else {
        rc = run_select(&p, &st, t);
    }
    if (rc < 0)
        send_parser_error(&p);
    parser_free(&p);
    arena_free(&a);
    return rc;
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
    if (tokenize(&p, sql, start, end) == 0 && (n = parse_expr(&p))) {
        struct resolver rs = {&p, NULL, NULL, "field list"};
        if (cur(&p)->type != SQL_TK_EOF)
            syntax_error(&p);
        else if (resolve(&rs, n)) {
            struct evaluator ev = {s, &a, NULL};
            struct row_ctx rc0 = {NULL, false};
            struct val v = eval(&ev, n, &rc0);
            *is_int = v.t == V_INT;
            if (v.t != V_NULL) {
                v = to_text(&ev, &v);
                *out = strndup(v.s, v.len);
            }
            rc = (v.t == V_NULL || *out) ? 0 : -1;
        }
    }
    if (rc < 0) {
        if (!p.err)
            fail(&p, ER_UNKNOWN, "out of memory");
        send_parser_error(&p);
    }
    parser_free(&p);
    arena_free(&a);
    return rc;
}
