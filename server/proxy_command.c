/* The command phase in proxy mode: stage statements run here, everything
 * else goes upstream. A query made only of upstream statements is
 * forwarded as it came; one that mixes both is cut into runs, each run of
 * upstream statements sent as one COM_QUERY, so that the client still
 * reads one answer with SERVER_MORE_RESULTS_EXISTS between its parts. */
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

/* Prepared statements we answer ourselves (stage statements) get ids the
 * upstream never hands out on one connection. */
#define LOCAL_STMT_ID_BASE 0x80000000u

static bool is_stage(enum sql_route r)
{
    return r != SQL_ROUTE_OTHER && r != SQL_ROUTE_EMPTY;
}

static void keep_rest(struct mysql_conn *c, const char *sql, size_t len, size_t from)
{
    c->rest_len = len - from;
    c->rest_sql = strndup(sql + from, c->rest_len);
    if (!c->rest_sql)
        c->rest_len = 0;
}

void proxy_run_statements(struct mysql_conn *c, const char *sql, size_t len, bool first)
{
    size_t pos = 0, start, slen;
    if (!sql_split_next(sql, len, &pos, &start, &slen)) {
        if (first)
            mysql_conn_send_err(c, ER_EMPTY_QUERY);
        return;
    }
    for (;;) {
        enum sql_route route = sql_route_statement(sql + start, slen);
        size_t end = start + slen, next_pos = pos, next_start = 0, next_len = 0;
        bool more = sql_split_next(sql, len, &next_pos, &next_start, &next_len);
        if (!is_stage(route)) { /* a run of upstream statements, sent together */
            while (more && !is_stage(sql_route_statement(sql + next_start, next_len))) {
                end = next_start + next_len;
                pos = next_pos;
                more = sql_split_next(sql, len, &next_pos, &next_start, &next_len);
            }
        } else if (more && !c->sess->multi_statements) {
            char near[80];
            size_t n = len - next_start < sizeof(near) - 1 ? len - next_start : sizeof(near) - 1;
            memcpy(near, sql + next_start, n);
            near[n] = '\0';
            mysql_conn_send_err(c, ER_PARSE, near, 1);
            return;
        }
        c->sess->more_results = more ? SERVER_MORE_RESULTS_EXISTS : 0;
        c->srv->questions++;
        int rc = is_stage(route) ? stage_exec_statement(c, route, sql + start, slen)
                                 : proxy_forward_query(c, sql + start, end - start, more);
        if (rc == 1) {
            if (more)
                keep_rest(c, sql, len, next_start);
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

static bool only_upstream_statements(const char *sql, size_t len)
{
    size_t pos = 0, start, slen;
    bool any = false;
    while (sql_split_next(sql, len, &pos, &start, &slen)) {
        if (is_stage(sql_route_statement(sql + start, slen)))
            return false;
        any = true;
    }
    return any;
}

static uint32_t stmt_id_of(const uint8_t *p, size_t len)
{
    if (len < 5)
        return 0;
    return (uint32_t)p[1] | (uint32_t)p[2] << 8 | (uint32_t)p[3] << 16 | (uint32_t)p[4] << 24;
}

static void com_stmt(struct mysql_conn *c, const uint8_t *p, size_t len)
{
    uint32_t id = stmt_id_of(p, len);
    if (id < LOCAL_STMT_ID_BASE) {
        proxy_forward(c, p, len, false);
        return;
    }
    const uint8_t *arg = p + 1;
    size_t n = len - 1;
    switch (p[0]) {
    case COM_STMT_EXECUTE:
        stmt_execute(c, arg, n);
        break;
    case COM_STMT_SEND_LONG_DATA:
        stmt_send_long_data(c, arg, n);
        break;
    case COM_STMT_RESET:
        stmt_reset(c, arg, n);
        break;
    case COM_STMT_CLOSE:
        stmt_close(c, arg, n);
        break;
    default:
        mysql_conn_send_err(c, ER_UNKNOWN_COM);
        break;
    }
}

static void com_stmt_prepare(struct mysql_conn *c, const uint8_t *p, size_t len)
{
    const char *sql = (const char *)p + 1;
    if (!is_stage(sql_route_statement(sql, len - 1))) {
        proxy_forward(c, p, len, false);
        return;
    }
    if (c->sess->next_stmt_id < LOCAL_STMT_ID_BASE)
        c->sess->next_stmt_id = LOCAL_STMT_ID_BASE;
    stmt_prepare(c, p + 1, len - 1);
}

void proxy_command_packet(struct mysql_conn *c, const uint8_t *p, size_t len)
{
    switch (p[0]) {
    case COM_QUIT:
        mysql_conn_close(c, "COM_QUIT");
        return;
    case COM_QUERY:
        if (only_upstream_statements((const char *)p + 1, len - 1)) {
            c->srv->questions++;
            proxy_forward(c, p, len, false); /* as it came: the common case */
        } else {
            proxy_run_statements(c, (const char *)p + 1, len - 1, true);
        }
        return;
    case COM_STMT_PREPARE:
        com_stmt_prepare(c, p, len);
        return;
    case COM_STMT_EXECUTE:
    case COM_STMT_SEND_LONG_DATA:
    case COM_STMT_RESET:
    case COM_STMT_CLOSE:
    case COM_STMT_FETCH:
        com_stmt(c, p, len);
        return;
    case COM_CHANGE_USER:
        mysql_handshake_change_user(c, p, len);
        return;
    case COM_SET_OPTION:
        c->pending_multi = len >= 2 && p[1] == 0;
        proxy_forward(c, p, len, false);
        return;
    case COM_INIT_DB:
        free(c->pending_db);
        c->pending_db = strndup((const char *)p + 1, len - 1);
        proxy_forward(c, p, len, false);
        return;
    case COM_PING:
    case COM_FIELD_LIST:
    case COM_STATISTICS:
    case COM_PROCESS_KILL:
    case COM_PROCESS_INFO:
    case COM_REFRESH:
    case COM_DEBUG:
    case COM_RESET_CONNECTION:
        proxy_forward(c, p, len, false);
        return;
    default: /* replication and other commands a proxy must not pass on */
        mysql_conn_send_err(c, ER_UNKNOWN_COM);
        return;
    }
}
