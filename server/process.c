#include "server/process.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/http_conn.h"
#include "server/listener.h"
#include "server/log.h"
#include "server/mysql_conn.h"
#include "server/proxy.h"
#include "server/stage_exec.h"
#include "server/stage_store.h"
#include "server/stage_writes.h"
#include "server/tls_cert.h"

#define JANITOR_INTERVAL_MS 1000

static int ensure_data_dir(const char *dir)
{
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        log_error("cannot create data dir %s: %s", dir, strerror(errno));
        return -1;
    }
    struct stat st;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        log_error("data dir %s is not a directory", dir);
        return -1;
    }
    return 0;
}

/* A proxied client holds two descriptors (its socket and its upstream's),
 * an upload a file besides its socket; the usual soft limit of 1024 would
 * refuse clients long before max_connections. Raised towards what the
 * settings need, as far as the hard limit allows. */
static void raise_fd_limit(const struct config *cfg)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return;
    rlim_t per_client = cfg->upstream[0] ? 2 : 1;
    rlim_t spare = 256; /* listeners, files, logs, sockets moving between threads */
    rlim_t want =
        (rlim_t)cfg->max_connections * per_client + (rlim_t)cfg->http_max_connections * 2 + spare;
    if (rl.rlim_cur >= want)
        return;
    rlim_t soft = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want ? rl.rlim_max : want;
    struct rlimit raised = {soft, rl.rlim_max};
    if (soft > rl.rlim_cur && setrlimit(RLIMIT_NOFILE, &raised) == 0)
        rl.rlim_cur = soft;
    if (rl.rlim_cur < want) {
        rlim_t room = rl.rlim_cur > spare ? rl.rlim_cur - spare : 0;
        log_warn("open files are limited to %llu: about %llu MySQL clients fit, not "
                 "max_connections = %ld (raise the hard limit, e.g. LimitNOFILE=)",
                 (unsigned long long)rl.rlim_cur, (unsigned long long)(room / per_client),
                 cfg->max_connections);
    }
}

int server_init(struct server *srv, uv_loop_t *loop, struct config *cfg)
{
    memset(srv, 0, sizeof(*srv));
    srv->loop = loop;
    loop_ctx_init(&srv->main_ctx, srv, NULL, loop);
    srv->handles_open++; /* its move_check */
    srv->cfg = cfg;
    list_init(&srv->mysql_conns);
    list_init(&srv->http_conns);
    stage_writes_init(srv);
    snprintf(srv->server_version, sizeof(srv->server_version), "8.0.36-stageproxy-%s",
             STAGEPROXY_VERSION);
    raise_fd_limit(cfg);
    if (ensure_data_dir(cfg->data_dir) < 0)
        return -1;
    if (stage_module_init(srv) < 0)
        return -1;
    if (proxy_protocol_parse_nets(cfg->proxy_protocol_from, &srv->proxy_protocol_nets) < 0) {
        log_error("out of memory reading proxy_protocol_from");
        return -1;
    }
    if (users_load(&srv->users, cfg) < 0) {
        log_error("out of memory loading users");
        return -1;
    }
    bool mysql_tls = strcasecmp(cfg->tls, "on") == 0;
    bool http_tls = strcasecmp(cfg->http_tls, "on") == 0;
    if (mysql_tls || http_tls) {
        /* one certificate for both listeners */
        SSL_CTX *ctx = tls_cert_server_ctx(cfg->tls_cert, cfg->tls_key, cfg->data_dir);
        if (!ctx)
            return -1;
        srv->tls_ctx = mysql_tls ? ctx : NULL;
        srv->http_tls_ctx = http_tls ? ctx : NULL;
        if (mysql_tls && http_tls)
            SSL_CTX_up_ref(ctx);
    }
    if (strcmp(cfg->upstream_tls, "off") != 0 && cfg->upstream[0]) {
        srv->upstream_tls_ctx =
            tls_cert_client_ctx(strcmp(cfg->upstream_tls, "verify") == 0, cfg->upstream_tls_ca);
        if (!srv->upstream_tls_ctx)
            return -1;
    }
    return stage_store_init(srv); /* last: it opens loop handles */
}

static void handle_closed_cb(uv_handle_t *h)
{
    loop_ctx_of(h)->srv->handles_open--;
}

static void close_handle(struct server *srv, uv_handle_t *h)
{
    if (uv_is_closing(h))
        return;
    uv_close(h, handle_closed_cb);
    (void)srv;
}

static void stop_listening(struct server *srv)
{
    if (srv->mysql_listening) {
        srv->mysql_listening = false;
        close_handle(srv, (uv_handle_t *)&srv->mysql_listener);
    }
    if (srv->mysql_socket_listening) {
        srv->mysql_socket_listening = false;
        close_handle(srv, (uv_handle_t *)&srv->mysql_socket_listener);
        unlink(srv->cfg->mysql_socket); /* new clients find nobody, not a dead socket */
    }
    if (srv->http_listening) {
        srv->http_listening = false;
        close_handle(srv, (uv_handle_t *)&srv->http_listener);
    }
}

static void finish_if_idle(struct server *srv)
{
    if (!srv->shutting_down || srv->n_mysql_conns > 0 || srv->n_http_conns > 0)
        return;
    log_info("all connections closed; exiting");
    relay_request_all(srv, RELAY_STOP);
    relay_close_main_mailbox(srv);
    close_handle(srv, (uv_handle_t *)&srv->main_ctx.move_check);
    stage_store_close(srv);
    close_handle(srv, (uv_handle_t *)&srv->janitor);
    close_handle(srv, (uv_handle_t *)&srv->shutdown_timer);
    close_handle(srv, (uv_handle_t *)&srv->sig_int);
    close_handle(srv, (uv_handle_t *)&srv->sig_term);
    close_handle(srv, (uv_handle_t *)&srv->sig_hup);
    signal(SIGHUP, SIG_IGN); /* a reload while stopping is not worth dying of */
}

void server_connection_gone(struct server *srv)
{
    finish_if_idle(srv);
}

static void shutdown_deadline_cb(uv_timer_t *t)
{
    struct server *srv = t->data;
    log_warn("shutdown deadline reached: closing %zu MySQL and %zu HTTP connections",
             srv->n_mysql_conns, srv->n_http_conns);
    __atomic_store_n(&srv->shutdown_forced, true, __ATOMIC_RELEASE);
    relay_request_all(srv, RELAY_FORCE);
    mysql_conns_close_idle(&srv->mysql_conns, true);
    http_conn_close_all(srv, true);
}

void server_begin_shutdown(struct server *srv)
{
    if (srv->shutting_down)
        return;
    __atomic_store_n(&srv->shutting_down, true, __ATOMIC_RELEASE);
    log_info("shutting down: no new connections; %zu MySQL and %zu HTTP connections open",
             srv->n_mysql_conns, srv->n_http_conns);
    stop_listening(srv);
    uv_timer_start(&srv->shutdown_timer, shutdown_deadline_cb,
                   (uint64_t)srv->cfg->shutdown_timeout * 1000, 0);
    relay_request_all(srv, RELAY_SHUTDOWN);
    mysql_conns_close_idle(&srv->mysql_conns, false);
    http_conn_close_all(srv, false);
    finish_if_idle(srv);
}

static void signal_cb(uv_signal_t *s, int signum)
{
    struct server *srv = s->data;
    if (signum == SIGHUP) {
        log_info("received SIGHUP: reloading the configuration");
        server_reload(srv);
        return;
    }
    log_info("received %s", signum == SIGINT ? "SIGINT" : "SIGTERM");
    server_begin_shutdown(srv);
}

/* Drops connections that have not finished logging in. */
static void janitor_cb(uv_timer_t *t)
{
    struct server *srv = t->data;
    uint64_t now = uv_now(srv->loop);
    uint64_t limit = (uint64_t)srv->cfg->handshake_timeout * 1000;
    struct list_node *n, *tmp;
    LIST_FOREACH_SAFE (n, tmp, &srv->mysql_conns) {
        struct mysql_conn *c = LIST_CONTAINER(n, struct mysql_conn, node);
        if (c->state != MYSQL_CONN_COMMAND && c->state != MYSQL_CONN_CLOSING &&
            now - c->connected_ms > limit) {
            log_conn(LOG_INFO, "m", c->id, "handshake timeout from %s", c->peer_ip);
            mysql_conn_close(c, "handshake timeout");
        }
    }
    http_conn_janitor(srv, now);
}

static void init_handle(struct server *srv, uv_handle_t *h)
{
    h->data = srv;
    srv->handles_open++;
}

static void watch_signal(struct server *srv, uv_signal_t *h, int signum)
{
    uv_signal_init(srv->loop, h);
    init_handle(srv, (uv_handle_t *)h);
    uv_signal_start(h, signal_cb, signum);
}

int server_start(struct server *srv)
{
    int rc;
    uv_timer_init(srv->loop, &srv->janitor);
    init_handle(srv, (uv_handle_t *)&srv->janitor);
    uv_timer_init(srv->loop, &srv->shutdown_timer);
    init_handle(srv, (uv_handle_t *)&srv->shutdown_timer);
    watch_signal(srv, &srv->sig_int, SIGINT);
    watch_signal(srv, &srv->sig_term, SIGTERM);
    watch_signal(srv, &srv->sig_hup, SIGHUP);
    uv_timer_start(&srv->janitor, janitor_cb, JANITOR_INTERVAL_MS, JANITOR_INTERVAL_MS);
    srv->start_ms = uv_now(srv->loop);
    if (proxy_mode(srv) && (rc = relay_start_all(srv)) < 0) {
        log_error("cannot start the relay threads: %s", uv_strerror(rc));
        return rc;
    }

    rc = listener_start(srv->loop, &srv->mysql_listener, srv->cfg->mysql_listen,
                        mysql_conn_accept_cb, srv->mysql_addr, sizeof(srv->mysql_addr));
    init_handle(srv, (uv_handle_t *)&srv->mysql_listener);
    srv->mysql_listening = true;
    if (rc < 0) {
        log_error("cannot listen for MySQL on %s: %s", srv->cfg->mysql_listen, uv_strerror(rc));
        return rc;
    }
    if (*srv->cfg->mysql_socket) {
        rc = listener_start_socket(srv->loop, &srv->mysql_socket_listener, srv->cfg->mysql_socket,
                                   mysql_conn_accept_cb);
        init_handle(srv, (uv_handle_t *)&srv->mysql_socket_listener);
        if (rc < 0) { /* the path is left alone: it may be another server's */
            close_handle(srv, (uv_handle_t *)&srv->mysql_socket_listener);
            log_error("cannot listen for MySQL on socket %s: %s", srv->cfg->mysql_socket,
                      rc == UV_EEXIST ? "a file that is not a socket is in the way"
                                      : uv_strerror(rc));
            return rc;
        }
        srv->mysql_socket_listening = true;
    }
    rc = listener_start(srv->loop, &srv->http_listener, srv->cfg->http_listen, http_conn_accept_cb,
                        srv->http_addr, sizeof(srv->http_addr));
    init_handle(srv, (uv_handle_t *)&srv->http_listener);
    srv->http_listening = true;
    if (rc < 0) {
        log_error("cannot listen for HTTP on %s: %s", srv->cfg->http_listen, uv_strerror(rc));
        return rc;
    }
    if (srv->mysql_socket_listening)
        log_info("MySQL listening on socket %s", srv->cfg->mysql_socket);
    log_info("stageproxy %s: MySQL listening on %s, HTTP listening on %s, data in %s, %s%s",
             STAGEPROXY_VERSION, srv->mysql_addr, srv->http_addr, srv->cfg->data_dir,
             *srv->cfg->upstream ? "proxy mode, upstream " : "stage-only mode (no upstream)",
             srv->cfg->upstream);
    return 0;
}

void server_free(struct server *srv)
{
    relay_join_all(srv);
    stage_module_free(srv);
    stage_writes_free(srv);
    users_free(&srv->users);
    proxy_protocol_free_nets(&srv->proxy_protocol_nets);
    if (srv->tls_ctx)
        SSL_CTX_free(srv->tls_ctx);
    if (srv->http_tls_ctx)
        SSL_CTX_free(srv->http_tls_ctx);
    if (srv->upstream_tls_ctx)
        SSL_CTX_free(srv->upstream_tls_ctx);
    loop_ctx_free(&srv->main_ctx);
}

/* One writer per counter, so relaxed loads see whole values. */
static void add_counters(struct metrics *to, const struct metrics *from)
{
    const uint64_t *f = (const uint64_t *)from;
    uint64_t *t = (uint64_t *)to;
    for (size_t i = 0; i < METRICS_LOOP_COUNTERS; i++)
        t[i] += __atomic_load_n(&f[i], __ATOMIC_RELAXED);
}

void server_metrics(const struct server *srv, struct metrics *out)
{
    *out = srv->main_ctx.metrics;
    for (unsigned i = 0; i < srv->n_relays; i++) {
        add_counters(out, &srv->relays[i]->ctx.metrics);
        metrics_add_errors(out, &srv->relays[i]->ctx.metrics);
    }
}
