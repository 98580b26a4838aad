/* One MySQL client connection: its socket, buffers, TLS filter and state.
 * The struct owns everything it points to and is freed only in the close
 * callback of its TCP handle. */
#ifndef SP_SERVER_MYSQL_CONN_H
#define SP_SERVER_MYSQL_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "protocol/buf.h"
#include "protocol/mysql_handshake.h"
#include "protocol/mysql_packet.h"
#include "protocol/tls_filter.h"
#include "server/list.h"
#include "server/loop_ctx.h"
#include "server/mysql_errors.h"

struct relay;
struct server;
struct session;
struct upstream;
struct user;

enum mysql_conn_state {
    MYSQL_CONN_HANDSHAKE,   /* greeting sent; waiting for SSLRequest or HandshakeResponse */
    MYSQL_CONN_AUTH_SWITCH, /* AuthSwitchRequest sent; waiting for the answer */
    MYSQL_CONN_AUTH_FULL,   /* caching_sha2 full authentication: cleartext over TLS */
    MYSQL_CONN_COMMAND,     /* authenticated; reading commands */
    MYSQL_CONN_INFILE,      /* proxy: the client sends the file the upstream asked for */
    MYSQL_CONN_CLOSING,
    MYSQL_CONN_PROXY_HEADER, /* from a load balancer: its PROXY header comes first */
};

/* What an authentication exchange is for, kept while it spans packets. */
struct mysql_auth_pending {
    char *user;
    char *database;
    const struct user *account;
    bool change_user; /* COM_CHANGE_USER rather than the initial login */
    uint16_t charset;
};

struct mysql_conn {
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;   /* from the MySQL port */
        uv_pipe_t pipe; /* from the MySQL unix socket */
    } sock;
    struct list_node node; /* in its loop's list, or a mailbox while it moves */
    struct server *srv;
    uint32_t id;
    enum mysql_conn_state state;
    uint32_t caps; /* negotiated: client & server */
    uint8_t seq;   /* next sequence id we send */
    uint8_t scramble[MYSQL_SCRAMBLE_LEN];
    bool tls_requested;
    bool close_after_flush;
    bool reading;
    bool peer_loopback;
    bool binary_rows;    /* rows go out in the binary protocol (COM_STMT_EXECUTE) */
    bool busy;           /* a command is waiting for storage or the catalog */
    bool free_when_idle; /* closed while busy: freed when the command ends */
    /* called once the client has read most of our output (backpressure) */
    void (*on_drain)(struct mysql_conn *c);
    void *drain_arg;
    /* the statements of a multi-statement query left after a busy one */
    char *rest_sql;
    size_t rest_len;
    uint64_t connected_ms;
    uint64_t command_started_ms;
    uint64_t command_started_ns; /* the command being answered (0: none) */
    struct mysql_asm in;
    struct buf out;       /* framed packets not yet handed to the socket */
    struct buf unread;    /* bytes read but not processed while busy */
    size_t write_pending; /* bytes handed to uv_write, not yet written */
    struct tls_filter *tls;
    struct session *sess;
    struct mysql_auth_pending auth;
    char peer_ip[46];
    /* proxy mode */
    struct upstream *up;   /* NULL in stage-only mode, or once it is gone */
    bool upstream_lost;    /* it went away during this session */
    bool pending_multi;    /* COM_SET_OPTION's value until the upstream agrees */
    uint16_t up_status;    /* the upstream's status flags as last seen */
    uint16_t auth_charset; /* the client's collation, passed on at login */
    bool pass_judged;      /* the big command being read was judged */
    bool prepared_local;   /* the last COM_STMT_PREPARE was a stage statement */
    bool command_upstream; /* it went upstream, in whole or in part */
    bool infile_passed;    /* LOCAL INFILE packets go on as they arrive (proxy_conn.c) */
    uint32_t pending_kill; /* the connection a KILL in flight names */
    /* relay threads (server/mysql_move.c) */
    struct relay *relay;        /* the one it moves to when it can; NULL: none yet */
    struct list_node move_node; /* in its loop's move_pending */
    bool moving;                /* its handles closed, on no loop until it arrives */
    bool go_home;               /* the packet in `in` runs on the main loop: move there */
    bool dead;                  /* closed on a relay: the main loop frees it */
    uint8_t upstream_run;       /* commands in a row the main loop was not needed for */
    bool sock_is_pipe, up_is_pipe;
    int move_closing; /* handles still closing for the move */
    int fd, up_fd;    /* its sockets while it moves */
};

/* The loop the connection is on: its buffers and counters. */
static inline struct loop_ctx *mysql_conn_loop(const struct mysql_conn *c)
{
    return loop_ctx_of(&c->sock.handle);
}

static inline struct buf *mysql_conn_scratch(const struct mysql_conn *c)
{
    return &mysql_conn_loop(c)->scratch;
}

static inline bool mysql_conn_on_relay(const struct mysql_conn *c)
{
    return mysql_conn_loop(c)->relay != NULL;
}

void mysql_conn_accept_cb(uv_stream_t *listener, int status);
/* The one place the state changes (logged at debug level). */
void mysql_conn_set_state(struct mysql_conn *c, enum mysql_conn_state state);

/* Sending. Payloads are framed with the next sequence ids. */
void mysql_conn_send(struct mysql_conn *c, const void *payload, size_t len);
/* Sends the shared scratch buffer as one packet and resets it. */
void mysql_conn_send_scratch(struct mysql_conn *c);
void mysql_conn_send_ok(struct mysql_conn *c, uint64_t affected, uint64_t insert_id,
                        const char *info);
void mysql_conn_send_eof(struct mysql_conn *c);
void mysql_conn_send_err(struct mysql_conn *c, enum mysql_error e, ...);
void mysql_conn_send_err_text(struct mysql_conn *c, uint16_t code, const char *sqlstate,
                              const char *msg);
/* Hands buffered output to the socket (through TLS when on). */
void mysql_conn_flush(struct mysql_conn *c);
void mysql_conn_close(struct mysql_conn *c, const char *reason);
/* Flushes, then closes once everything is written. */
void mysql_conn_close_after_flush(struct mysql_conn *c, const char *reason);

void mysql_conn_authenticated(struct mysql_conn *c);

/* A command that completes later: no further input is read meanwhile. The
 * connection stays allocated until mysql_conn_async_end, even if closed. */
void mysql_conn_async_begin(struct mysql_conn *c);
/* A command's packet arrived: the processlist's clock restarts; the
 * metrics' keeps a moving command's first time. */
void mysql_conn_command_begin(struct mysql_conn *c);
/* Ends it; returns false when the connection was closed meanwhile (and is
 * now freed: do not touch it). */
bool mysql_conn_async_end(struct mysql_conn *c);

/* Hands `len` bytes at `data` to the socket (through TLS when on). True
 * when a queued write keeps the malloc'd block at `base` (and frees it once
 * written); false when it is the caller's again. */
bool mysql_conn_forward(struct mysql_conn *c, uint8_t *base, const uint8_t *data, size_t len);
/* Processes what was held back, then reads again, when nothing stops it. */
void mysql_conn_resume_input(struct mysql_conn *c);

/* True while the client is behind: stop producing until on_drain runs. */
bool mysql_conn_backlogged(const struct mysql_conn *c);

/* Status flags for OK/EOF packets (autocommit, transaction). */
uint16_t mysql_conn_status(const struct mysql_conn *c);
struct mysql_conn *mysql_conn_find(struct server *srv, uint32_t id);

/* Closes the connections of a loop's list that have nothing in flight (all
 * with `force`); the others close when their command ends. */
void mysql_conns_close_idle(struct list_node *conns, bool force);
/* The main loop frees a connection closed on a relay. */
void mysql_conn_free_dead(struct mysql_conn *c);
/* Runs the command packet held in `in` (it came with the connection from
 * a relay), then reads on. */
void mysql_conn_run_held_packet(struct mysql_conn *c);

/* Moving between the main loop and a relay's (mysql_move.c). After a
 * callback chain the connection may have become movable: it is looked at
 * once the loop's callbacks are done. */
void mysql_move_consider(struct mysql_conn *c);
/* The command in `in` needs the main loop: the connection moves there and
 * runs it (called while dispatching it on a relay). */
void mysql_move_request_home(struct mysql_conn *c);
/* Counts the commands that needed the main loop and those that did not. */
void mysql_move_note_command(struct mysql_conn *c, bool needs_main);
void mysql_move_logged_in(struct mysql_conn *c);
/* In the receiving loop's thread: opens the sockets on `loop`. */
void mysql_move_arrived(struct mysql_conn *c, uv_loop_t *loop);

/* Implemented by mysql_handshake.c */
void mysql_handshake_start(struct mysql_conn *c);
void mysql_handshake_packet(struct mysql_conn *c, const uint8_t *p, size_t len);
void mysql_auth_pending_clear(struct mysql_auth_pending *a);
/* Starts authentication for COM_CHANGE_USER. */
/* The user table was replaced (a reload): a login halfway through its
 * exchange is checked against the new one. */
void mysql_handshake_users_replaced(struct mysql_conn *c);
void mysql_handshake_change_user(struct mysql_conn *c, const uint8_t *p, size_t len);

/* Implemented by mysql_command.c */
void mysql_command_packet(struct mysql_conn *c, const uint8_t *p, size_t len);

#endif
