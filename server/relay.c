#define _GNU_SOURCE /* sched_getaffinity */
#include "server/relay.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "server/log.h"
#include "server/mysql_conn.h"
#include "server/process.h"

#define RELAY_MAX 16

unsigned relay_count(const char *setting)
{
    if (strcmp(setting, "auto") != 0)
        return (unsigned)strtoul(setting, NULL, 10);
    cpu_set_t set;
    int n = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
    return n < 1 ? 1 : n > RELAY_MAX ? RELAY_MAX : (unsigned)n;
}

/* Takes what was handed over, under the lock, into `conns` (and the ids
 * to kill, which the caller frees). */
static unsigned mailbox_take(struct mailbox *mb, struct list_node *conns, uint32_t **kills,
                             size_t *n_kills)
{
    list_init(conns);
    uv_mutex_lock(&mb->lock);
    unsigned requests = mb->requests;
    mb->requests = 0;
    *kills = mb->kills;
    *n_kills = mb->n_kills;
    mb->kills = NULL;
    mb->n_kills = 0;
    while (!list_empty(&mb->conns)) {
        struct list_node *n = mb->conns.next;
        list_remove(n);
        list_push_back(conns, n);
    }
    uv_mutex_unlock(&mb->lock);
    return requests;
}

static void mailbox_put(struct mailbox *mb, struct list_node *node, unsigned requests)
{
    uv_mutex_lock(&mb->lock);
    if (node)
        list_push_back(&mb->conns, node);
    mb->requests |= requests;
    uv_mutex_unlock(&mb->lock);
    uv_async_send(&mb->async);
}

static int mailbox_init(struct mailbox *mb, uv_loop_t *loop, uv_async_cb cb)
{
    list_init(&mb->conns);
    mb->requests = 0;
    mb->kills = NULL;
    mb->n_kills = 0;
    if (uv_mutex_init(&mb->lock) < 0)
        return -ENOMEM;
    int rc = uv_async_init(loop, &mb->async, cb);
    if (rc < 0)
        uv_mutex_destroy(&mb->lock);
    return rc;
}

void relay_hand_over(struct server *srv, struct relay *to, struct mysql_conn *c)
{
    mailbox_put(to ? &to->mailbox : &srv->mailbox, &c->node, 0);
}

static void relay_closed_cb(uv_handle_t *h)
{
    (void)h;
}

void relay_kill_all(struct server *srv, uint32_t id)
{
    for (unsigned i = 0; i < srv->n_relays; i++) {
        struct mailbox *mb = &srv->relays[i]->mailbox;
        uv_mutex_lock(&mb->lock);
        uint32_t *k = realloc(mb->kills, (mb->n_kills + 1) * sizeof(*k));
        if (k) { /* else the upstream's goodbye still ends it, later */
            mb->kills = k;
            k[mb->n_kills++] = id;
        }
        uv_mutex_unlock(&mb->lock);
        uv_async_send(&mb->async);
    }
}

static void close_killed(struct relay *r, const uint32_t *ids, size_t n)
{
    struct list_node *node, *tmp;
    LIST_FOREACH_SAFE (node, tmp, &r->conns) {
        struct mysql_conn *c = LIST_CONTAINER(node, struct mysql_conn, node);
        for (size_t i = 0; i < n; i++)
            if (c->id == ids[i])
                mysql_conn_close(c, "killed by KILL");
    }
}

static void relay_mailbox_cb(uv_async_t *a)
{
    struct relay *r = LIST_CONTAINER(a, struct relay, mailbox.async);
    struct list_node arrived, *n, *tmp;
    uint32_t *kills;
    size_t n_kills;
    unsigned requests = mailbox_take(&r->mailbox, &arrived, &kills, &n_kills);
    LIST_FOREACH_SAFE (n, tmp, &arrived) {
        list_remove(n);
        mysql_move_arrived(LIST_CONTAINER(n, struct mysql_conn, node), &r->loop);
    }
    close_killed(r, kills, n_kills);
    free(kills);
    if (requests & (RELAY_SHUTDOWN | RELAY_FORCE))
        mysql_conns_close_idle(&r->conns, (requests & RELAY_FORCE) != 0);
    if (requests & RELAY_STOP) { /* the main loop holds no connection of ours */
        uv_close((uv_handle_t *)&r->mailbox.async, relay_closed_cb);
        uv_close((uv_handle_t *)&r->ctx.move_check, relay_closed_cb);
    }
}

static void main_mailbox_cb(uv_async_t *a)
{
    struct server *srv = LIST_CONTAINER(a, struct server, mailbox.async);
    struct list_node arrived, *n, *tmp;
    uint32_t *kills;
    size_t n_kills;
    mailbox_take(&srv->mailbox, &arrived, &kills, &n_kills);
    free(kills); /* none are sent here */
    LIST_FOREACH_SAFE (n, tmp, &arrived) {
        list_remove(n);
        struct mysql_conn *c = LIST_CONTAINER(n, struct mysql_conn, node);
        if (c->dead)
            mysql_conn_free_dead(c);
        else
            mysql_move_arrived(c, srv->loop);
    }
}

static void relay_thread_main(void *arg)
{
    struct relay *r = arg;
    sigset_t all;
    sigfillset(&all); /* signals are the main loop's */
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    uv_run(&r->loop, UV_RUN_DEFAULT);
    OPENSSL_thread_stop(); /* TLS sessions may have left per-thread state */
}

static int relay_start(struct server *srv, struct relay *r)
{
    int rc = uv_loop_init(&r->loop);
    if (rc < 0)
        return rc;
    loop_ctx_init(&r->ctx, srv, r, &r->loop);
    list_init(&r->conns);
    rc = mailbox_init(&r->mailbox, &r->loop, relay_mailbox_cb);
    if (rc < 0)
        goto fail_loop;
    rc = uv_thread_create(&r->thread, relay_thread_main, r);
    if (rc < 0)
        goto fail_mailbox;
    r->started = true;
    return 0;
fail_mailbox:
    uv_close((uv_handle_t *)&r->mailbox.async, NULL);
    uv_mutex_destroy(&r->mailbox.lock);
fail_loop:
    uv_close((uv_handle_t *)&r->ctx.move_check, NULL);
    uv_run(&r->loop, UV_RUN_NOWAIT);
    uv_loop_close(&r->loop);
    loop_ctx_free(&r->ctx);
    return rc;
}

int relay_start_all(struct server *srv)
{
    int rc = mailbox_init(&srv->mailbox, srv->loop, main_mailbox_cb);
    if (rc < 0)
        return rc;
    srv->mailbox.async.data = srv;
    srv->mailbox_open = true;
    srv->handles_open++;
    unsigned n = relay_count(srv->cfg->relay_threads);
    if (n == 0)
        return 0;
    srv->relays = calloc(n, sizeof(*srv->relays));
    if (!srv->relays)
        return -ENOMEM;
    for (unsigned i = 0; i < n; i++) {
        struct relay *r = calloc(1, sizeof(*r));
        if (!r)
            return -ENOMEM;
        r->index = i;
        rc = relay_start(srv, r);
        if (rc < 0) {
            free(r);
            log_error("cannot start relay thread %u: %s", i, uv_strerror(rc));
            return rc;
        }
        srv->relays[srv->n_relays++] = r;
    }
    return 0;
}

void relay_request_all(struct server *srv, unsigned what)
{
    for (unsigned i = 0; i < srv->n_relays; i++)
        mailbox_put(&srv->relays[i]->mailbox, NULL, what);
}

static void main_mailbox_closed_cb(uv_handle_t *h)
{
    struct server *srv = h->data;
    uv_mutex_destroy(&srv->mailbox.lock);
    srv->handles_open--;
}

void relay_close_main_mailbox(struct server *srv)
{
    if (!srv->mailbox_open)
        return;
    srv->mailbox_open = false;
    uv_close((uv_handle_t *)&srv->mailbox.async, main_mailbox_closed_cb);
}

void relay_join_all(struct server *srv)
{
    for (unsigned i = 0; i < srv->n_relays; i++) {
        struct relay *r = srv->relays[i];
        uv_thread_join(&r->thread);
        if (uv_loop_close(&r->loop) != 0)
            log_warn("relay thread %u ended with handles open", i);
        uv_mutex_destroy(&r->mailbox.lock);
        free(r->mailbox.kills);
        loop_ctx_free(&r->ctx);
        free(r);
    }
    free(srv->relays);
    srv->relays = NULL;
    srv->n_relays = 0;
}

struct relay *relay_pick(struct server *srv)
{
    struct relay *best = NULL;
    for (unsigned i = 0; i < srv->n_relays; i++)
        if (!best || srv->relays[i]->assigned < best->assigned)
            best = srv->relays[i];
    return best;
}
