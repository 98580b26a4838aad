#include "protocol/stage_sql.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "protocol/buf.h"
#include "protocol/sql_lexer.h"

struct parser {
    const char *src;
    size_t len;
    struct sql_cursor cur;
    struct stage_stmt *st;
};

static int fail(struct parser *p, int code, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(struct parser *p, int code, const char *name, const char *fmt, ...)
{
    if (p->st->err_code)
        return -1;
    p->st->err_code = code;
    p->st->err_name = name;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->st->err_msg, sizeof(p->st->err_msg), fmt, ap);
    va_end(ap);
    return -1;
}

static int syntax(struct parser *p, const char *expected)
{
    size_t at = p->cur.tok.start < p->len ? p->cur.tok.start : p->len;
    size_t n = p->len - at < 60 ? p->len - at : 60;
    if (p->cur.tok.type == SQL_TK_EOF)
        return fail(p, 1005, "SyntaxException", "unexpected end of statement, expected %s",
                    expected);
    return fail(p, 1005, "SyntaxException", "unexpected `%.*s`, expected %s", (int)n, p->src + at,
                expected);
}

static char *text(struct parser *p)
{
    struct buf b;
    buf_init(&b);
    sql_token_unquote(p->src, &p->cur.tok, &b);
    char *s = strndup(b.data ? (const char *)b.data : "", b.len);
    buf_free(&b);
    return s;
}

bool stage_name_valid(const char *name)
{
    if (!(isalpha((unsigned char)name[0]) || name[0] == '_'))
        return false;
    for (const char *c = name; *c; c++)
        if (!(isalnum((unsigned char)*c) || *c == '_' || *c == '$'))
            return false;
    return strlen(name) <= 255;
}

/* A stage name: a plain identifier, or '~'. Quoted names are refused:
 * '@name' could never address them. */
static int stage_name(struct parser *p, bool allow_user)
{
    if (p->cur.tok.type == SQL_TK_QIDENT || p->cur.tok.type == SQL_TK_STRING)
        return fail(p, 1005, "SyntaxException",
                    "stage name must be a plain identifier, quoted names are not allowed");
    if (sql_token_op(p->src, &p->cur.tok, "~")) {
        if (!allow_user)
            return syntax(p, "a stage name");
        p->st->name = strdup("~");
        sql_cursor_next(&p->cur);
        return 0;
    }
    if (p->cur.tok.type != SQL_TK_IDENT)
        return syntax(p, "a stage name");
    p->st->name = text(p);
    sql_cursor_next(&p->cur);
    if (!p->st->name)
        return fail(p, 1005, "SyntaxException", "out of memory");
    if (!stage_name_valid(p->st->name))
        return fail(p, 1005, "SyntaxException", "invalid stage name `%s`", p->st->name);
    return 0;
}

static int add_option(struct stage_option **opts, size_t *n, char *key, char *value)
{
    for (char *c = key; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    for (size_t i = 0; i < *n; i++) {
        if (strcmp((*opts)[i].key, key) == 0) { /* the last one wins */
            free((*opts)[i].value);
            (*opts)[i].value = value;
            free(key);
            return 0;
        }
    }
    struct stage_option *o = realloc(*opts, (*n + 1) * sizeof(*o));
    if (!o) {
        free(key);
        free(value);
        return -ENOMEM;
    }
    *opts = o;
    o[*n].key = key;
    o[*n].value = value;
    (*n)++;
    return 0;
}

/* ( key = value [,] ... ): values are strings, numbers, identifiers
 * (TRUE, CSV, NONE...) or a parenthesised list (NULL_IF = ('a', 'b')). */
static int options(struct parser *p, struct stage_option **opts, size_t *n)
{
    if (!sql_cursor_op(&p->cur, "=") || !sql_cursor_op(&p->cur, "("))
        return syntax(p, "= (");
    while (!sql_cursor_op(&p->cur, ")")) {
        if (p->cur.tok.type != SQL_TK_IDENT)
            return syntax(p, "an option name");
        char *key = text(p);
        sql_cursor_next(&p->cur);
        if (!sql_cursor_op(&p->cur, "=")) {
            free(key);
            return syntax(p, "=");
        }
        char *value;
        if (sql_token_op(p->src, &p->cur.tok, "(")) {
            size_t start = p->cur.tok.start;
            int depth = 0;
            do {
                depth +=
                    sql_token_op(p->src, &p->cur.tok, "(") - sql_token_op(p->src, &p->cur.tok, ")");
                sql_cursor_next(&p->cur);
            } while (depth > 0 && p->cur.tok.type != SQL_TK_EOF);
            value = strndup(p->src + start, p->cur.tok.start - start);
        } else if (p->cur.tok.type == SQL_TK_STRING || p->cur.tok.type == SQL_TK_NUMBER ||
                   p->cur.tok.type == SQL_TK_IDENT) {
            value = text(p);
            sql_cursor_next(&p->cur);
        } else {
            free(key);
            return syntax(p, "an option value");
        }
        if (add_option(opts, n, key, value) < 0)
            return fail(p, 1005, "SyntaxException", "out of memory");
        sql_cursor_op(&p->cur, ",");
    }
    return 0;
}

static int create(struct parser *p)
{
    struct stage_stmt *st = p->st;
    sql_cursor_kw(&p->cur, "CREATE");
    if (sql_cursor_kw(&p->cur, "OR")) {
        if (!sql_cursor_kw(&p->cur, "REPLACE"))
            return syntax(p, "REPLACE");
        st->or_replace = true;
    }
    if (!sql_cursor_kw(&p->cur, "STAGE"))
        return syntax(p, "STAGE");
    if (sql_cursor_kw(&p->cur, "IF")) {
        if (!sql_cursor_kw(&p->cur, "NOT") || !sql_cursor_kw(&p->cur, "EXISTS"))
            return syntax(p, "NOT EXISTS");
        st->if_not_exists = true;
    }
    if (st->or_replace && st->if_not_exists)
        return fail(p, 1005, "SyntaxException",
                    "OR REPLACE and IF NOT EXISTS cannot be used together");
    if (stage_name(p, true) < 0)
        return -1;
    for (;;) {
        if (sql_cursor_kw(&p->cur, "URL")) {
            if (!sql_cursor_op(&p->cur, "=") || p->cur.tok.type != SQL_TK_STRING)
                return syntax(p, "= 'url'");
        }
        if (p->cur.tok.type == SQL_TK_STRING && !st->url) {
            st->url = text(p);
            sql_cursor_next(&p->cur);
        } else if (sql_cursor_kw(&p->cur, "CONNECTION") || sql_cursor_kw(&p->cur, "CREDENTIALS")) {
            if (options(p, &st->connection, &st->n_connection) < 0)
                return -1;
        } else if (sql_cursor_kw(&p->cur, "FILE_FORMAT")) {
            if (options(p, &st->file_format, &st->n_file_format) < 0)
                return -1;
        } else if (sql_cursor_kw(&p->cur, "COMMENT") || sql_cursor_kw(&p->cur, "COMMENTS")) {
            if (!sql_cursor_op(&p->cur, "=") || p->cur.tok.type != SQL_TK_STRING)
                return syntax(p, "= 'comment'");
            free(st->comment);
            st->comment = text(p);
            sql_cursor_next(&p->cur);
        } else {
            break;
        }
    }
    if (sql_token_is(p->src, &p->cur.tok, "COPY_OPTIONS"))
        return fail(p, 1005, "SyntaxException", "COPY_OPTIONS is not accepted by CREATE STAGE");
    return p->cur.tok.type == SQL_TK_EOF ? 0 : syntax(p, "URL, CONNECTION, FILE_FORMAT or COMMENT");
}

static int drop_or_desc(struct parser *p, bool drop)
{
    sql_cursor_next(&p->cur); /* DROP / DESC / DESCRIBE */
    if (!sql_cursor_kw(&p->cur, "STAGE"))
        return syntax(p, "STAGE");
    if (drop && sql_cursor_kw(&p->cur, "IF")) {
        if (!sql_cursor_kw(&p->cur, "EXISTS"))
            return syntax(p, "EXISTS");
        p->st->if_exists = true;
    }
    if (stage_name(p, drop) < 0)
        return -1;
    return p->cur.tok.type == SQL_TK_EOF ? 0 : syntax(p, "end of statement");
}

static int take_count(struct parser *p, int64_t *out)
{
    char tmp[24];
    if (p->cur.tok.type != SQL_TK_NUMBER || p->cur.tok.len >= sizeof(tmp))
        return syntax(p, "a number");
    memcpy(tmp, p->src + p->cur.tok.start, p->cur.tok.len);
    tmp[p->cur.tok.len] = 0;
    char *end;
    errno = 0;
    long long v = strtoll(tmp, &end, 10);
    if (*end || errno || v < 0)
        return syntax(p, "a non-negative number");
    *out = v;
    sql_cursor_next(&p->cur);
    return 0;
}

static int show(struct parser *p)
{
    sql_cursor_kw(&p->cur, "SHOW");
    if (!sql_cursor_kw(&p->cur, "STAGES"))
        return syntax(p, "STAGES");
    if (sql_cursor_kw(&p->cur, "LIKE")) {
        if (p->cur.tok.type != SQL_TK_STRING)
            return syntax(p, "a pattern");
        p->st->like = text(p);
        sql_cursor_next(&p->cur);
    }
    if (sql_cursor_kw(&p->cur, "LIMIT") && take_count(p, &p->st->limit) < 0)
        return -1;
    return p->cur.tok.type == SQL_TK_EOF ? 0 : syntax(p, "LIKE or LIMIT");
}

int stage_location_split(const char *loc, size_t len, char **name, char **path)
{
    const char *slash = memchr(loc, '/', len);
    size_t nl = slash ? (size_t)(slash - loc) : len;
    const char *rest = slash ? slash + 1 : loc + len;
    size_t rl = (size_t)(loc + len - rest);
    /* @s, @s/ and @s// all mean the root */
    while (rl > 0 && *rest == '/') {
        rest++;
        rl--;
    }
    *name = strndup(loc, nl);
    *path = strndup(rest, rl);
    if (!*name || !*path) {
        free(*name);
        free(*path);
        return -1;
    }
    return 0;
}

static int location(struct parser *p, const char *loc, size_t len)
{
    if (len == 0 || loc[0] == '/')
        return fail(p, 1006, "BadArguments", "stage path must include a stage name");
    if (memchr(loc, 0, len))
        return fail(p, 1006, "BadArguments", "invalid stage location");
    if (stage_location_split(loc, len, &p->st->name, &p->st->path) < 0)
        return fail(p, 1005, "SyntaxException", "out of memory");
    if (strcmp(p->st->name, "~") != 0 && !stage_name_valid(p->st->name))
        return fail(p, 1005, "SyntaxException", "invalid stage name `%s`", p->st->name);
    return 0;
}

/* The @stage[/path] token at the cursor, then past it. */
static int at_location(struct parser *p, const char *expected)
{
    if (p->cur.tok.type != SQL_TK_AT)
        return syntax(p, expected);
    struct buf b;
    buf_init(&b);
    sql_token_unquote(p->src, &p->cur.tok, &b);
    int rc = location(p, b.data ? (const char *)b.data : "", b.len);
    buf_free(&b);
    if (rc < 0)
        return -1;
    sql_cursor_next(&p->cur);
    return 0;
}

static int list_or_remove(struct parser *p)
{
    sql_cursor_next(&p->cur); /* LIST / REMOVE / RM */
    if (at_location(p, "@stage") < 0)
        return -1;
    if (sql_cursor_kw(&p->cur, "PATTERN")) {
        if (!sql_cursor_op(&p->cur, "=") || p->cur.tok.type != SQL_TK_STRING)
            return syntax(p, "= 'regex'");
        p->st->pattern = text(p);
        sql_cursor_next(&p->cur);
    }
    return p->cur.tok.type == SQL_TK_EOF ? 0 : syntax(p, "PATTERN or end of statement");
}

/* PRESIGN [DOWNLOAD | UPLOAD] @stage/path [EXPIRE = n] [CONTENT_TYPE = '...'],
 * the options in any order. */
static int presign(struct parser *p)
{
    struct stage_stmt *st = p->st;
    st->expire = 3600;
    sql_cursor_next(&p->cur); /* PRESIGN */
    if (sql_cursor_kw(&p->cur, "UPLOAD"))
        st->upload = true;
    else
        sql_cursor_kw(&p->cur, "DOWNLOAD");
    if (at_location(p, "@stage/path") < 0)
        return -1;
    while (p->cur.tok.type != SQL_TK_EOF) {
        if (sql_cursor_kw(&p->cur, "EXPIRE")) {
            if (!sql_cursor_op(&p->cur, "=") || p->cur.tok.type != SQL_TK_NUMBER)
                return syntax(p, "EXPIRE = seconds");
            char *n = text(p), *end = NULL;
            long long v = n ? strtoll(n, &end, 10) : -1;
            bool ok = n && end && *end == '\0' && v > 0 && v <= 7 * 24 * 3600;
            free(n);
            if (!ok)
                return fail(p, 1006, "BadArguments",
                            "EXPIRE must be a whole number of seconds from 1 to 604800");
            st->expire = v;
            sql_cursor_next(&p->cur);
        } else if (sql_cursor_kw(&p->cur, "CONTENT_TYPE")) {
            if (!sql_cursor_op(&p->cur, "=") || p->cur.tok.type != SQL_TK_STRING)
                return syntax(p, "CONTENT_TYPE = 'type'");
            free(st->content_type);
            st->content_type = text(p);
            sql_cursor_next(&p->cur);
        } else {
            return syntax(p, "EXPIRE, CONTENT_TYPE or end of statement");
        }
    }
    if (!st->path || !*st->path)
        return fail(p, 1006, "BadArguments", "PRESIGN needs a file path after the stage name");
    return 0;
}

/* Finds LIST_STAGE( in a SELECT and parses its named arguments. */
static int list_stage(struct parser *p)
{
    struct stage_stmt *st = p->st;
    while (p->cur.tok.type != SQL_TK_EOF && p->cur.tok.type != SQL_TK_ERROR) {
        if (sql_token_is(p->src, &p->cur.tok, "LIST_STAGE")) {
            st->func_start = p->cur.tok.start;
            sql_cursor_next(&p->cur);
            if (sql_cursor_op(&p->cur, "("))
                break;
        } else {
            sql_cursor_next(&p->cur);
        }
    }
    if (!st->func_start)
        return syntax(p, "LIST_STAGE(...)");
    char *loc = NULL;
    int rc = 0;
    while (rc == 0 && !sql_cursor_op(&p->cur, ")")) {
        if (p->cur.tok.type != SQL_TK_IDENT) {
            rc = syntax(p, "a parameter name");
            break;
        }
        char *key = text(p);
        sql_cursor_next(&p->cur);
        if (!sql_cursor_op(&p->cur, "=>") || p->cur.tok.type != SQL_TK_STRING) {
            free(key);
            rc = syntax(p, "=> 'value'");
            break;
        }
        char *value = text(p);
        sql_cursor_next(&p->cur);
        if (key && !strcasecmp(key, "location")) {
            free(loc);
            loc = value;
        } else if (key && !strcasecmp(key, "pattern")) {
            free(st->pattern);
            st->pattern = value;
        } else {
            rc = fail(p, 1006, "BadArguments", "unknown param %s for list_stage", key ? key : "?");
            free(value);
        }
        free(key);
        sql_cursor_op(&p->cur, ",");
    }
    st->select_end = p->cur.tok.start;
    if (rc == 0 && !loc)
        rc = fail(p, 1006, "BadArguments", "list_stage must specify location");
    if (rc == 0 && loc[0] != '@')
        rc = fail(p, 1006, "BadArguments", "location must start with @, but got %s", loc);
    if (rc < 0) {
        free(loc);
        return -1;
    }
    rc = location(p, loc + 1, strlen(loc + 1));
    free(loc);
    return rc;
}

int stage_sql_parse(const char *sql, size_t len, enum stage_stmt_kind kind, struct stage_stmt *st)
{
    memset(st, 0, sizeof(*st));
    st->kind = kind;
    st->limit = -1;
    struct parser p = {.src = sql, .len = len, .st = st};
    sql_cursor_init(&p.cur, sql, len, SQL_MODE_STAGE);
    switch (kind) {
    case STAGE_STMT_CREATE:
        return create(&p);
    case STAGE_STMT_DROP:
        return drop_or_desc(&p, true);
    case STAGE_STMT_DESC:
        return drop_or_desc(&p, false);
    case STAGE_STMT_SHOW:
        return show(&p);
    case STAGE_STMT_LIST:
    case STAGE_STMT_REMOVE:
        return list_or_remove(&p);
    case STAGE_STMT_LIST_STAGE:
        return list_stage(&p);
    case STAGE_STMT_PRESIGN:
        return presign(&p);
    }
    return syntax(&p, "a stage statement");
}

static void free_options(struct stage_option *o, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(o[i].key);
        free(o[i].value);
    }
    free(o);
}

void stage_stmt_free(struct stage_stmt *st)
{
    free(st->name);
    free(st->url);
    free_options(st->connection, st->n_connection);
    free_options(st->file_format, st->n_file_format);
    free(st->comment);
    free(st->like);
    free(st->path);
    free(st->pattern);
    free(st->content_type);
    memset(st, 0, sizeof(*st));
}
