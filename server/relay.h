/* Relay threads (proxy mode, `relay_threads`). Each runs a libuv loop of
 * its own and carries logged-in client connections while their commands go
 * straight to the upstream, so relaying uses every core; stages, HTTP,
 * logins and the catalog stay on the main loop. A connection moves
 * (server/mysql_move.c) to its relay once it is logged in and idle, and
 * back to the main loop for a command only the main loop runs (a stage
 * statement, COM_CHANGE_USER, KILL, ...).
 *
 * Threads hand connections over through mailboxes: a list under a mutex
 * and a uv_async_t that wakes the receiving loop. The main loop's mailbox
 * also takes connections closed on a relay, which it frees: connection
 * counts and the list of logged-in sessions stay main-loop only. */
#ifndef SP_SERVER_RELAY_H
#define SP_SERVER_RELAY_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "server/list.h"
#include "server/loop_ctx.h"

struct mysql_conn;
struct server;

/* What a relay is asked to do besides taking connections. */
enum relay_request {
    RELAY_SHUTDOWN = 1, /* close idle connections; busy ones close when done */
    RELAY_FORCE = 2,    /* the shutdown deadline passed: close them all */
    RELAY_STOP = 4,     /* no connection is left: end the thread */
};

struct mailbox {
    uv_async_t async;
    uv_mutex_t lock;
    struct list_node conns; /* handed over, not yet taken (under lock) */
    unsigned requests;      /* enum relay_request bits (under lock) */
    uint32_t *kills;        /* connection ids KILL ended upstream (under lock) */
    size_t n_kills;
};

struct relay {
    struct loop_ctx ctx;
    uv_loop_t loop;
    uv_thread_t thread;
    struct mailbox mailbox;
    struct list_node conns; /* the connections on this loop (its thread only) */
    unsigned index;
    unsigned assigned; /* connections that call it home (main loop only) */
    bool started;
};

/* The number of relay threads `relay_threads` asks for ("auto": the CPUs
 * this process may run on, at most 16; 0 relays on the main loop). */
unsigned relay_count(const char *setting);

/* Starts the threads (proxy mode only) and the main loop's mailbox. */
int relay_start_all(struct server *srv);
/* Asks every relay for `what` (enum relay_request). */
void relay_request_all(struct server *srv, unsigned what);
/* KILL ended connection `id` upstream: the relay it is on closes it too. */
void relay_kill_all(struct server *srv, uint32_t id);
/* Closes the main loop's mailbox once nothing can be handed to it. */
void relay_close_main_mailbox(struct server *srv);
/* After the main loop ended: waits for the threads and frees them. */
void relay_join_all(struct server *srv);

/* The relay with the fewest connections calling it home. */
struct relay *relay_pick(struct server *srv);
/* Hands `c` (its handles closed) to the loop of `to` (NULL: the main loop). */
void relay_hand_over(struct server *srv, struct relay *to, struct mysql_conn *c);

#endif
