/* Stage-only mode: the statements a client sends to set up a session, and a
 * clear error for everything that needs an upstream database. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "protocol/sql_lexer.h"
#include "server/mysql_conn.h"
#include "server/process.h"
#include "server/session.h"
#include "server/session_eval.h"
#include "server/session_tables.h"
#include "server/session_time.h"

/* A token cursor over one statement. */
struct stmt {
    struct session *s;
    const char *sql;
    size_t len;
    struct sql_cursor cur;
};

static bool at_end(struct stmt *st)
{
    return st->cur.tok.type == SQL_TK_EOF;
}

static int parse_error(struct stmt *st)
{
    char near[81];
    size_t at = st->cur.tok.start < st->len ? st->cur.tok.start : st->len;
    snprintf(near, sizeof(near), "%.*s", (int)(st->len - at), st->sql + at);
    mysql_conn_send_err(st->s->conn, ER_PARSE, near, 1);
    return -1;
}

static int no_upstream(struct stmt *st)
{
    char what[72];
    size_t n = st->len < 60 ? st->len : 60;
    snprintf(what, sizeof(what), "%.*s%s", (int)n, st->sql, st->len > 60 ? "..." : "");
    mysql_conn_send_err(st->s->conn, ER_NO_UPSTREAM, what);
    return -1;
}

static int ok(struct stmt *st)
{
    mysql_conn_send_ok(st->s->conn, 0, 0, NULL);
    return 0;
}

/* The text of an identifier, string or keyword token. */
static void token_text(struct stmt *st, char *out, size_t cap)
{
    struct buf b;
    buf_init(&b);
    sql_token_unquote(st->sql, &st->cur.tok, &b);
    snprintf(out, cap, "%.*s", (int)b.len, b.data ? (const char *)b.data : "");
    buf_free(&b);
}

/* ---- SET ---- */

enum scope { SCOPE_SESSION, SCOPE_GLOBAL };

static int set_error(struct stmt *st, int rc, const struct sysvar_def *d, const char *value)
{
    struct mysql_conn *c = st->s->conn;
    if (rc == -ENOENT && strncmp(d->name, "collation", 9) == 0)
        mysql_conn_send_err(c, ER_UNKNOWN_COLLATION, value ? value : "NULL");
    else if (rc == -ENOENT)
        mysql_conn_send_err(c, ER_UNKNOWN_CHARACTER_SET, value ? value : "NULL");
    else if (rc == -ENOMEM)
        mysql_conn_send_err(c, ER_UNKNOWN, "out of memory");
    else
        mysql_conn_send_err(c, ER_WRONG_VALUE_FOR_VAR, d->name, value ? value : "NULL");
    return -1;
}

/* Finds the end of a value expression: the next ',' outside parentheses. */
static size_t value_end(struct stmt *st)
{
    int depth = 0;
    for (;;) {
        if (st->cur.tok.type == SQL_TK_EOF || st->cur.tok.type == SQL_TK_ERROR)
            return st->len;
        if (sql_token_op(st->sql, &st->cur.tok, "("))
            depth++;
        else if (sql_token_op(st->sql, &st->cur.tok, ")"))
            depth--;
        else if (depth == 0 && sql_token_op(st->sql, &st->cur.tok, ","))
            return st->cur.tok.start;
        sql_cursor_next(&st->cur);
    }
}

static int assign_sysvar(struct stmt *st, const char *name, size_t name_len, enum scope scope)
{
    struct session *s = st->s;
    const struct sysvar_def *d = sysvar_find(name, name_len);
    char nm[128];
    snprintf(nm, sizeof(nm), "%.*s", (int)name_len, name);
    if (!d) {
        mysql_conn_send_err(s->conn, ER_UNKNOWN_SYSTEM_VARIABLE, nm);
        return -1;
    }
    if (!sql_cursor_op(&st->cur, "=") && !sql_cursor_op(&st->cur, ":="))
        return parse_error(st);
    bool is_default = sql_token_is(st->sql, &st->cur.tok, "DEFAULT");
    size_t start = st->cur.tok.start;
    size_t end = value_end(st);
    char *value = NULL;
    bool is_int;
    if (!is_default && eval_scalar(s, st->sql, start, end, &value, &is_int) < 0)
        return -1;
    int rc = 0;
    if (d->flags & SYSVAR_READONLY) {
        mysql_conn_send_err(s->conn, ER_INCORRECT_GLOBAL_LOCAL_VAR, d->name, "read only");
        rc = -1;
    } else if (scope == SCOPE_GLOBAL) {
        mysql_conn_send_err(s->conn, ER_SPECIFIC_ACCESS_DENIED, "SUPER or SYSTEM_VARIABLES_ADMIN");
        rc = -1;
    } else if (d->flags & SYSVAR_GLOBAL_ONLY) {
        mysql_conn_send_err(s->conn, ER_GLOBAL_VARIABLE, d->name);
        rc = -1;
    } else if (strcmp(d->name, "time_zone") == 0 && value &&
               time_zone_offset(value, &(int){0}) < 0) {
        mysql_conn_send_err(s->conn, ER_UNKNOWN_TIME_ZONE, value);
        rc = -1;
    } else {
        int r = session_var_set(s, d, value, is_default);
        if (r < 0)
            rc = set_error(st, r, d, value);
    }
    free(value);
    return rc;
}

static int assign_user_var(struct stmt *st)
{
    struct buf name;
    buf_init(&name);
    sql_token_unquote(st->sql, &st->cur.tok, &name);
    sql_cursor_next(&st->cur);
    int rc = -1;
    if (!sql_cursor_op(&st->cur, "=") && !sql_cursor_op(&st->cur, ":=")) {
        buf_free(&name);
        return parse_error(st);
    }
    size_t start = st->cur.tok.start;
    size_t end = value_end(st);
    char *value = NULL;
    bool is_int;
    if (eval_scalar(st->s, st->sql, start, end, &value, &is_int) == 0) {
        rc = session_user_var_set(st->s, name.data ? (const char *)name.data : "", name.len, value,
                                  is_int);
        if (rc < 0)
            mysql_conn_send_err(st->s->conn, ER_UNKNOWN, "too many user variables");
    }
    free(value);
    buf_free(&name);
    return rc < 0 ? -1 : 0;
}

static int set_names(struct stmt *st)
{
    char cs[64], coll[64] = "";
    if (sql_cursor_kw(&st->cur, "DEFAULT"))
        snprintf(cs, sizeof(cs), "utf8mb4");
    else {
        token_text(st, cs, sizeof(cs));
        if (st->cur.tok.type != SQL_TK_IDENT && st->cur.tok.type != SQL_TK_STRING &&
            st->cur.tok.type != SQL_TK_QIDENT)
            return parse_error(st);
        sql_cursor_next(&st->cur);
    }
    if (sql_cursor_kw(&st->cur, "COLLATE")) {
        token_text(st, coll, sizeof(coll));
        sql_cursor_next(&st->cur);
    }
    int rc = session_set_names(st->s, cs, coll[0] ? coll : NULL);
    if (rc == -ENOENT && coll[0] && collation_default_for(cs))
        mysql_conn_send_err(st->s->conn, ER_UNKNOWN_COLLATION, coll);
    else if (rc == -ENOENT)
        mysql_conn_send_err(st->s->conn, ER_UNKNOWN_CHARACTER_SET, cs);
    else if (rc == -EINVAL)
        mysql_conn_send_err(st->s->conn, ER_UNKNOWN, "COLLATION is not valid for CHARACTER SET");
    return rc < 0 ? -1 : 0;
}

static int set_charset(struct stmt *st)
{
    char cs[64];
    if (sql_cursor_kw(&st->cur, "DEFAULT"))
        snprintf(cs, sizeof(cs), "utf8mb4");
    else {
        token_text(st, cs, sizeof(cs));
        sql_cursor_next(&st->cur);
    }
    /* SET CHARACTER SET: client and results follow; the connection takes
     * the server's character set. */
    const struct collation_def *c = collation_default_for(cs);
    if (!c) {
        mysql_conn_send_err(st->s->conn, ER_UNKNOWN_CHARACTER_SET, cs);
        return -1;
    }
    session_var_set(st->s, sysvar_find("character_set_client", 20), c->charset, false);
    session_var_set(st->s, sysvar_find("character_set_results", 21), c->charset, false);
    return 0;
}

static int set_transaction(struct stmt *st, enum scope scope)
{
    do {
        if (sql_cursor_kw(&st->cur, "ISOLATION")) {
            if (!sql_cursor_kw(&st->cur, "LEVEL"))
                return parse_error(st);
            const char *level;
            if (sql_cursor_kw(&st->cur, "READ")) {
                if (sql_cursor_kw(&st->cur, "UNCOMMITTED"))
                    level = "READ-UNCOMMITTED";
                else if (sql_cursor_kw(&st->cur, "COMMITTED"))
                    level = "READ-COMMITTED";
                else
                    return parse_error(st);
            } else if (sql_cursor_kw(&st->cur, "REPEATABLE")) {
                if (!sql_cursor_kw(&st->cur, "READ"))
                    return parse_error(st);
                level = "REPEATABLE-READ";
            } else if (sql_cursor_kw(&st->cur, "SERIALIZABLE")) {
                level = "SERIALIZABLE";
            } else {
                return parse_error(st);
            }
            if (scope == SCOPE_SESSION)
                session_var_set(st->s, sysvar_find("transaction_isolation", 21), level, false);
        } else if (sql_cursor_kw(&st->cur, "READ")) {
            const char *ro = sql_cursor_kw(&st->cur, "ONLY")    ? "1"
                             : sql_cursor_kw(&st->cur, "WRITE") ? "0"
                                                                : NULL;
            if (!ro)
                return parse_error(st);
            if (scope == SCOPE_SESSION)
                session_var_set(st->s, sysvar_find("transaction_read_only", 21), ro, false);
        } else {
            return parse_error(st);
        }
    } while (sql_cursor_op(&st->cur, ","));
    return 0;
}

static int handle_set(struct stmt *st)
{
    enum scope scope = SCOPE_SESSION;
    if (sql_cursor_kw(&st->cur, "PASSWORD") || sql_cursor_kw(&st->cur, "ROLE") ||
        sql_cursor_kw(&st->cur, "DEFAULT"))
        return no_upstream(st);
    do {
        if (sql_cursor_kw(&st->cur, "GLOBAL") || sql_cursor_kw(&st->cur, "PERSIST") ||
            sql_cursor_kw(&st->cur, "PERSIST_ONLY"))
            scope = SCOPE_GLOBAL;
        else if (sql_cursor_kw(&st->cur, "SESSION") || sql_cursor_kw(&st->cur, "LOCAL"))
            scope = SCOPE_SESSION;
        int rc;
        if (sql_cursor_kw(&st->cur, "NAMES"))
            rc = set_names(st);
        else if (sql_cursor_kw(&st->cur, "CHARSET") ||
                 (sql_cursor_kw(&st->cur, "CHARACTER") && sql_cursor_kw(&st->cur, "SET")))
            rc = set_charset(st);
        else if (sql_cursor_kw(&st->cur, "TRANSACTION"))
            rc = set_transaction(st, scope);
        else if (st->cur.tok.type == SQL_TK_AT)
            rc = assign_user_var(st);
        else if (st->cur.tok.type == SQL_TK_SYSVAR) {
            const char *t = st->sql + st->cur.tok.text_start;
            size_t n = st->cur.tok.text_len;
            enum scope sc = scope;
            const char *dot = memchr(t, '.', n);
            if (dot) {
                size_t sl = (size_t)(dot - t);
                sc = (sl == 6 && strncasecmp(t, "global", 6) == 0) ? SCOPE_GLOBAL : SCOPE_SESSION;
                n -= sl + 1;
                t = dot + 1;
            }
            sql_cursor_next(&st->cur);
            rc = assign_sysvar(st, t, n, sc);
        } else if (st->cur.tok.type == SQL_TK_IDENT || st->cur.tok.type == SQL_TK_QIDENT) {
            const char *t = st->sql + st->cur.tok.text_start;
            size_t n = st->cur.tok.text_len;
            sql_cursor_next(&st->cur);
            rc = assign_sysvar(st, t, n, scope);
        } else {
            return parse_error(st);
        }
        if (rc < 0)
            return -1;
    } while (sql_cursor_op(&st->cur, ","));
    if (!at_end(st))
        return parse_error(st);
    return ok(st);
}

/* ---- SHOW ---- */

struct show_word {
    const char *words[3];
    enum show_kind kind;
};

static const struct show_word show_words[] = {
    {{"VARIABLES"}, SHOW_VARIABLES},
    {{"STATUS"}, SHOW_STATUS},
    {{"DATABASES"}, SHOW_DATABASES},
    {{"SCHEMAS"}, SHOW_DATABASES},
    {{"TABLES"}, SHOW_TABLES},
    {{"COLLATION"}, SHOW_COLLATION},
    {{"CHARSET"}, SHOW_CHARSET},
    {{"CHARACTER", "SET"}, SHOW_CHARSET},
    {{"ENGINES"}, SHOW_ENGINES},
    {{"STORAGE", "ENGINES"}, SHOW_ENGINES},
    {{"PLUGINS"}, SHOW_PLUGINS},
    {{"WARNINGS"}, SHOW_WARNINGS},
    {{"ERRORS"}, SHOW_WARNINGS},
    {{"GRANTS"}, SHOW_GRANTS},
    {{"PROCESSLIST"}, SHOW_PROCESSLIST},
    {{"TABLE", "STATUS"}, SHOW_TABLE_STATUS},
    {{"PRIVILEGES"}, SHOW_PRIVILEGES},
    {{"TRIGGERS"}, SHOW_TRIGGERS},
    {{"EVENTS"}, SHOW_EVENTS},
    {{"PROCEDURE", "STATUS"}, SHOW_ROUTINE_STATUS},
    {{"FUNCTION", "STATUS"}, SHOW_ROUTINE_STATUS},
    {{"MASTER", "STATUS"}, SHOW_REPLICATION_STATUS},
    {{"BINARY", "LOG", "STATUS"}, SHOW_REPLICATION_STATUS},
    {{"SLAVE", "STATUS"}, SHOW_REPLICATION_STATUS},
    {{"REPLICA", "STATUS"}, SHOW_REPLICATION_STATUS},
    {{"CREATE", "DATABASE"}, SHOW_CREATE_DATABASE},
    {{"CREATE", "SCHEMA"}, SHOW_CREATE_DATABASE},
};

static bool match_words(struct stmt *st, const struct show_word *w)
{
    struct sql_lexer save_lx = st->cur.lx;
    struct sql_token save_tok = st->cur.tok;
    for (int i = 0; i < 3 && w->words[i]; i++) {
        if (!sql_cursor_kw(&st->cur, w->words[i])) {
            st->cur.lx = save_lx;
            st->cur.tok = save_tok;
            return false;
        }
    }
    return true;
}

/* Reads [db.]table at the cursor and answers that it does not exist: in
 * stage-only mode there are no tables. */
static int no_such_table(struct stmt *st)
{
    char table[128], db[128];
    token_text(st, table, sizeof(table));
    sql_cursor_next(&st->cur);
    snprintf(db, sizeof(db), "%s", st->s->database ? st->s->database : "");
    if (sql_cursor_op(&st->cur, ".")) {
        snprintf(db, sizeof(db), "%s", table);
        token_text(st, table, sizeof(table));
    }
    mysql_conn_send_err(st->s->conn, ER_NO_SUCH_TABLE, db, table);
    return -1;
}

/* SHOW ... FROM t, SHOW CREATE TABLE t and friends. */
static int show_missing_table(struct stmt *st)
{
    while (!at_end(st) && !(sql_cursor_kw(&st->cur, "FROM") || sql_cursor_kw(&st->cur, "IN") ||
                            sql_cursor_kw(&st->cur, "TABLE") || sql_cursor_kw(&st->cur, "VIEW")))
        sql_cursor_next(&st->cur);
    return no_such_table(st);
}

static int handle_show(struct stmt *st)
{
    struct show_args args = {0};
    char db[128] = "", name[160];
    for (;;) {
        if (sql_cursor_kw(&st->cur, "FULL"))
            args.full = true;
        else if (sql_cursor_kw(&st->cur, "GLOBAL"))
            args.global = true;
        else if (!sql_cursor_kw(&st->cur, "SESSION") && !sql_cursor_kw(&st->cur, "LOCAL") &&
                 !sql_cursor_kw(&st->cur, "EXTENDED"))
            break;
    }
    const struct show_word *w = NULL;
    for (size_t i = 0; i < sizeof(show_words) / sizeof(show_words[0]) && !w; i++)
        if (match_words(st, &show_words[i]))
            w = &show_words[i];
    if (!w) {
        if (sql_cursor_kw(&st->cur, "COLUMNS") || sql_cursor_kw(&st->cur, "FIELDS") ||
            sql_cursor_kw(&st->cur, "INDEX") || sql_cursor_kw(&st->cur, "INDEXES") ||
            sql_cursor_kw(&st->cur, "KEYS") || sql_cursor_kw(&st->cur, "CREATE"))
            return show_missing_table(st);
        return no_upstream(st);
    }
    if (w->kind == SHOW_GRANTS && sql_cursor_kw(&st->cur, "FOR")) {
        while (!at_end(st))
            sql_cursor_next(&st->cur);
    }
    if (w->kind == SHOW_WARNINGS && sql_cursor_kw(&st->cur, "LIMIT")) {
        while (!at_end(st))
            sql_cursor_next(&st->cur);
    }
    if (w->kind == SHOW_TABLES || w->kind == SHOW_TABLE_STATUS || w->kind == SHOW_TRIGGERS ||
        w->kind == SHOW_EVENTS || w->kind == SHOW_CREATE_DATABASE) {
        if (w->kind == SHOW_CREATE_DATABASE && sql_cursor_kw(&st->cur, "IF") &&
            !(sql_cursor_kw(&st->cur, "NOT") && sql_cursor_kw(&st->cur, "EXISTS")))
            return parse_error(st);
        if (w->kind == SHOW_CREATE_DATABASE || sql_cursor_kw(&st->cur, "FROM") ||
            sql_cursor_kw(&st->cur, "IN")) {
            token_text(st, db, sizeof(db));
            sql_cursor_next(&st->cur);
        } else if (st->s->database) {
            snprintf(db, sizeof(db), "%s", st->s->database);
        } else if (w->kind == SHOW_TABLES || w->kind == SHOW_TABLE_STATUS) {
            mysql_conn_send_err(st->s->conn, ER_NO_DB);
            return -1;
        }
        if (w->kind != SHOW_CREATE_DATABASE && db[0] &&
            !session_database_exists(st->s->conn->srv, db)) {
            mysql_conn_send_err(st->s->conn, ER_BAD_DB, db);
            return -1;
        }
        args.db = db;
    }
    char like[256];
    const char *like_p = NULL;
    size_t where_at = 0;
    if (sql_cursor_kw(&st->cur, "LIKE")) {
        if (st->cur.tok.type != SQL_TK_STRING)
            return parse_error(st);
        token_text(st, like, sizeof(like));
        like_p = like;
        sql_cursor_next(&st->cur);
    } else if (sql_token_is(st->sql, &st->cur.tok, "WHERE")) {
        sql_cursor_next(&st->cur);
        where_at = st->cur.tok.start;
        while (!at_end(st))
            sql_cursor_next(&st->cur);
    }
    if (!at_end(st))
        return parse_error(st);
    struct vtable_rows t;
    int rc = show_table_build(st->s, w->kind, &args, &t, name, sizeof(name));
    if (rc == -ENOENT) {
        mysql_conn_send_err(st->s->conn, ER_BAD_DB, db);
        vtable_rows_free(&t);
        return -1;
    }
    if (rc < 0) {
        vtable_rows_free(&t);
        mysql_conn_send_err(st->s->conn, ER_UNKNOWN, "out of memory");
        return -1;
    }
    rc = eval_show_rows(st->s, &t, like_p, st->sql, st->len, where_at);
    vtable_rows_free(&t);
    return rc;
}

/* ---- the rest ---- */

static int handle_use(struct stmt *st)
{
    char db[256];
    if (st->cur.tok.type != SQL_TK_IDENT && st->cur.tok.type != SQL_TK_QIDENT)
        return parse_error(st);
    token_text(st, db, sizeof(db));
    sql_cursor_next(&st->cur);
    if (!at_end(st))
        return parse_error(st);
    if (session_use_database(st->s, db) < 0) {
        mysql_conn_send_err(st->s->conn, ER_BAD_DB, db);
        return -1;
    }
    return ok(st);
}

int session_kill(struct session *s, uint32_t id, bool query_only)
{
    struct mysql_conn *target = mysql_conn_find(s->conn->srv, id);
    if (!target || !target->sess) {
        mysql_conn_send_err(s->conn, ER_NO_SUCH_THREAD, (unsigned long)id);
        return -1;
    }
    if (strcmp(s->user, "root") != 0 && strcmp(target->sess->user, s->user) != 0) {
        mysql_conn_send_err(s->conn, ER_KILL_DENIED, (unsigned long)id);
        return -1;
    }
    if (query_only) {
        /* Every statement here completes before the next is read: there is
         * never a running query to interrupt. */
        mysql_conn_send_ok(s->conn, 0, 0, NULL);
        return 0;
    }
    if (target == s->conn) {
        mysql_conn_send_err(s->conn, ER_QUERY_INTERRUPTED);
        mysql_conn_close_after_flush(s->conn, "killed itself");
        return -1;
    }
    mysql_conn_close(target, "killed");
    mysql_conn_send_ok(s->conn, 0, 0, NULL);
    return 0;
}

static int handle_kill(struct stmt *st)
{
    bool query = false;
    if (sql_cursor_kw(&st->cur, "QUERY"))
        query = true;
    else
        sql_cursor_kw(&st->cur, "CONNECTION");
    size_t start = st->cur.tok.start;
    while (!at_end(st))
        sql_cursor_next(&st->cur);
    char *v = NULL;
    bool is_int;
    if (eval_scalar(st->s, st->sql, start, st->len, &v, &is_int) < 0)
        return -1;
    char *end = NULL;
    unsigned long id = v ? strtoul(v, &end, 10) : 0;
    bool valid = v && *v && end && !*end;
    free(v);
    if (!valid) {
        mysql_conn_send_err(st->s->conn, ER_WRONG_ARGUMENTS, "KILL");
        return -1;
    }
    return session_kill(st->s, (uint32_t)id, query);
}

static int handle_transaction(struct stmt *st, bool begin)
{
    /* Nothing here is transactional; the flags follow what the client did so
     * that drivers which track them stay consistent. */
    st->s->in_trans = begin;
    while (!at_end(st))
        sql_cursor_next(&st->cur);
    return ok(st);
}

static int handle_temporary(struct stmt *st)
{
    char what[96];
    snprintf(what, sizeof(what), "%.*s", (int)(st->len < 80 ? st->len : 80), st->sql);
    mysql_conn_send_err(st->s->conn, ER_NOT_SUPPORTED_YET, what);
    return -1;
}

static bool drops_tableau_temp(struct stmt *st)
{
    /* DROP TABLE `#Tableau_...`: part of Tableau's temp-table probe. */
    return st->cur.tok.type == SQL_TK_QIDENT && st->cur.tok.text_len > 0 &&
           st->sql[st->cur.tok.text_start] == '#';
}

static bool is_diagnostic(struct stmt *st)
{
    struct sql_lexer lx = st->cur.lx;
    struct sql_token t = st->cur.tok;
    if (!sql_token_is(st->sql, &t, "SHOW"))
        return false;
    sql_lexer_next(&lx, &t);
    return sql_token_is(st->sql, &t, "WARNINGS") || sql_token_is(st->sql, &t, "ERRORS") ||
           sql_token_is(st->sql, &t, "COUNT");
}

int session_execute(struct session *s, const char *sql, size_t len)
{
    struct stmt st = {.s = s, .sql = sql, .len = len};
    sql_cursor_init(&st.cur, sql, len, SQL_MODE_MYSQL);
    if (!is_diagnostic(&st)) {
        free(s->last_error);
        s->last_error = NULL;
    }
    if (sql_token_is(sql, &st.cur.tok, "SELECT"))
        return eval_select(s, sql + st.cur.tok.start, len - st.cur.tok.start);
    if (sql_cursor_kw(&st.cur, "SET"))
        return handle_set(&st);
    if (sql_cursor_kw(&st.cur, "SHOW"))
        return handle_show(&st);
    if (sql_cursor_kw(&st.cur, "USE"))
        return handle_use(&st);
    if (sql_cursor_kw(&st.cur, "BEGIN") ||
        (sql_cursor_kw(&st.cur, "START") && sql_cursor_kw(&st.cur, "TRANSACTION")))
        return handle_transaction(&st, true);
    if (sql_cursor_kw(&st.cur, "COMMIT") || sql_cursor_kw(&st.cur, "ROLLBACK"))
        return handle_transaction(&st, false);
    if (sql_cursor_kw(&st.cur, "SAVEPOINT") || sql_cursor_kw(&st.cur, "RELEASE"))
        return handle_transaction(&st, s->in_trans);
    if (sql_cursor_kw(&st.cur, "KILL"))
        return handle_kill(&st);
    if (sql_cursor_kw(&st.cur, "DO")) {
        char *v = NULL;
        bool is_int;
        if (eval_scalar(s, sql, st.cur.tok.start, len, &v, &is_int) < 0)
            return -1;
        free(v);
        return ok(&st);
    }
    if (sql_cursor_kw(&st.cur, "DESC") || sql_cursor_kw(&st.cur, "DESCRIBE") ||
        sql_cursor_kw(&st.cur, "EXPLAIN")) {
        if (st.cur.tok.type == SQL_TK_IDENT || st.cur.tok.type == SQL_TK_QIDENT)
            if (!sql_token_is(sql, &st.cur.tok, "SELECT"))
                return no_such_table(&st);
        return no_upstream(&st);
    }
    if (sql_cursor_kw(&st.cur, "CREATE") && sql_cursor_kw(&st.cur, "TEMPORARY"))
        return handle_temporary(&st);
    sql_cursor_init(&st.cur, sql, len, SQL_MODE_MYSQL); /* rewind */
    if (sql_cursor_kw(&st.cur, "DROP") &&
        (sql_cursor_kw(&st.cur, "TEMPORARY") ||
         (sql_cursor_kw(&st.cur, "TABLE") && drops_tableau_temp(&st))))
        return handle_temporary(&st);
    sql_cursor_init(&st.cur, sql, len, SQL_MODE_MYSQL); /* rewind */
    if (sql_cursor_kw(&st.cur, "UNLOCK") && sql_cursor_kw(&st.cur, "TABLES") && at_end(&st))
        return ok(&st);
    sql_cursor_init(&st.cur, sql, len, SQL_MODE_MYSQL); /* rewind */
    return no_upstream(&st);
}
