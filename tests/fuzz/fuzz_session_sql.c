/* The statements stage-only mode answers itself (SET, SHOW, SELECT with
 * expressions, information_schema queries), run against a session that is
 * not attached to a socket: answers pile up in the connection's buffer.
 * The same text also runs as a streamed SELECT over LIST_STAGE rows. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "server/config.h"
#include "server/mysql_conn.h"
#include "server/process.h"
#include "server/session.h"
#include "server/session_eval.h"
#include "server/stage_internal.h"

static struct server srv;
static struct config cfg;
static struct mysql_conn *conn;

static void new_conn(void)
{
    conn = calloc(1, sizeof(*conn));
    conn->srv = &srv;
    conn->id = 1;
    conn->state = MYSQL_CONN_COMMAND;
    conn->caps = CLIENT_PROTOCOL_41 | CLIENT_MULTI_STATEMENTS;
    uv_tcp_init(srv.loop, &conn->sock.tcp);
    conn->sock.handle.data = conn;
    list_push_back(&srv.mysql_conns, &conn->node);
    srv.n_mysql_conns++;
    snprintf(conn->peer_ip, sizeof(conn->peer_ip), "127.0.0.1");
    conn->sess = session_new(conn, "root", NULL, 45);
}

static void run_streamed(const uint8_t *data, size_t size)
{
    static const char *const rows[3][5] = {
        {"a/b.csv", "0", NULL, "2026-11-22 04:00:00.000 +0000", NULL},
        {"c.parquet", "998", "\"0123456789abcdef0123456789abcdef\"",
         "2026-11-22 04:00:01.000 +0000", NULL},
        {"z", "18446744073709551615", "\"\"", "1970-01-01 00:00:00.000 +0000", NULL},
    };
    struct vtable_rows shape;
    vtable_rows_init(&shape, stage_list_cols, STAGE_LIST_NCOLS);
    struct select_stream *ss;
    if (select_stream_open(conn->sess, (const char *)data, size, "LIST_STAGE", &shape, &ss) != 1)
        return;
    for (int i = 0; i < 3 && select_stream_row(ss, rows[i]) == 0; i++)
        ;
    select_stream_end(ss);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!conn) {
        char *argv[] = {"fuzz", "--tls", "off", NULL};
        char *envp[] = {NULL};
        config_load(&cfg, 3, argv, envp);
        memset(&srv, 0, sizeof(srv));
        srv.loop = uv_default_loop();
        loop_ctx_init(&srv.main_ctx, &srv, NULL, srv.loop);
        srv.cfg = &cfg;
        list_init(&srv.mysql_conns);
        list_init(&srv.http_conns);
        strcpy(srv.server_version, "8.0.36-stageproxy");
        new_conn();
    }
    session_execute(conn->sess, (const char *)data, size);
    buf_reset(&conn->out);
    if (conn->state == MYSQL_CONN_COMMAND) {
        run_streamed(data, size);
        buf_reset(&conn->out);
    }
    if (conn->state == MYSQL_CONN_CLOSING) {
        /* KILL of itself: let libuv release it, start afresh */
        uv_run(srv.loop, UV_RUN_NOWAIT);
        new_conn();
    }
    return 0;
}
