/* The command phase: one handler per COM_* command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/sql_lexer.h"
#include "protocol/sql_router.h"
#include "server/log.h"
#include "server/mysql_conn.h"
#include "server/mysql_stmt.h"
#include "server/process.h"
#include "server/proxy.h"
#include "server/session.h"
#include "server/stage_exec.h"

#define LOGC(level, c, ...) log_conn(level, "m", (c)->id, __VA_ARGS__)

static int run_routed(struct mysql_conn *c, enum sql_route route, const char *sql, size_t len)
{
    metrics_add(&mysql_conn_loop(c)->metrics.questions, 1);
    switch (route) {
    case SQL_ROUTE_EMPTY:
        mysql_conn_send_err(c, ER_EMPTY_QUERY);
        return -1;
    case SQL_ROUTE_OTHER:
        return session_execute(c->sess, sql, len);
    default:
        return stage_exec_statement(c, route, sql, len);
    }
}

int mysql_command_run_statement(struct mysql_conn *c, const char *sql, size_t len)
{
    return run_routed(c, sql_route_statement(sql, len), sql, len);
}

/* In proxy mode every statement that is not a stage statement is the
 * upstream's; statements of it in a row travel upstream as one query. */
static bool goes_upstream(const struct mysql_conn *c, enum sql_route r)
{
    return (r == SQL_ROUTE_OTHER || r == SQL_ROUTE_EMPTY) && proxy_mode(c->srv);
}

static void parse_error_near(struct mysql_conn *c, const char *sql, size_t start, size_t len)
{
    char near[80];
    size_t n = len - start < sizeof(near) - 1 ? len - start : sizeof(near) - 1;
    memcpy(near, sql + start, n);
    near[n] = 0;
    mysql_conn_send_err(c, ER_PARSE, near, 1);
}

/* Runs the statements of a query in order; stops at the first error. A
 * statement that goes asynchronous keeps the rest for later. */
void mysql_command_run_query(struct mysql_conn *c, const char *sql, size_t len, bool first)
{
    size_t pos = 0, start, slen;
    if (!sql_split_next(sql, len, &pos, &start, &slen)) {
        if (first)
            mysql_conn_send_err(c, ER_EMPTY_QUERY);
        return;
    }
    for (;;) {
        enum sql_route route = sql_route_statement(sql + start, slen);
        size_t end = start + slen, next_start = 0, next_len = 0, next_pos = pos;
        bool more = sql_split_next(sql, len, &next_pos, &next_start, &next_len);
        bool upstream = goes_upstream(c, route);
        while (upstream && more &&
               goes_upstream(c, sql_route_statement(sql + next_start, next_len))) {
            end = next_start + next_len;
            more = sql_split_next(sql, len, &next_pos, &next_start, &next_len);
        }
        if (!upstream && more && !c->sess->multi_statements) {
            parse_error_near(c, sql, next_start, len);
            return;
        }
        c->sess->more_results = more ? SERVER_MORE_RESULTS_EXISTS : 0;
        int rc;
        if (upstream) {
            metrics_add(&mysql_conn_loop(c)->metrics.questions, 1);
            rc = proxy_forward_query(c, sql + start, end - start, more);
        } else {
            rc = run_routed(c, route, sql + start, slen);
        }
        if (rc == 1) {
            if (more) {
                c->rest_len = len - next_start;
                c->rest_sql = strndup(sql + next_start, c->rest_len);
                if (!c->rest_sql)
                    c->rest_len = 0;
            }
            return;
        }
        c->sess->more_results = 0;
        if (rc < 0 || !more || c->state != MYSQL_CONN_COMMAND)
            return;
        pos = next_pos;
        start = next_start;
        slen = next_len;
    }
}

static void com_query(struct mysql_conn *c, const char *sql, size_t len)
{
    mysql_command_run_query(c, sql, len, true);
}

void mysql_command_statement_done(struct mysql_conn *c, int rc)
{
    char *rest = c->rest_sql;
    size_t rest_len = c->rest_len;
    c->rest_sql = NULL;
    c->rest_len = 0;
    if (c->sess)
        c->sess->more_results = 0;
    bool open = !c->free_when_idle && c->state == MYSQL_CONN_COMMAND;
    if (open && rc == 0 && rest) {
        /* the next statement may go asynchronous in turn */
        c->busy = false;
        mysql_command_run_query(c, rest, rest_len, false);
        free(rest);
        if (!c->busy)
            mysql_conn_async_end(c);
        return;
    }
    free(rest);
    mysql_conn_async_end(c);
}

static void com_init_db(struct mysql_conn *c, const char *db, size_t len)
{
    char name[256];
    if (len >= sizeof(name) || memchr(db, 0, len)) {
        mysql_conn_send_err(c, ER_BAD_DB, "?");
        return;
    }
    memcpy(name, db, len);
    name[len] = 0;
    if (session_use_database(c->sess, name) < 0)
        mysql_conn_send_err(c, ER_BAD_DB, name);
    else
        mysql_conn_send_ok(c, 0, 0, NULL);
}

static void com_field_list(struct mysql_conn *c, const uint8_t *p, size_t len)
{
    const char *table = (const char *)p;
    size_t n = strnlen(table, len);
    char name[128];
    snprintf(name, sizeof(name), "%.*s", (int)(n < 120 ? n : 120), table);
    mysql_conn_send_err(c, ER_NO_SUCH_TABLE, c->sess->database ? c->sess->database : "", name);
}

static void com_statistics(struct mysql_conn *c)
{
    struct server *srv = c->srv;
    struct metrics m;
    server_metrics(srv, &m);
    uint64_t up = (uv_now(srv->loop) - srv->start_ms) / 1000;
    char text[256];
    snprintf(text, sizeof(text),
             "Uptime: %llu  Threads: %zu  Questions: %llu  Slow queries: 0  Opens: 0  Flush "
             "tables: 1  Open tables: 0  Queries per second avg: %.3f",
             (unsigned long long)up, srv->n_mysql_conns, (unsigned long long)m.questions,
             up ? (double)m.questions / (double)up : 0.0);
    mysql_conn_send(c, text, strlen(text));
}

static void com_set_option(struct mysql_conn *c, const uint8_t *p, size_t len)
{
    if (len != 2 || (p[0] != 0 && p[0] != 1) || p[1] != 0) {
        mysql_conn_send_err(c, ER_UNKNOWN_COM);
        return;
    }
    c->sess->multi_statements = p[0] == 0;
    mysql_conn_send_eof(c);
}

static void com_process_kill(struct mysql_conn *c, const uint8_t *p, size_t len)
{
    if (len < 4) {
        mysql_conn_send_err(c, ER_UNKNOWN_COM);
        return;
    }
    session_kill(c->sess, mysql_command_id(p, len), false);
}

void mysql_command_packet(struct mysql_conn *c, const uint8_t *p, size_t len)
{
    if (len == 0) {
        mysql_conn_send_err(c, ER_UNKNOWN_COM);
        return;
    }
    uint8_t cmd = p[0];
    const uint8_t *arg = p + 1;
    size_t arg_len = len - 1;
    mysql_conn_command_begin(c);
    c->binary_rows = false;
    if (c->up || c->upstream_lost) {
        proxy_command_packet(c, p, len);
        return;
    }
    switch (cmd) {
    case COM_QUIT:
        mysql_conn_close(c, "COM_QUIT");
        break;
    case COM_PING:
        mysql_conn_send_ok(c, 0, 0, NULL);
        break;
    case COM_QUERY:
        com_query(c, (const char *)arg, arg_len);
        break;
    case COM_INIT_DB:
        com_init_db(c, (const char *)arg, arg_len);
        break;
    case COM_FIELD_LIST:
        com_field_list(c, arg, arg_len);
        break;
    case COM_STATISTICS:
        com_statistics(c);
        break;
    case COM_SET_OPTION:
        com_set_option(c, arg, arg_len);
        break;
    case COM_RESET_CONNECTION:
        session_reset(c->sess);
        mysql_conn_send_ok(c, 0, 0, NULL);
        break;
    case COM_CHANGE_USER:
        mysql_handshake_change_user(c, p, len);
        break;
    case COM_PROCESS_KILL:
        com_process_kill(c, arg, arg_len);
        break;
    case COM_STMT_PREPARE:
        stmt_prepare(c, arg, arg_len);
        break;
    case COM_STMT_EXECUTE:
    case COM_STMT_SEND_LONG_DATA:
    case COM_STMT_RESET:
    case COM_STMT_CLOSE:
        stmt_command(c, cmd, arg, arg_len);
        break;
    default:
        LOGC(LOG_DEBUG, c, "unknown command 0x%02x", cmd);
        mysql_conn_send_err(c, ER_UNKNOWN_COM);
        break;
    }
}
