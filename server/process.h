/* The process: the main libuv loop (listeners, signals, HTTP, stages,
 * logins), the relay threads that carry proxied sessions (server/relay.h),
 * graceful shutdown, and the state every connection shares. */
#ifndef SP_SERVER_PROCESS_H
#define SP_SERVER_PROCESS_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "protocol/buf.h"
#include "server/catalog.h"
#include "server/config.h"
#include "server/list.h"
#include "server/loop_ctx.h"
#include "server/metrics.h"
#include "server/proxy_protocol.h"
#include "server/relay.h"
#include "server/users.h"

struct s3_client;
struct s3_target;

struct server {
    uv_loop_t *loop;
    struct config *cfg;
    struct user_table users;
    struct proxy_protocol_nets proxy_protocol_nets; /* proxy_protocol_from */
    struct catalog catalog;
    SSL_CTX *tls_ctx;          /* NULL: TLS not offered on the MySQL port */
    SSL_CTX *http_tls_ctx;     /* NULL: the HTTP listener speaks plain HTTP */
    SSL_CTX *upstream_tls_ctx; /* NULL: plain TCP to the upstream */
    uv_tcp_t mysql_listener;
    uv_pipe_t mysql_socket_listener; /* with mysql_socket set */
    uv_tcp_t http_listener;
    bool mysql_listening;
    bool mysql_socket_listening;
    bool http_listening;
    uv_signal_t sig_int;
    uv_signal_t sig_term;
    uv_signal_t sig_hup;
    uv_timer_t janitor;
    uv_timer_t shutdown_timer;
    struct list_node mysql_conns;
    struct list_node http_conns;
    struct list_node stage_writes;   /* uploads in flight (stage_writes.h) */
    struct list_node stage_closings; /* stages whose uploads are being stopped */
    size_t n_mysql_conns;            /* on every loop, and moving between them */
    size_t n_http_conns;
    uint32_t next_conn_id;
    bool shutting_down;   /* read by relay threads: server_shutting_down() */
    bool shutdown_forced; /* ... and the deadline passed */
    int handles_open;
    uint64_t start_ms;
    struct s3_client *s3;          /* S3 requests of every stage on S3 */
    struct s3_target *own_storage; /* --storage s3://...; NULL: the data dir */
    unsigned char presign_key[32]; /* signs presigned URLs to our HTTP listener */
    char server_version[64];
    char mysql_addr[80];
    char http_addr[80];
    /* relay threads (server/relay.h) */
    struct relay **relays;
    unsigned n_relays;
    struct mailbox mailbox; /* connections handed to the main loop */
    bool mailbox_open;
    struct loop_ctx main_ctx; /* the main loop's buffers and counters */
};

int server_init(struct server *srv, uv_loop_t *loop, struct config *cfg);
int server_start(struct server *srv);
/* SIGHUP: reads the configuration again (server/reload.c). */
void server_reload(struct server *srv);
/* SIGINT/SIGTERM: stop accepting and let in-flight work finish. */
void server_begin_shutdown(struct server *srv);
/* Called when a connection closes during shutdown. */
void server_connection_gone(struct server *srv);
void server_free(struct server *srv);

/* From any thread. */
static inline bool server_shutting_down(const struct server *srv)
{
    return __atomic_load_n(&srv->shutting_down, __ATOMIC_ACQUIRE);
}
/* Counters of every loop added up, for /metrics and SHOW STATUS. */
void server_metrics(const struct server *srv, struct metrics *out);

#endif
