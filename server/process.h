/* The process: one libuv loop, the listeners, signals and graceful shutdown,
 * and the state every connection shares. */
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
#include "server/metrics.h"
#include "server/users.h"

#define SERVER_READ_BUF_SIZE (256 * 1024)

struct s3_client;
struct s3_target;

struct server {
    uv_loop_t *loop;
    struct config *cfg;
    struct user_table users;
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
    uv_timer_t janitor;
    uv_timer_t shutdown_timer;
    struct list_node mysql_conns;
    struct list_node http_conns;
    struct list_node stage_writes;   /* uploads in flight (stage_writes.h) */
    struct list_node stage_closings; /* stages whose uploads are being stopped */
    size_t n_mysql_conns;
    size_t n_http_conns;
    uint32_t next_conn_id;
    bool shutting_down;
    int handles_open;
    uint64_t start_ms;
    uint64_t questions;
    struct metrics metrics;
    struct s3_client *s3;          /* S3 requests of every stage on S3 */
    struct s3_target *own_storage; /* --storage s3://...; NULL: the data dir */
    unsigned char presign_key[32]; /* signs presigned URLs to our HTTP listener */
    bool read_buf_busy;
    char server_version[64];
    char mysql_addr[80];
    char http_addr[80];
    /* Builds one payload at a time; the loop thread is the only user. */
    struct buf scratch;
    uint8_t read_buf[SERVER_READ_BUF_SIZE];
    uint8_t plain_buf[SERVER_READ_BUF_SIZE];
};

int server_init(struct server *srv, uv_loop_t *loop, struct config *cfg);
int server_start(struct server *srv);
/* SIGINT/SIGTERM: stop accepting and let in-flight work finish. */
void server_begin_shutdown(struct server *srv);
/* Called when a connection closes during shutdown. */
void server_connection_gone(struct server *srv);
void server_free(struct server *srv);

/* The shared read buffer for uv_read_start callbacks. */
void server_alloc_cb(uv_handle_t *handle, size_t suggested, uv_buf_t *buf);

#endif
