/* The statements stage-only mode answers itself (SET, SHOW, SELECT with
 * expressions, information_schema queries), run against a session that is
 * not attached to a socket: answers pile up in the connection's buffer. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "server/config.h"
#include "server/mysql_conn.h"
#include "server/process.h"
#include "server/session.h"

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
    uv_tcp_init(srv.loop, &conn->tcp);
    conn->tcp.data = conn;
    list_push_back(&srv.mysql_conns, &conn->node);
    srv.n_mysql_conns++;
    snprintf(conn->peer_ip, sizeof(conn->peer_ip), "127.0.0.1");
    conn->sess = session_new(conn, "root", NULL, 45);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!conn) {
        char *argv[] = {"fuzz", "--tls", "off", NULL};
        char *envp[] = {NULL};
        config_load(&cfg, 3, argv, envp);
        memset(&srv, 0, sizeof(srv));
        srv.loop = uv_default_loop();
        srv.loop->data = &srv;
        srv.cfg = &cfg;
        list_init(&srv.mysql_conns);
        list_init(&srv.http_conns);
        strcpy(srv.server_version, "8.0.36-stageproxy");
        new_conn();
    }
    session_execute(conn->sess, (const char *)data, size);
    buf_reset(&conn->out);
    if (conn->state == MYSQL_CONN_CLOSING) {
        /* KILL of itself: let libuv release it, start afresh */
        uv_run(srv.loop, UV_RUN_NOWAIT);
        new_conn();
    }
    return 0;
}
