#include "protocol/sql_lexer.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

void sql_lexer_init(struct sql_lexer *lx, const char *src, size_t len, enum sql_lexer_mode mode)
{
    lx->src = src;
    lx->len = len;
    lx->pos = 0;
    lx->mode = mode;
    lx->in_exec_comment = 0;
}

static int peek(const struct sql_lexer *lx, size_t off)
{
    return lx->pos + off < lx->len ? (unsigned char)lx->src[lx->pos + off] : -1;
}

static bool is_ident_char(int c)
{
    /* Bytes >= 0x80 belong to UTF-8 identifiers. */
    return c >= 0 && (isalnum(c) || c == '_' || c == '$' || c >= 0x80);
}

/* Skips whitespace and comments; returns false on an unterminated comment. */
static bool skip_space(struct sql_lexer *lx)
{
    for (;;) {
        int c = peek(lx, 0);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            lx->pos++;
        } else if (c == '#' ||
                   (c == '-' && peek(lx, 1) == '-' &&
                    (peek(lx, 2) == -1 || isspace(peek(lx, 2)) || iscntrl(peek(lx, 2))))) {
            while (lx->pos < lx->len && lx->src[lx->pos] != '\n')
                lx->pos++;
        } else if (c == '/' && peek(lx, 1) == '*') {
            if (peek(lx, 2) == '!' || (peek(lx, 2) == 'M' && peek(lx, 3) == '!')) {
                /* Executable comment: its content is code. Skip the optional
                 * version number and keep lexing. */
                lx->pos += peek(lx, 2) == '!' ? 3 : 4;
                while (peek(lx, 0) >= '0' && peek(lx, 0) <= '9')
                    lx->pos++;
                lx->in_exec_comment++;
                continue;
            }
            const char *end = NULL;
            for (size_t i = lx->pos + 2; i + 1 < lx->len; i++) {
                if (lx->src[i] == '*' && lx->src[i + 1] == '/') {
                    end = lx->src + i;
                    break;
                }
            }
            if (!end)
                return false;
            lx->pos = (size_t)(end - lx->src) + 2;
        } else if (c == '*' && peek(lx, 1) == '/' && lx->in_exec_comment) {
            lx->in_exec_comment--;
            lx->pos += 2;
        } else {
            return true;
        }
    }
}

/* Reads a quoted run starting at the quote; doubled quotes and backslash
 * escapes (except in `identifiers`) stay inside. */
static bool read_quoted(struct sql_lexer *lx, char q)
{
    lx->pos++;
    while (lx->pos < lx->len) {
        char c = lx->src[lx->pos];
        if (c == '\\' && q != '`') {
            lx->pos += 2;
            continue;
        }
        if (c == q) {
            if (lx->pos + 1 < lx->len && lx->src[lx->pos + 1] == q) {
                lx->pos += 2;
                continue;
            }
            lx->pos++;
            return true;
        }
        lx->pos++;
    }
    lx->pos = lx->len;
    return false;
}

static void read_number(struct sql_lexer *lx)
{
    if (peek(lx, 0) == '0' && (peek(lx, 1) == 'x' || peek(lx, 1) == 'b')) {
        lx->pos += 2;
        while (is_ident_char(peek(lx, 0)))
            lx->pos++;
        return;
    }
    while (isdigit(peek(lx, 0)))
        lx->pos++;
    if (peek(lx, 0) == '.') {
        lx->pos++;
        while (isdigit(peek(lx, 0)))
            lx->pos++;
    }
    if ((peek(lx, 0) == 'e' || peek(lx, 0) == 'E') &&
        (isdigit(peek(lx, 1)) ||
         ((peek(lx, 1) == '-' || peek(lx, 1) == '+') && isdigit(peek(lx, 2))))) {
        lx->pos += 2;
        while (isdigit(peek(lx, 0)))
            lx->pos++;
    }
}

static bool is_location_char(int c)
{
    return c >= 0 && !isspace(c) && c != '`' && c != ';' && c != '\'' && c != '"' && c != '(' &&
           c != ')';
}

static enum sql_token_type read_at(struct sql_lexer *lx, struct sql_token *tok)
{
    lx->pos++; /* '@' */
    if (peek(lx, 0) == '@') {
        lx->pos++;
        tok->text_start = lx->pos;
        /* @@scope.name, each part possibly `quoted` */
        while (is_ident_char(peek(lx, 0)) || peek(lx, 0) == '.' || peek(lx, 0) == '`') {
            if (peek(lx, 0) == '`') {
                if (!read_quoted(lx, '`'))
                    return SQL_TK_ERROR;
            } else {
                lx->pos++;
            }
        }
        tok->text_len = lx->pos - tok->text_start;
        return SQL_TK_SYSVAR;
    }
    tok->text_start = lx->pos;
    if (lx->mode == SQL_MODE_STAGE) {
        while (is_location_char(peek(lx, 0))) {
            if (peek(lx, 0) == '\\' && peek(lx, 1) >= 0)
                lx->pos++;
            lx->pos++;
        }
    } else if (peek(lx, 0) == '\'' || peek(lx, 0) == '"' || peek(lx, 0) == '`') {
        if (!read_quoted(lx, (char)peek(lx, 0)))
            return SQL_TK_ERROR;
    } else {
        while (is_ident_char(peek(lx, 0)) || peek(lx, 0) == '.')
            lx->pos++;
    }
    tok->text_len = lx->pos - tok->text_start;
    return SQL_TK_AT;
}

static const char *const multi_ops[] = {"<=>", "<=", ">=", "<>", "!=",  ":=", "||",
                                        "&&",  "<<", ">>", "=>", "->>", "->", NULL};

static void read_op(struct sql_lexer *lx)
{
    for (int i = 0; multi_ops[i]; i++) {
        size_t n = strlen(multi_ops[i]);
        if (lx->len - lx->pos >= n && memcmp(lx->src + lx->pos, multi_ops[i], n) == 0) {
            lx->pos += n;
            return;
        }
    }
    lx->pos++;
}

void sql_lexer_next(struct sql_lexer *lx, struct sql_token *tok)
{
    memset(tok, 0, sizeof(*tok));
    if (!skip_space(lx)) {
        tok->type = SQL_TK_ERROR;
        tok->start = lx->pos;
        lx->pos = lx->len;
        return;
    }
    tok->start = lx->pos;
    tok->text_start = lx->pos;
    int c = peek(lx, 0);
    if (c < 0) {
        tok->type = SQL_TK_EOF;
        return;
    }
    if (c == '\'' || c == '"' || c == '`') {
        bool ok = read_quoted(lx, (char)c);
        tok->type = !ok ? SQL_TK_ERROR : c == '`' ? SQL_TK_QIDENT : SQL_TK_STRING;
        tok->text_start = tok->start + 1;
        tok->text_len = ok ? lx->pos - tok->start - 2 : 0;
    } else if (isdigit(c) || (c == '.' && isdigit(peek(lx, 1)))) {
        read_number(lx);
        /* 1e10abc or 123abc is an identifier in MySQL */
        if (is_ident_char(peek(lx, 0))) {
            while (is_ident_char(peek(lx, 0)))
                lx->pos++;
            tok->type = SQL_TK_IDENT;
        } else {
            tok->type = SQL_TK_NUMBER;
        }
        tok->text_len = lx->pos - tok->start;
    } else if (is_ident_char(c)) {
        while (is_ident_char(peek(lx, 0)))
            lx->pos++;
        tok->type = SQL_TK_IDENT;
        tok->text_len = lx->pos - tok->start;
        /* N'..', X'..', B'..' and _charset'..' introducers make a string */
    } else if (c == '@') {
        tok->type = read_at(lx, tok);
    } else if (c == '?') {
        lx->pos++;
        tok->type = SQL_TK_PARAM;
        tok->text_len = 1;
    } else {
        read_op(lx);
        tok->type = SQL_TK_OP;
        tok->text_len = lx->pos - tok->start;
    }
    tok->len = lx->pos - tok->start;
}

void sql_cursor_init(struct sql_cursor *c, const char *src, size_t len, enum sql_lexer_mode mode)
{
    sql_lexer_init(&c->lx, src, len, mode);
    sql_lexer_next(&c->lx, &c->tok);
}

void sql_cursor_next(struct sql_cursor *c)
{
    sql_lexer_next(&c->lx, &c->tok);
}

bool sql_cursor_kw(struct sql_cursor *c, const char *keyword)
{
    if (!sql_token_is(c->lx.src, &c->tok, keyword))
        return false;
    sql_cursor_next(c);
    return true;
}

bool sql_cursor_op(struct sql_cursor *c, const char *op)
{
    if (!sql_token_op(c->lx.src, &c->tok, op))
        return false;
    sql_cursor_next(c);
    return true;
}

bool sql_token_is(const char *src, const struct sql_token *tok, const char *keyword)
{
    size_t n = strlen(keyword);
    return tok->type == SQL_TK_IDENT && tok->text_len == n &&
           strncasecmp(src + tok->text_start, keyword, n) == 0;
}

bool sql_token_op(const char *src, const struct sql_token *tok, const char *op)
{
    size_t n = strlen(op);
    return tok->type == SQL_TK_OP && tok->text_len == n && memcmp(src + tok->start, op, n) == 0;
}

static void unescape_string(const char *s, size_t len, char q, struct buf *out)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == q && i + 1 < len && s[i + 1] == q) {
            buf_put_u8(out, (uint8_t)q);
            i++;
        } else if (c == '\\' && q != '`' && i + 1 < len) {
            char e = s[++i];
            switch (e) {
            case 'n':
                buf_put_u8(out, '\n');
                break;
            case 't':
                buf_put_u8(out, '\t');
                break;
            case 'r':
                buf_put_u8(out, '\r');
                break;
            case 'b':
                buf_put_u8(out, '\b');
                break;
            case '0':
                buf_put_u8(out, 0);
                break;
            case 'Z':
                buf_put_u8(out, 26);
                break;
            /* MySQL keeps the backslash for \% and \_ (LIKE escapes) */
            case '%':
            case '_':
                buf_put_u8(out, '\\');
                buf_put_u8(out, (uint8_t)e);
                break;
            default:
                buf_put_u8(out, (uint8_t)e);
                break;
            }
        } else {
            buf_put_u8(out, (uint8_t)c);
        }
    }
}

void sql_token_unquote(const char *src, const struct sql_token *tok, struct buf *out)
{
    const char *s = src + tok->text_start;
    size_t n = tok->text_len;
    switch (tok->type) {
    case SQL_TK_STRING:
        unescape_string(s, n, src[tok->start], out);
        break;
    case SQL_TK_QIDENT:
        unescape_string(s, n, '`', out);
        break;
    case SQL_TK_AT:
        if (n >= 2 && (s[0] == '\'' || s[0] == '"' || s[0] == '`'))
            unescape_string(s + 1, n - 2, s[0], out);
        else if (memchr(s, '\\', n))
            /* stage locations: "\ " and friends drop the backslash */
            for (size_t i = 0; i < n; i++) {
                if (s[i] == '\\' && i + 1 < n)
                    i++;
                buf_put_u8(out, (uint8_t)s[i]);
            }
        else
            buf_append(out, s, n);
        break;
    default:
        buf_append(out, s, n);
        break;
    }
}

bool sql_split_next(const char *src, size_t len, size_t *pos, size_t *stmt_start, size_t *stmt_len)
{
    while (*pos < len) {
        struct sql_lexer lx;
        struct sql_token tok;
        size_t first = (size_t)-1, last_end = *pos;
        sql_lexer_init(&lx, src, len, SQL_MODE_MYSQL);
        lx.pos = *pos;
        for (;;) {
            sql_lexer_next(&lx, &tok);
            if (tok.type == SQL_TK_EOF || tok.type == SQL_TK_ERROR) {
                if (tok.type == SQL_TK_ERROR && first == (size_t)-1)
                    first = tok.start;
                if (tok.type == SQL_TK_ERROR)
                    last_end = len;
                *pos = len;
                break;
            }
            if (sql_token_op(src, &tok, ";")) {
                *pos = tok.start + 1;
                break;
            }
            if (first == (size_t)-1)
                first = tok.start;
            last_end = tok.start + tok.len;
        }
        if (first != (size_t)-1) {
            *stmt_start = first;
            *stmt_len = last_end - first;
            return true;
        }
    }
    return false;
}
