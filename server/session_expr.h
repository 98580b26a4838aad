/* Internals of the expression engine of stage-only mode, shared by its
 * parser, its evaluator and the SELECT executor. Everything of one statement
 * lives in an arena freed at once. */
#ifndef SP_SERVER_SESSION_EXPR_H
#define SP_SERVER_SESSION_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <strings.h>

#include "protocol/mysql_resultset.h"
#include "protocol/sql_lexer.h"
#include "server/session_eval.h"

struct session;

struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    char data[];
};

struct arena {
    struct arena_block *head;
    int oom;
};

/* ---- values ---- */

enum vtype { V_NULL, V_INT, V_DOUBLE, V_STR };

struct val {
    enum vtype t;
    int64_t i;
    double d;
    const char *s;
    size_t len;
};

static inline struct val v_null(void)
{
    struct val v = {.t = V_NULL};
    return v;
}

static inline struct val v_int(int64_t i)
{
    struct val v = {.t = V_INT, .i = i};
    return v;
}

static inline struct val v_str(const char *s, size_t len)
{
    struct val v = {.t = V_STR, .s = s, .len = len};
    return v;
}

static inline struct val v_cstr(const char *s)
{
    return s ? v_str(s, strlen(s)) : v_null();
}

static inline double v_num(const struct val *v)
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

static inline bool v_true(const struct val *v)
{
    return v->t != V_NULL && v_num(v) != 0;
}

/* ---- syntax tree ---- */

enum nkind {
    N_LIT,
    N_SYSVAR,
    N_USERVAR,
    N_COL,
    N_FUNC,
    N_NEG,
    N_NOT,
    N_BIN,
    N_IN,
    N_BETWEEN,
    N_LIKE,
    N_ISNULL,
    N_ISBOOL,
    N_CASE
};

enum binop {
    OP_OR,
    OP_XOR,
    OP_AND,
    OP_EQ,
    OP_NSEQ,
    OP_NE,
    OP_LT,
    OP_LE,
    OP_GT,
    OP_GE,
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_DIV,
    OP_IDIV,
    OP_MOD
};

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
    int agg;           /* 0, or which aggregate: 'c' count, 'C' count(*), 'n' min, 'x' max, 's' sum,
                        * 'a' avg */
    bool agg_distinct; /* COUNT(DISTINCT ...) and the like: each value once per group */
    int64_t agg_count;
    struct val agg_val;
    bool has_else;
    /* set when resolved: the scale of arithmetic and SUM/AVG (-1 for a
     * DOUBLE), the fraction digits of a UNIX_TIMESTAMP, FROM_UNIXTIME or
     * CAST result (session_convert.c), and whether a comparison is one of
     * dates (or a CAST's operand is a date) */
    int8_t decimals;
    bool temporal;
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

/* GROUP BY and ORDER BY terms */
#define SEL_MAX_TERMS 16

struct table_ref {
    const char *schema;
    const char *name;
    const char *alias;
    bool left_join;
    bool is_function; /* name(...): a table function such as LIST_STAGE */
};

struct select_stmt {
    struct select_item *items;
    int nitems;
    struct table_ref tables[8];
    int ntables;
    struct node *where;
    struct order_item groups[SEL_MAX_TERMS]; /* GROUP BY: MariaDB sorts by these too */
    int ngroups;
    struct node *having;
    bool distinct;
    struct order_item orders[SEL_MAX_TERMS];
    int norders;
    int64_t limit, offset;
    bool has_agg;
};

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
    /* a table function's rows, provided by the caller (not freed here) */
    const char *preset_name;
    struct vtable_rows *preset;
};

struct row_ctx {
    const char *const *cells; /* current input row, or NULL */
    bool aggregated;          /* read aggregate results */
};

struct evaluator {
    struct session *s;
    struct arena *a;
    const struct vtable_rows *table;
};

struct resolver {
    struct parser *p;
    const struct vtable_rows *table;
    const struct table_ref *ref;
    const char *clause;
};

struct func_def {
    const char *name;
    int min_args, max_args;
    uint8_t type;
};

/* arena */
void *arena_alloc(struct arena *a, size_t n);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void arena_free(struct arena *a);
/* What a row allocates is given back once it is sent: rewinding to a mark
 * frees every block allocated after it. */
struct arena_mark {
    struct arena_block *head;
    size_t used;
};
struct arena_mark arena_mark(const struct arena *a);
void arena_rewind(struct arena *a, struct arena_mark m);

/* parser (session_expr_parse.c) */
const struct sql_token *px_cur(struct parser *p);
const struct sql_token *px_peek(struct parser *p, size_t k);
bool px_is_kw(struct parser *p, const char *kw);
bool px_accept(struct parser *p, const char *kw);
bool px_is_op(struct parser *p, const char *op);
bool px_accept_op(struct parser *p, const char *op);
void px_syntax_error(struct parser *p);
/* Records the first error, formatted from the error table. */
void px_fail(struct parser *p, int err, ...);
char *px_text(struct parser *p, const struct sql_token *t);
bool px_is_reserved(struct parser *p, const struct sql_token *t);
bool px_parse_args(struct parser *p, struct node *n);
struct node *px_new_node(struct parser *p, enum nkind k);
struct node *px_literal(struct parser *p, struct val v);
/* An operand of + and - and tighter operators: what stops short of IN and
 * comparisons (MySQL's bit_expr). */
struct node *px_parse_bit_expr(struct parser *p);
/* A call, at its name (followed by '('). */
struct node *px_parse_function(struct parser *p, const struct sql_token *name);
/* INTERVAL's amount and unit, after the keyword (session_expr_parse_func.c). */
bool px_parse_interval(struct parser *p, struct node **amount, struct node **unit);
/* DATE_ADD(date, amount, unit), or DATE_SUB when `subtract`. */
struct node *px_date_arith(struct parser *p, bool subtract, size_t start, struct node *date,
                           struct node *amount, struct node *unit);
struct node *px_parse_expr(struct parser *p);
const char *px_label(struct parser *p, const struct node *n);
int px_tokenize(struct parser *p, const char *sql, size_t start, size_t end);
void px_send_error(struct parser *p);
void px_free(struct parser *p);
/* Ends a statement: sends the recorded error if rc < 0, frees everything. */
int px_finish(struct parser *p, int rc);

#define fail(p, err, arg) px_fail((p), (err), (arg))

/* evaluation and typing (session_expr_eval.c) */
struct val ex_eval(struct evaluator *ev, struct node *n, const struct row_ctx *r);
bool ex_is_numeric(const struct val *v);
int ex_compare(const struct val *a, const struct val *b);
struct val ex_to_text(struct evaluator *ev, const struct val *v);
const struct func_def *ex_find_function(const char *name);
/* A scalar function (not IF, IFNULL, COALESCE or an aggregate) over its
 * evaluated arguments. */
struct val ex_call_function(struct evaluator *ev, const struct node *n, struct val *args);
static inline bool ex_fname(const struct node *n, const char *name)
{
    return strcasecmp(n->name, name) == 0;
}
bool ex_qual_matches(const struct table_ref *ref, const char *q);
bool ex_resolve(struct resolver *rs, struct node *n);
bool ex_contains_agg(const struct node *n);
struct mysql_column ex_typed(const char *name, uint8_t type);
/* The scale of a number as MariaDB derives it (a literal's digits; the
 * larger for + and -, the sum for *, 4 more for /), or -1 for a DOUBLE
 * (text and literals with an exponent make arithmetic DOUBLE). */
int ex_scale(struct session *s, const struct node *n, const struct vtable_rows *t);
struct mysql_column ex_column_for(struct session *s, const struct node *n,
                                  const struct vtable_rows *t);

/* conversions (session_convert.c): CAST and CONVERT, UNIX_TIMESTAMP and
 * FROM_UNIXTIME, and comparisons of dates with text */
int ex_session_tz_offset(struct session *s);
/* What MariaDB sizes integer results by (CAST AS SIGNED, DIV): the
 * operand's width in characters, known for literals; other operands are
 * taken as wide as their column. */
int64_t ex_char_length(struct session *s, const struct node *n, const struct vtable_rows *t);
/* CAST(expr AS type) and CONVERT(expr, type | USING charset), after the
 * '(': a CAST(expr, type name, length or precision, scale) node. */
struct node *px_parse_cast(struct parser *p, struct node *n, bool convert);
/* Sets what resolving decides for these nodes; false after setting p->err. */
bool ex_convert_resolve(struct resolver *rs, struct node *n);
/* The result column of CAST, UNIX_TIMESTAMP(x) and FROM_UNIXTIME; false for
 * other nodes. */
bool ex_convert_column(struct session *s, const struct node *n, const struct vtable_rows *t,
                       struct mysql_column *out);
/* CAST, UNIX_TIMESTAMP(x) and FROM_UNIXTIME over evaluated arguments;
 * false for other functions. */
bool ex_convert_call(struct evaluator *ev, const struct node *n, struct val *args, struct val *out);
/* Compares as dates and times (what does not read as one is the zero date). */
int ex_compare_temporal(struct evaluator *ev, const struct val *a, const struct val *b);

#endif
