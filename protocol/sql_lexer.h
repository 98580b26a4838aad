/* A SQL tokenizer that knows MySQL's comments (including executable
 * comments), quoting rules and statement separators. Two modes differ only
 * in how '@' is read: MySQL mode reads user variables (@name), stage mode
 * reads Databend stage locations (@name/path/with\ escapes). */
#ifndef SP_PROTOCOL_SQL_LEXER_H
#define SP_PROTOCOL_SQL_LEXER_H

#include <stdbool.h>
#include <stddef.h>

#include "protocol/buf.h"

enum sql_token_type {
    SQL_TK_EOF = 0,
    SQL_TK_ERROR,  /* unterminated string, quoted identifier or comment */
    SQL_TK_IDENT,  /* bare word, keywords included */
    SQL_TK_QIDENT, /* `quoted identifier` */
    SQL_TK_STRING, /* 'string' or "string" */
    SQL_TK_NUMBER,
    SQL_TK_SYSVAR, /* @@[scope.]name: text excludes the @@ */
    SQL_TK_AT,     /* @name (user variable) or @location (stage mode): text excludes the @ */
    SQL_TK_PARAM,  /* ? */
    SQL_TK_OP,     /* punctuation and operators, ';' included */
};

enum sql_lexer_mode {
    SQL_MODE_MYSQL = 0,
    SQL_MODE_STAGE = 1,
};

struct sql_token {
    enum sql_token_type type;
    size_t start; /* offset of the whole token in the source */
    size_t len;
    size_t text_start; /* the token's text without sigils or quotes */
    size_t text_len;
};

struct sql_lexer {
    const char *src;
    size_t len;
    size_t pos;
    enum sql_lexer_mode mode;
    int in_exec_comment; /* nesting depth of executable comments */
};

void sql_lexer_init(struct sql_lexer *lx, const char *src, size_t len, enum sql_lexer_mode mode);
void sql_lexer_next(struct sql_lexer *lx, struct sql_token *tok);

/* A lexer with its current token, for recursive-descent parsers. */
struct sql_cursor {
    struct sql_lexer lx;
    struct sql_token tok;
};

/* Starts at the first token. */
void sql_cursor_init(struct sql_cursor *c, const char *src, size_t len, enum sql_lexer_mode mode);
void sql_cursor_next(struct sql_cursor *c);
/* Consume the current token if it is this keyword / operator. */
bool sql_cursor_kw(struct sql_cursor *c, const char *keyword);
bool sql_cursor_op(struct sql_cursor *c, const char *op);

/* Case-insensitive comparison of an IDENT token with a keyword. */
bool sql_token_is(const char *src, const struct sql_token *tok, const char *keyword);
bool sql_token_op(const char *src, const struct sql_token *tok, const char *op);

/* Appends the unescaped value of a STRING, QIDENT or AT token to `out`. */
void sql_token_unquote(const char *src, const struct sql_token *tok, struct buf *out);

/* Splits a multi-statement query at top-level ';'. Returns false when no
 * statement is left; empty statements are skipped. Spans exclude the ';'. */
bool sql_split_next(const char *src, size_t len, size_t *pos, size_t *stmt_start, size_t *stmt_len);

#endif
