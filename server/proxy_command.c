/* The command phase in proxy mode: stage statements run here, everything
 * else goes upstream. A query made only of upstream statements is
 * forwarded as it came; one that mixes both is cut into runs by
 * mysql_command_run_query, each run of upstream statements sent as one
 * COM_QUERY, so that the client still reads one answer with
 * SERVER_MORE_RESULTS_EXISTS between its parts. */
#include "protocol/sql_lexer.h"
#include "protocol/sql_router.h"
#include "server/mysql_conn.h"
#include "server/mysql_stmt.h"
#include "server/process.h"
#include "server/proxy.h"
#include "server/session.h"
#include "server/upstream.h"

/* Prepared statements we answer ourselves (stage statements) get ids the
 * upstream never hands out on one connection. */
#define LOCAL_STMT_ID_BASE 0x80000000u

static bool is_stage(enum sql_route r)
{
    return r != SQL_ROUTE_OTHER && r != SQL_ROUTE_EMPTY;
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

/* Whose statement an id names: MariaDB's 0xFFFFFFFF is the last prepared. */
static bool stmt_is_upstream(const struct mysql_conn *c, uint32_t id)
{
    return id == 0xFFFFFFFFu ? !c->prepared_local : id < LOCAL_STMT_ID_BASE;
}

/* The SQL may be cut short: a statement cut at the end could still turn
 * into a stage statement, unless it is the first (its keywords are in) or
 * long already (stage statements are short). */
static bool prefix_only_upstream(const char *sql, size_t len)
{
    size_t pos = 0, start, slen, n = 0;
    bool last_short = false;
    while (sql_split_next(sql, len, &pos, &start, &slen)) {
        if (is_stage(sql_route_statement(sql + start, slen)))
            return false;
        last_short = slen < 256;
        n++;
    }
    return n > 0 && !(n > 1 && last_short);
}

bool proxy_command_is_upstream(const struct mysql_conn *c, const uint8_t *p, size_t len)
{
    if (!c->up || c->up->state != UPSTREAM_READY || len == 0)
        return false;
    switch (p[0]) {
    case COM_QUERY:
    case COM_STMT_PREPARE:
        return prefix_only_upstream((const char *)p + 1, len - 1);
    case COM_STMT_EXECUTE:
    case COM_STMT_SEND_LONG_DATA:
        return len >= 5 && stmt_is_upstream(c, stmt_id_of(p, len));
    default:
        return false;
    }
}

static void com_stmt(struct mysql_conn *c, const uint8_t *p, size_t len)
{
    uint32_t id = stmt_id_of(p, len);
    if (stmt_is_upstream(c, id)) {
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
    c->prepared_local = is_stage(sql_route_statement(sql, len - 1));
    if (!c->prepared_local) {
        proxy_forward(c, p, len, false);
        return;
    }
    if (c->sess->next_stmt_id < LOCAL_STMT_ID_BASE)
        c->sess->next_stmt_id = LOCAL_STMT_ID_BASE;
    stmt_prepare(c, p + 1, len - 1);
}

/* KILL of a connection: the upstream ends that session, and once it says
 * OK we end the client's too, as a direct server would. */
static void note_kill(struct mysql_conn *c, const char *sql, size_t len)
{
    size_t pos = 0, start, slen, more_start, more_len;
    uint32_t id;
    c->pending_kill = 0;
    if (sql_split_next(sql, len, &pos, &start, &slen) &&
        sql_route_kill_connection(sql + start, slen, &id) &&
        !sql_split_next(sql, len, &pos, &more_start, &more_len))
        c->pending_kill = id;
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
            note_kill(c, (const char *)p + 1, len - 1);
            proxy_forward(c, p, len, false); /* as it came: the common case */
        } else {
            mysql_command_run_query(c, (const char *)p + 1, len - 1, true);
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
    case COM_PROCESS_KILL:
        c->pending_kill = stmt_id_of(p, len); /* the same 4-byte id after the command */
        proxy_forward(c, p, len, false);
        return;
    case COM_INIT_DB:
    case COM_PING:
    case COM_FIELD_LIST:
    case COM_STATISTICS:
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
