/* Moving a logged-in proxy connection, with its upstream session, between
 * the main loop and a relay thread's (server/relay.h). The sockets leave
 * one loop (their handles close; duplicates of the descriptors stay open,
 * so neither peer notices) and are opened on the other; buffers, TLS state
 * and the session travel in the structs. Only a connection with nothing in
 * flight moves: no write queued on either socket, no answer owed, no
 * partial packet. Whether one may move is judged once the loop's callbacks
 * of the iteration are done (a uv_check_t), never inside one of them. */
#include <fcntl.h>
#include <unistd.h>

#include "server/log.h"
#include "server/mysql_conn.h"
#include "server/process.h"
#include "server/relay.h"
#include "server/upstream.h"

#define LOGC(level, c, ...) log_conn(level, "m", (c)->id, __VA_ARGS__)

/* A session that needed the main loop stays there until this many commands
 * in a row did not: one running stage statements between its queries would
 * otherwise move twice for each of them. */
#define MOVE_AFTER_UPSTREAM_RUN 4

static bool no_output_waits(const struct mysql_conn *c)
{
    return c->write_pending == 0 && c->out.len == 0 &&
           (!c->tls || tls_filter_pending_output(c->tls) == 0);
}

static bool upstream_is_quiet(const struct upstream *up)
{
    return up->write_pending == 0 && up->carry_len == 0 &&
           (!up->tls || tls_filter_pending_output(up->tls) == 0);
}

static bool can_leave_main(const struct mysql_conn *c)
{
    const struct upstream *up = c->up;
    return c->srv->n_relays > 0 && !server_shutting_down(c->srv) &&
           c->upstream_run >= MOVE_AFTER_UPSTREAM_RUN && c->state == MYSQL_CONN_COMMAND &&
           !c->busy && !c->close_after_flush && !c->on_drain && !c->rest_sql && !c->go_home &&
           c->unread.len == 0 && !mysql_asm_partial(&c->in) && c->pending_kill == 0 &&
           no_output_waits(c) && up && up->state == UPSTREAM_READY && upstream_is_quiet(up);
}

static bool can_go_home(const struct mysql_conn *c)
{
    return c->go_home && c->state != MYSQL_CONN_CLOSING && no_output_waits(c) &&
           (!c->up || (c->up->state != UPSTREAM_CLOSING && upstream_is_quiet(c->up)));
}

static void moved_out_cb(uv_handle_t *h)
{
    struct mysql_conn *c = h->data;
    if (--c->move_closing == 0)
        relay_hand_over(c->srv, c->go_home ? NULL : c->relay, c);
}

static int dup_fd(const uv_handle_t *h)
{
    uv_os_fd_t fd;
    return uv_fileno(h, &fd) == 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
}

/* Closes the handles of `c` (and of its upstream) on this loop, keeping
 * the sockets open; the last close callback hands it over. */
static void move_out(struct mysql_conn *c)
{
    struct upstream *up = c->up;
    c->fd = dup_fd(&c->sock.handle);
    c->up_fd = up ? dup_fd(&up->sock.handle) : -1;
    if (c->fd < 0 || (up && c->up_fd < 0)) {
        LOGC(LOG_WARN, c, "cannot move the connection to another thread: out of descriptors");
        if (c->fd >= 0)
            close(c->fd);
        if (c->up_fd >= 0)
            close(c->up_fd);
        /* leaving the main loop can wait; a command waiting to reach it cannot */
        if (c->go_home)
            mysql_conn_close(c, "out of descriptors");
        return;
    }
    if (!c->go_home && !c->relay) {
        c->relay = relay_pick(c->srv);
        c->relay->assigned++;
    }
    if (c->go_home)
        LOGC(LOG_DEBUG, c, "moving to the main thread");
    else
        LOGC(LOG_DEBUG, c, "moving to relay thread %u", c->relay->index);
    c->moving = true;
    list_remove(&c->node);
    c->reading = false;
    c->sock_is_pipe = c->sock.handle.type == UV_NAMED_PIPE;
    c->sock.handle.data = c;
    c->move_closing = 1;
    uv_close(&c->sock.handle, moved_out_cb);
    if (!up)
        return;
    up->reading = false;
    c->up_is_pipe = up->sock.handle.type == UV_NAMED_PIPE;
    up->sock.handle.data = up->timer.data = c;
    c->move_closing += 2;
    uv_close(&up->sock.handle, moved_out_cb);
    uv_close((uv_handle_t *)&up->timer, moved_out_cb);
}

static void move_check_cb(uv_check_t *check)
{
    struct loop_ctx *lc = check->data;
    struct list_node *n, *tmp;
    LIST_FOREACH_SAFE (n, tmp, &lc->move_pending) {
        struct mysql_conn *c = LIST_CONTAINER(n, struct mysql_conn, move_node);
        list_remove(n);
        if (lc->relay ? can_go_home(c) : can_leave_main(c))
            move_out(c);
    }
    uv_check_stop(check);
}

void mysql_move_consider(struct mysql_conn *c)
{
    struct loop_ctx *lc = mysql_conn_loop(c);
    if (c->move_node.next || c->moving || c->state == MYSQL_CONN_CLOSING)
        return;
    /* the common case on a relay: a command was relayed, nothing moves */
    if (lc->relay ? !c->go_home : c->srv->n_relays == 0 || !c->up)
        return;
    list_push_back(&lc->move_pending, &c->move_node);
    uv_check_start(&lc->move_check, move_check_cb);
}

void mysql_move_request_home(struct mysql_conn *c)
{
    c->go_home = true; /* dispatching stops; mysql_move_consider follows the read */
}

void mysql_move_note_command(struct mysql_conn *c, bool needs_main)
{
    if (needs_main)
        c->upstream_run = 0;
    else if (c->upstream_run < UINT8_MAX)
        c->upstream_run++;
}

void mysql_move_logged_in(struct mysql_conn *c)
{
    c->upstream_run = MOVE_AFTER_UPSTREAM_RUN; /* a new session moves at once */
}

/* Opens descriptor `fd` as a TCP or pipe handle at `h` on `loop`; the
 * handle is initialised even when that fails, so it can be closed. */
static int open_socket(uv_loop_t *loop, uv_handle_t *h, bool pipe, int fd)
{
    int rc;
    if (pipe) {
        uv_pipe_init(loop, (uv_pipe_t *)h, 0);
        rc = uv_pipe_open((uv_pipe_t *)h, fd);
    } else {
        uv_tcp_init(loop, (uv_tcp_t *)h);
        rc = uv_tcp_open((uv_tcp_t *)h, fd);
    }
    if (rc < 0)
        close(fd);
    return rc;
}

/* Whether the main loop ends the connection instead of serving it. */
static bool ended_by_shutdown(struct mysql_conn *c)
{
    if (__atomic_load_n(&c->srv->shutdown_forced, __ATOMIC_ACQUIRE)) {
        mysql_conn_close(c, "server shutdown");
        return true;
    }
    if (server_shutting_down(c->srv) && c->state == MYSQL_CONN_COMMAND && !c->busy) {
        mysql_conn_close_after_flush(c, "server shutdown");
        return true;
    }
    return false;
}

void mysql_move_arrived(struct mysql_conn *c, uv_loop_t *loop)
{
    struct loop_ctx *lc = loop->data;
    struct upstream *up = c->up;
    int rc = open_socket(loop, &c->sock.handle, c->sock_is_pipe, c->fd);
    c->sock.handle.data = c;
    c->moving = false;
    list_push_back(lc->relay ? &lc->relay->conns : &c->srv->mysql_conns, &c->node);
    if (up) {
        int up_rc = open_socket(loop, &up->sock.handle, c->up_is_pipe, c->up_fd);
        uv_timer_init(loop, &up->timer);
        up->sock.handle.data = up->timer.data = up;
        up->metrics = &lc->metrics;
        rc = rc < 0 ? rc : up_rc;
    }
    if (rc < 0) {
        LOGC(LOG_WARN, c, "cannot take the connection over on another thread: %s", uv_strerror(rc));
        mysql_conn_close(c, "moving failed");
        return;
    }
    if (up)
        upstream_resume(up); /* an idle session may be ended by the upstream */
    if (c->go_home) {
        metrics_add(&lc->metrics.relay_homecomings, 1);
        mysql_conn_run_held_packet(c);
        if (c->state == MYSQL_CONN_CLOSING || (!c->busy && ended_by_shutdown(c)))
            return;
    } else if (ended_by_shutdown(c)) {
        return;
    }
    mysql_conn_resume_input(c);
}
