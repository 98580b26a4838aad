/* The expression parser: tokens to a syntax tree. */
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

void *arena_alloc(struct arena *a, size_t n)
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

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    return arena_strndup(a, tmp,
                         n < 0                      ? 0
                         : (size_t)n >= sizeof(tmp) ? sizeof(tmp) - 1
                                                    : (size_t)n);
}

void arena_free(struct arena *a)
{
    while (a->head) {
        struct arena_block *b = a->head;
        a->head = b->next;
        free(b);
    }
}

struct arena_mark arena_mark(const struct arena *a)
{
    struct arena_mark m = {a->head, a->head ? a->head->used : 0};
    return m;
}

void arena_rewind(struct arena *a, struct arena_mark m)
{
    while (a->head && a->head != m.head) {
        struct arena_block *b = a->head;
        a->head = b->next;
        free(b);
    }
    if (a->head)
        a->head->used = m.used;
}

/* ---- parser ---- */

const struct sql_token *px_cur(struct parser *p)
{
    return &p->toks[p->pos < p->n ? p->pos : p->n - 1];
}

const struct sql_token *px_peek(struct parser *p, size_t k)
{
    size_t i = p->pos + k;
    return &p->toks[i < p->n ? i : p->n - 1];
}

bool px_is_kw(struct parser *p, const char *kw)
{
    return sql_token_is(p->src, px_cur(p), kw);
}

bool px_accept(struct parser *p, const char *kw)
{
    if (!px_is_kw(p, kw))
        return false;
    p->pos++;
    return true;
}

bool px_is_op(struct parser *p, const char *op)
{
    return sql_token_op(p->src, px_cur(p), op);
}

bool px_accept_op(struct parser *p, const char *op)
{
    if (!px_is_op(p, op))
        return false;
    p->pos++;
    return true;
}

void px_syntax_error(struct parser *p)
{
    if (p->err)
        return;
    const struct sql_token *t = px_cur(p);
    p->err = ER_PARSE;
    size_t left = t->start < p->src_len ? p->src_len - t->start : 0;
    snprintf(p->errarg, sizeof(p->errarg), "%.*s", (int)(left < 80 ? left : 80), p->src + t->start);
    p->errline = 1;
    for (size_t i = 0; i < t->start; i++)
        if (p->src[i] == '\n')
            p->errline++;
}

/* Records the first error, formatted from the error table. */
void px_fail(struct parser *p, int err, ...)
{
    if (p->err)
        return;
    p->err = err;
    va_list ap;
    va_start(ap, err);
    vsnprintf(p->errarg, sizeof(p->errarg), mysql_error_info(err)->fmt, ap);
    va_end(ap);
}

struct node *px_new_node(struct parser *p, enum nkind k)
{
    struct node *n = arena_alloc(p->a, sizeof(*n));
    if (!n) {
        fail(p, ER_UNKNOWN, "out of memory");
        return NULL;
    }
    n->k = k;
    n->col = -1;
    n->decimals = -1; /* a DOUBLE until resolving says otherwise */
    n->src_start = px_cur(p)->start;
    return n;
}

char *px_text(struct parser *p, const struct sql_token *t)
{
    struct buf b;
    buf_init(&b);
    sql_token_unquote(p->src, t, &b);
    char *s = arena_strndup(p->a, b.data ? (const char *)b.data : "", b.len);
    buf_free(&b);
    return s;
}

struct node *px_parse_expr(struct parser *p);

static const char *const reserved_words[] = {
    "FROM",  "WHERE", "GROUP",         "HAVING", "ORDER", "LIMIT", "UNION",  "INTO",
    "FOR",   "LOCK",  "JOIN",          "INNER",  "LEFT",  "RIGHT", "CROSS",  "NATURAL",
    "ON",    "USING", "STRAIGHT_JOIN", "AND",    "OR",    "NOT",   "XOR",    "IS",
    "LIKE",  "IN",    "BETWEEN",       "AS",     "ASC",   "DESC",  "OFFSET", "WINDOW",
    "THEN",  "WHEN",  "ELSE",          "END",    "DIV",   "MOD",   "ESCAPE", "REGEXP",
    "RLIKE", NULL};

bool px_is_reserved(struct parser *p, const struct sql_token *t)
{
    for (int i = 0; reserved_words[i]; i++)
        if (sql_token_is(p->src, t, reserved_words[i]))
            return true;
    return false;
}

bool px_parse_args(struct parser *p, struct node *n)
{
    struct node *tmp[32];
    int k = 0;
    if (!px_accept_op(p, ")")) {
        do {
            if (k == 32) {
                px_syntax_error(p);
                return false;
            }
            tmp[k] = px_parse_expr(p);
            if (!tmp[k++])
                return false;
        } while (px_accept_op(p, ","));
        if (!px_accept_op(p, ")")) {
            px_syntax_error(p);
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

static const char *const niladic[] = {
    "CURRENT_TIMESTAMP", "CURRENT_DATE",  "CURRENT_TIME", "CURRENT_USER", "LOCALTIME",
    "LOCALTIMESTAMP",    "UTC_TIMESTAMP", "UTC_DATE",     "UTC_TIME",     NULL};

static struct node *parse_case(struct parser *p)
{
    struct node *n = px_new_node(p, N_CASE);
    struct node *tmp[64];
    int k = 0;
    if (!n)
        return NULL;
    struct node *subject = NULL;
    if (!px_is_kw(p, "WHEN") && !(subject = px_parse_expr(p)))
        return NULL;
    tmp[k++] = subject;
    while (px_accept(p, "WHEN")) {
        if (k + 2 > 62) {
            px_syntax_error(p);
            return NULL;
        }
        if (!(tmp[k++] = px_parse_expr(p)) || !px_accept(p, "THEN") ||
            !(tmp[k++] = px_parse_expr(p))) {
            px_syntax_error(p);
            return NULL;
        }
    }
    if (px_accept(p, "ELSE")) {
        if (!(tmp[k++] = px_parse_expr(p)))
            return NULL;
        n->has_else = true;
    }
    if (!px_accept(p, "END") || k < 3) {
        px_syntax_error(p);
        return NULL;
    }
    n->nargs = k;
    n->args = arena_alloc(p->a, sizeof(struct node *) * (size_t)k);
    if (!n->args)
        return NULL;
    memcpy(n->args, tmp, sizeof(struct node *) * (size_t)k);
    return n;
}

struct node *px_literal(struct parser *p, struct val v)
{
    struct node *n = px_new_node(p, N_LIT);
    if (n)
        n->lit = v;
    return n;
}

static struct node *parse_string_literal(struct parser *p)
{
    struct buf b;
    buf_init(&b);
    size_t start = px_cur(p)->start;
    /* Adjacent literals concatenate: 'a' 'b' is 'ab'. */
    while (px_cur(p)->type == SQL_TK_STRING) {
        sql_token_unquote(p->src, px_cur(p), &b);
        p->pos++;
    }
    char *s = arena_strndup(p->a, b.data ? (const char *)b.data : "", b.len);
    size_t len = b.len;
    buf_free(&b);
    struct node *n = px_literal(p, v_str(s, len));
    if (n)
        n->src_start = start;
    return n;
}

static struct node *parse_number(struct parser *p)
{
    const struct sql_token *t = px_cur(p);
    char tmp[80];
    size_t len = t->len < sizeof(tmp) - 1 ? t->len : sizeof(tmp) - 1;
    memcpy(tmp, p->src + t->start, len);
    tmp[len] = 0;
    p->pos++;
    if (len > 2 && tmp[0] == '0' && (tmp[1] == 'x' || tmp[1] == 'X')) {
        struct node *h = px_literal(p, v_int((int64_t)strtoull(tmp + 2, NULL, 16)));
        if (h)
            h->src_start = t->start;
        return h;
    }
    struct node *n;
    errno = 0;
    long long iv = strpbrk(tmp, ".eE") ? 0 : strtoll(tmp, NULL, 10);
    if (!strpbrk(tmp, ".eE") && !errno) {
        n = px_literal(p, v_int(iv));
    } else {
        struct val v = {.t = V_DOUBLE, .d = strtod(tmp, NULL)};
        v.s = arena_strndup(p->a, tmp, len);
        v.len = len;
        n = px_literal(p, v);
    }
    if (n)
        n->src_start = t->start;
    return n;
}

static struct node *parse_ident(struct parser *p)
{
    const struct sql_token *t = px_cur(p);
    const struct sql_token *next = px_peek(p, 1);
    if (t->type == SQL_TK_IDENT) {
        bool is_null = sql_token_is(p->src, t, "NULL"), is_true = sql_token_is(p->src, t, "TRUE");
        if (is_null || is_true || sql_token_is(p->src, t, "FALSE")) {
            struct node *n = px_literal(p, is_null ? v_null() : v_int(is_true));
            p->pos++; /* after, so that the label starts at the word */
            return n;
        }
        if (px_accept(p, "CASE"))
            return parse_case(p);
        if (next->type == SQL_TK_STRING &&
            (p->src[t->start] == '_' || sql_token_is(p->src, t, "N") ||
             sql_token_is(p->src, t, "DATE") || sql_token_is(p->src, t, "TIME") ||
             sql_token_is(p->src, t, "TIMESTAMP"))) {
            p->pos++; /* charset introducer or temporal literal: the string itself */
            return parse_string_literal(p);
        }
        if (sql_token_op(p->src, next, "("))
            return px_parse_function(p, t);
        for (int i = 0; niladic[i]; i++) {
            if (sql_token_is(p->src, t, niladic[i])) {
                struct node *n = px_new_node(p, N_FUNC);
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
            char *s = px_text(p, t);
            return px_literal(p, v_cstr(s));
        }
    }
    /* [qualifier.]column, the qualifier possibly schema.table */
    struct node *n = px_new_node(p, N_COL);
    if (!n)
        return NULL;
    const struct sql_token *parts[3];
    int k = 0;
    parts[k++] = t;
    p->pos++;
    while (k < 3 && px_is_op(p, ".") &&
           (px_peek(p, 1)->type == SQL_TK_IDENT || px_peek(p, 1)->type == SQL_TK_QIDENT)) {
        p->pos++;
        parts[k++] = px_cur(p);
        p->pos++;
    }
    n->name = px_text(p, parts[k - 1]);
    n->name_len = strlen(n->name);
    if (k >= 2) {
        n->qual = px_text(p, parts[k - 2]);
        n->qual_len = strlen(n->qual);
    }
    return n;
}

static struct node *parse_sysvar(struct parser *p)
{
    const struct sql_token *t = px_cur(p);
    struct node *n = px_new_node(p, N_SYSVAR);
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
            px_syntax_error(p);
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
    const struct sql_token *t = px_cur(p);
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
        struct node *n = px_new_node(p, N_USERVAR);
        if (!n)
            return NULL;
        n->name = px_text(p, t);
        n->name_len = strlen(n->name);
        p->pos++;
        return n;
    }
    case SQL_TK_OP:
        if (px_accept_op(p, "(")) {
            if (px_is_kw(p, "SELECT")) {
                fail(p, ER_NOT_SUPPORTED_YET, "subqueries");
                return NULL;
            }
            struct node *n = px_parse_expr(p);
            if (n && !px_accept_op(p, ")")) {
                px_syntax_error(p);
                return NULL;
            }
            return n;
        }
        break;
    default:
        break;
    }
    px_syntax_error(p);
    return NULL;
}

static struct node *parse_unary(struct parser *p)
{
    size_t start = px_cur(p)->start;
    if (px_accept_op(p, "-")) {
        struct node *n = px_new_node(p, N_NEG);
        if (!n || !(n->args = arena_alloc(p->a, sizeof(struct node *))))
            return NULL;
        n->src_start = start;
        n->nargs = 1;
        n->args[0] = parse_unary(p);
        return n->args[0] ? n : NULL;
    }
    if (px_accept_op(p, "+"))
        return parse_unary(p);
    if (px_accept_op(p, "!")) {
        struct node *n = px_new_node(p, N_NOT);
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
    struct node *n = px_new_node(p, N_BIN);
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
        if (px_accept_op(p, "*"))
            l = binary(p, OP_MUL, l, parse_unary(p));
        else if (px_accept_op(p, "/"))
            l = binary(p, OP_DIV, l, parse_unary(p));
        else if (px_accept_op(p, "%") || px_accept(p, "MOD"))
            l = binary(p, OP_MOD, l, parse_unary(p));
        else if (px_accept(p, "DIV"))
            l = binary(p, OP_IDIV, l, parse_unary(p));
        else
            return l;
    }
}

struct node *px_parse_bit_expr(struct parser *p)
{
    size_t start = px_cur(p)->start;
    struct node *l, *amount, *unit;
    if (px_accept(p, "INTERVAL")) { /* INTERVAL 1 DAY + date */
        if (!px_parse_interval(p, &amount, &unit))
            return NULL;
        if (!px_accept_op(p, "+")) {
            px_syntax_error(p);
            return NULL;
        }
        l = px_date_arith(p, false, start, parse_mul(p), amount, unit);
    } else {
        l = parse_mul(p);
    }
    for (;;) {
        if (!l)
            return NULL;
        bool plus = px_accept_op(p, "+");
        if (!plus && !px_accept_op(p, "-"))
            return l;
        if (px_accept(p, "INTERVAL")) {
            if (!px_parse_interval(p, &amount, &unit))
                return NULL;
            l = px_date_arith(p, !plus, l->src_start, l, amount, unit);
        } else {
            l = binary(p, plus ? OP_ADD : OP_SUB, l, parse_mul(p));
        }
    }
}

static struct node *wrap(struct parser *p, enum nkind k, struct node *first, int nargs)
{
    struct node *n = px_new_node(p, k);
    if (!n || !(n->args = arena_alloc(p->a, sizeof(struct node *) * (size_t)nargs)))
        return NULL;
    n->nargs = nargs;
    n->args[0] = first;
    n->src_start = first->src_start;
    return n;
}

static struct node *parse_in(struct parser *p, struct node *l, bool neg)
{
    if (!px_accept_op(p, "(")) {
        px_syntax_error(p);
        return NULL;
    }
    if (px_is_kw(p, "SELECT")) {
        fail(p, ER_NOT_SUPPORTED_YET, "subqueries");
        return NULL;
    }
    struct node tmp = {0};
    if (!px_parse_args(p, &tmp))
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
    struct node *l = px_parse_bit_expr(p);
    static const struct {
        const char *op;
        enum binop b;
    } ops[] = {{"=", OP_EQ},  {"<=>", OP_NSEQ}, {"<>", OP_NE}, {"!=", OP_NE},
               {"<=", OP_LE}, {">=", OP_GE},    {"<", OP_LT},  {">", OP_GT}};
    while (l) {
        bool matched = false;
        for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
            if (px_accept_op(p, ops[i].op)) {
                l = binary(p, ops[i].b, l, px_parse_bit_expr(p));
                matched = true;
                break;
            }
        }
        if (matched)
            continue;
        if (px_accept(p, "IS")) {
            bool neg = px_accept(p, "NOT");
            struct node *n = wrap(p, N_ISNULL, l, 1);
            if (!n)
                return NULL;
            n->neg = neg;
            if (px_accept(p, "NULL") || px_accept(p, "UNKNOWN")) {
            } else if (px_accept(p, "TRUE") || px_accept(p, "FALSE")) {
                n->k = N_ISBOOL;
                n->bool_value = sql_token_is(p->src, &p->toks[p->pos - 1], "TRUE");
            } else {
                px_syntax_error(p);
                return NULL;
            }
            l = n;
            continue;
        }
        size_t save = p->pos;
        bool neg = px_accept(p, "NOT");
        if (px_accept(p, "LIKE")) {
            struct node *n = wrap(p, N_LIKE, l, 2);
            if (!n || !(n->args[1] = px_parse_bit_expr(p)))
                return NULL;
            n->neg = neg;
            if (px_accept(p, "ESCAPE") && !px_parse_bit_expr(p))
                return NULL;
            l = n;
        } else if (px_accept(p, "IN")) {
            l = parse_in(p, l, neg);
        } else if (px_accept(p, "BETWEEN")) {
            struct node *n = wrap(p, N_BETWEEN, l, 3);
            if (!n || !(n->args[1] = px_parse_bit_expr(p)) || !px_accept(p, "AND") ||
                !(n->args[2] = px_parse_bit_expr(p))) {
                px_syntax_error(p);
                return NULL;
            }
            n->neg = neg;
            l = n;
        } else if (px_accept(p, "REGEXP") || px_accept(p, "RLIKE")) {
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
    size_t start = px_cur(p)->start;
    if (px_accept(p, "NOT")) {
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
    while (l && (px_accept(p, "AND") || px_accept_op(p, "&&")))
        l = binary(p, OP_AND, l, parse_not(p));
    return l;
}

static struct node *parse_xor(struct parser *p)
{
    struct node *l = parse_and(p);
    while (l && px_accept(p, "XOR"))
        l = binary(p, OP_XOR, l, parse_and(p));
    return l;
}

struct node *px_parse_expr(struct parser *p)
{
    struct node *l = parse_xor(p);
    while (l && (px_accept(p, "OR") || px_accept_op(p, "||")))
        l = binary(p, OP_OR, l, parse_xor(p));
    if (l)
        l->src_end = p->pos > 0 ? p->toks[p->pos - 1].start + p->toks[p->pos - 1].len : 0;
    return l;
}

/* The column label MySQL would show: the alias, a string literal's value,
 * or the expression exactly as written. */
const char *px_label(struct parser *p, const struct node *n)
{
    if (n->k == N_LIT && n->lit.t == V_STR && n->lit.s)
        return n->lit.s;
    size_t end = n->src_end > n->src_start ? n->src_end : n->src_start;
    return arena_strndup(p->a, p->src + n->src_start, end - n->src_start);
}

int px_tokenize(struct parser *p, const char *sql, size_t start, size_t end)
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
            px_syntax_error(p);
            return -1;
        }
        if (t->type == SQL_TK_EOF)
            return 0;
    }
}

void px_send_error(struct parser *p)
{
    struct mysql_conn *c = p->s->conn;
    if (p->err == ER_PARSE)
        mysql_conn_send_err(c, ER_PARSE, p->errarg, p->errline > 0 ? p->errline : 1);
    else
        mysql_conn_send_err_text(c, mysql_error_info(p->err)->code,
                                 mysql_error_info(p->err)->sqlstate, p->errarg);
}

void px_free(struct parser *p)
{
    free(p->toks);
    for (int i = 0; i < p->ntables; i++)
        if (p->tables[i] != p->preset)
            vtable_rows_free(p->tables[i]);
}

int px_finish(struct parser *p, int rc)
{
    if (rc < 0) {
        if (!p->err)
            fail(p, ER_UNKNOWN, "out of memory");
        px_send_error(p);
    }
    px_free(p);
    arena_free(p->a);
    return rc;
}
