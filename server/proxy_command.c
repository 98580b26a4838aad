/* The command phase in proxy mode: stage statements run here, everything
 * else goes upstream. A query made only of upstream statements is
 * forwarded as it came; one that mixes both is cut into runs by
 * mysql_command_run_query, each run of upstream statements sent as one
 * COM_QUERY, so that the client still reads one answer with
 * SERVER_MORE_RESULTS_EXISTS between its parts. On a relay thread only
 * what goes upstream as it came runs; for the rest the connection moves
 * to the main loop first. */
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

/* One pass over a query's statements, stopping at a stage statement. */
struct statements {
    size_t n;
    bool stage;      /* one of them is a stage statement */
    bool last_short; /* the last one seen is short enough to be cut-off stage SQL */
    size_t first_start, first_len;
};

static void scan_statements(const char *sql, size_t len, struct statements *st)
{
    size_t pos = 0, start, slen;
    *st = (struct statements){0};
    while (sql_split_next(sql, len, &pos, &start, &slen)) {
        if (st->n++ == 0) {
            st->first_start = start;
            st->first_len = slen;
        }
        st->last_short = slen < 256;
        if (is_stage(sql_route_statement(sql + start, slen))) {
            st->stage = true;
            return;
        }
    }
}

/* The statement or connection id after the command byte of `p`. */
static uint32_t id_after_command(const uint8_t *p, size_t len)
{
    return mysql_command_id(p + 1, len - 1);
}

/* Whose statement an id names. */
static bool stmt_is_upstream(const struct mysql_conn *c, uint32_t id)
{
    return id == MYSQL_STMT_ID_LAST ? !c->prepared_local : id < LOCAL_STMT_ID_BASE;
}

/* The SQL may be cut short: a statement cut at the end could still turn
 * into a stage statement, unless it is the first (its keywords are in) or
 * long already (stage statements are short). */
static bool prefix_only_upstream(const char *sql, size_t len)
{
    struct statements st;
    scan_statements(sql, len, &st);
    return st.n > 0 && !st.stage && !(st.n > 1 && st.last_short);
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
        return len >= 5 && stmt_is_upstream(c, id_after_command(p, len));
    default:
        return false;
    }
}

/* The main loop runs this command: on a relay, the connection moves there
 * with it and it is dispatched again. */
static bool needs_main_loop(struct mysql_conn *c)
{
    if (!mysql_conn_on_relay(c)) {
        mysql_move_note_command(c, true);
        return false;
    }
    mysql_move_request_home(c);
    return true;
}

static void com_stmt(struct mysql_conn *c, const uint8_t *p, size_t len)
{
    uint32_t id = id_after_command(p, len);
    if (stmt_is_upstream(c, id)) {
        proxy_forward(c, p, len, false);
        return;
    }
    if (needs_main_loop(c))
        return;
    stmt_command(c, p[0], p + 1, len - 1);
}

static void com_stmt_prepare(struct mysql_conn *c, const uint8_t *p, size_t len)
{
    const char *sql = (const char *)p + 1;
    bool local = is_stage(sql_route_statement(sql, len - 1));
    if (local && needs_main_loop(c))
        return;
    c->prepared_local = local;
    if (!c->prepared_local) {
        proxy_forward(c, p, len, false);
        return;
    }
    if (c->sess->next_stmt_id < LOCAL_STMT_ID_BASE)
        c->sess->next_stmt_id = LOCAL_STMT_ID_BASE;
    stmt_prepare(c, p + 1, len - 1);
}

/* KILL of a connection: the upstream ends that session, and once it says
 * OK we end the client's too, as a direct server would (the main loop
 * holds the connections it can find by id). */
static uint32_t killed_by(const char *sql, const struct statements *st)
{
    uint32_t id;
    if (st->n == 1 && sql_route_kill_connection(sql + st->first_start, st->first_len, &id))
        return id;
    return 0;
}

static void com_query(struct mysql_conn *c, const uint8_t *p, size_t len)
{
    const char *sql = (const char *)p + 1;
    struct statements st;
    scan_statements(sql, len - 1, &st);
    uint32_t kill = st.n == 0 || st.stage ? 0 : killed_by(sql, &st);
    if ((st.n == 0 || st.stage || kill) && needs_main_loop(c))
        return;
    if (st.n == 0 || st.stage) {
        mysql_command_run_query(c, sql, len - 1, true);
        return;
    }
    metrics_add(&mysql_conn_loop(c)->metrics.questions, 1);
    c->pending_kill = kill;
    proxy_forward(c, p, len, false); /* as it came: the common case */
}

void proxy_command_packet(struct mysql_conn *c, const uint8_t *p, size_t len)
{
    mysql_move_note_command(c, false); /* undone by needs_main_loop */
    switch (p[0]) {
    case COM_QUIT:
        mysql_conn_close(c, "COM_QUIT");
        return;
    case COM_QUERY:
        com_query(c, p, len);
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
        if (!needs_main_loop(c))
            mysql_handshake_change_user(c, p, len);
        return;
    case COM_SET_OPTION:
        c->pending_multi = len >= 2 && p[1] == 0;
        proxy_forward(c, p, len, false);
        return;
    case COM_PROCESS_KILL:
        if (needs_main_loop(c))
            return;
        c->pending_kill = id_after_command(p, len);
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
