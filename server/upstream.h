/* Proxy mode: the upstream MySQL/MariaDB connection of one client. It is
 * opened when the client connects (so our greeting can mirror the
 * upstream's), logs in as a client once the client has authenticated
 * with us, then carries the client's commands and streams each answer
 * back packet by packet (upstream_relay.c). The client connection owns
 * it; it is freed in the close callback of its last handle. */
#ifndef SP_SERVER_UPSTREAM_H
#define SP_SERVER_UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "protocol/mysql_login.h"
#include "protocol/mysql_packet.h"
#include "protocol/mysql_reply.h"
#include "protocol/tls_filter.h"

struct mysql_conn;

enum upstream_state {
    UPSTREAM_CONNECTING, /* TCP connect in flight */
    UPSTREAM_GREETING,   /* waiting for the server's greeting */
    UPSTREAM_GREETED,    /* greeting read; the client is authenticating with us */
    UPSTREAM_TLS,        /* SSLRequest sent; the TLS handshake runs */
    UPSTREAM_LOGIN,      /* our HandshakeResponse sent; authentication exchange */
    UPSTREAM_READY,      /* logged in, no command in flight */
    UPSTREAM_RELAY,      /* a command's answer is streaming to the client */
    UPSTREAM_CLOSING,
};

/* Room kept in front of each read buffer for the bytes of a packet header
 * and prefix that straddled the previous read. */
#define UPSTREAM_HEADROOM  64
/* Bytes read at once (and decrypted at once with TLS). */
#define UPSTREAM_READ_SIZE (64 * 1024)

struct upstream {
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;   /* upstream at host:port */
        uv_pipe_t pipe; /* upstream on a unix socket */
    } sock;
    struct metrics *metrics; /* the server's, which outlives every upstream */
    uv_connect_t connect_req;
    uv_getaddrinfo_t resolve_req;
    uv_timer_t timer; /* connect and login deadline */
    int handles_open;
    struct mysql_conn *client; /* NULL once the client is gone */
    enum upstream_state state;
    uint32_t id; /* for logs: the client's connection id */
    struct mysql_server_greeting greeting;
    uint32_t caps;       /* negotiated with the upstream */
    struct mysql_asm in; /* whole packets while logging in */
    uint8_t login_seq;   /* next sequence id while logging in */
    char plugin[64];     /* the plugin the exchange is on */
    uint8_t nonce[MYSQL_SCRAMBLE_LEN];
    char *user, *password;  /* the upstream account */
    struct tls_filter *tls; /* NULL: plain TCP */
    char *login_database;   /* kept for the login while TLS starts */
    uint8_t login_charset;
    bool reading;
    size_t write_pending; /* bytes handed to uv_write */
    /* relay (upstream_relay.c) */
    struct mysql_reply reply;
    uint8_t carry[UPSTREAM_HEADROOM];
    size_t carry_len;
    uint32_t packet_left; /* payload bytes of the current packet still to come */
    bool ending;          /* the current packet is the answer's last */
    bool infile;          /* ... or a LOCAL INFILE request */
    uint8_t seq_delta;    /* added to each sequence id on its way to the client */
    uint8_t next_seq;     /* the upstream's next sequence id (for LOCAL INFILE data) */
    bool more_after;      /* set SERVER_MORE_RESULTS_EXISTS on the answer's last packet */
    bool seq_from_first;  /* seq_delta is set by the answer's first packet */
    uint8_t client_seq;   /* ... which becomes this one for the client */
    uint16_t status;      /* the upstream's status flags as last seen */
};

/* Starts connecting for `c`; NULL when out of memory. */
struct upstream *upstream_open(struct mysql_conn *c);
/* The client authenticated with us: log in upstream as `user`. */
void upstream_login(struct upstream *up, const char *user, const char *password,
                    const char *database, uint8_t charset, uint32_t client_caps);
/* COM_CHANGE_USER on the open session (the client changed user with us);
 * the answer comes as for a login. */
void upstream_change_user(struct upstream *up, const char *user, const char *password,
                          const char *database, uint16_t charset);
/* Detaches the client and closes. */
void upstream_close(struct upstream *up);
bool upstream_backlogged(const struct upstream *up);
/* A login or a command's answer is in flight. */
bool upstream_owes_answer(const struct upstream *up);

/* Writes one packet (framed from `seq`) to the upstream. */
int upstream_write_packet(struct upstream *up, const void *payload, size_t len, uint8_t seq);

/* Writes bytes as they are: a command the client framed, passed on. */
int upstream_write_raw(struct upstream *up, const void *data, size_t len);

/* Packets of the login exchange are read whole, up to this size. */
#define UPSTREAM_LOGIN_PACKET_LIMIT 65536

/* Within the upstream's files: tells the client (if still there) and
 * closes; arms the connect and login deadline; feeds login packets. */
void upstream_fail(struct upstream *up, uint16_t code, const char *sqlstate, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void upstream_start_deadline(struct upstream *up);
void upstream_login_feed(struct upstream *up, const uint8_t *data, size_t len);

/* The socket's side (upstream.c): bytes as they go on the wire, and
 * plaintext received (for the login or the relay); both take `data`. */
int upstream_send_wire(struct upstream *up, uint8_t *data, size_t len);
void upstream_deliver(struct upstream *up, uint8_t *base, uint8_t *data, size_t len);
/* A read buffer (UPSTREAM_HEADROOM + UPSTREAM_READ_SIZE bytes; NULL when out
 * of memory), and its return once its bytes are written: the loop keeps
 * one for the next read. */
uint8_t *upstream_buf_get(struct upstream *up);
void upstream_buf_put(struct upstream *up, uint8_t *base);
/* The TLS handshake is done: the login follows. */
void upstream_tls_ready(struct upstream *up);

/* TLS (upstream_tls.c): starts the client handshake (checking the name in
 * `addr` when the context verifies), encrypts and sends, and decrypts what
 * arrived; the last returns -EPROTO when TLS failed. */
int upstream_tls_begin(struct upstream *up, SSL_CTX *ctx, const char *addr);
int upstream_tls_send(struct upstream *up, const uint8_t *plain, size_t len);
int upstream_tls_received(struct upstream *up, const uint8_t *cipher, size_t len);

/* Relay (upstream_relay.c). Sends a command and streams its answer to the
 * client, whose next sequence id is `client_seq`. */
int upstream_command(struct upstream *up, const uint8_t *payload, size_t len, uint8_t client_seq,
                     bool more_after);
/* A command too big to hold is passed on as the client framed it (so
 * sequence ids agree end to end): begin, then upstream_write_raw its
 * bytes, then end, which returns 1 while its answer is still to come. */
void upstream_pass_begin(struct upstream *up, uint8_t command);
int upstream_pass_end(struct upstream *up, uint8_t client_seq);
/* The client's LOCAL INFILE data packet, or its empty last one. */
int upstream_infile_data(struct upstream *up, const uint8_t *payload, size_t len);
/* The file went on as the client framed it (upstream_write_raw); its
 * empty last packet too. */
void upstream_infile_sent(struct upstream *up);
void upstream_relay_read(struct upstream *up, uint8_t *base, uint8_t *data, size_t len);
/* The client caught up: read the upstream again. */
void upstream_resume(struct upstream *up);
void upstream_pause(struct upstream *up);

/* What the client connection hears (server/proxy_conn.c). */
void proxy_upstream_greeted(struct mysql_conn *c, const struct mysql_server_greeting *g);
void proxy_upstream_logged_in(struct mysql_conn *c, uint16_t status);
/* The upstream failed: refused, unreachable, or gone. */
void proxy_upstream_failed(struct mysql_conn *c, uint16_t code, const char *sqlstate,
                           const char *msg);
/* The answer ended; what the client connection sends next (a stage
 * statement's result in a multi-statement) goes on from `client_seq`. */
/* The upstream ended an idle session with an ERR (KILL, shutdown). */
void proxy_upstream_ended(struct mysql_conn *c, const struct mysql_err_info *e);
void proxy_answer_done(struct mysql_conn *c, const struct mysql_reply *r, uint8_t client_seq);
void proxy_answer_infile(struct mysql_conn *c, uint8_t client_seq);

#endif
