/* What one loop thread owns: the main loop's (listeners, HTTP, stages,
 * logins) or a relay thread's (server/relay.h). Only its own thread touches
 * it, except the counters, which /metrics reads from the main loop. Any
 * handle finds its loop's through uv_loop_t.data. */
#ifndef SP_SERVER_LOOP_CTX_H
#define SP_SERVER_LOOP_CTX_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "protocol/buf.h"
#include "server/list.h"
#include "server/metrics.h"

#define SERVER_READ_BUF_SIZE (256 * 1024)

struct server;
struct relay;

struct loop_ctx {
    struct server *srv;
    struct relay *relay; /* NULL: the main loop */
    struct metrics metrics;
    /* Builds one payload at a time. */
    struct buf scratch;
    /* Every reader consumes or copies its bytes inside its read callback, so
     * one buffer serves all connections on the loop. */
    bool read_buf_busy;
    uint8_t read_buf[SERVER_READ_BUF_SIZE];
    uint8_t plain_buf[SERVER_READ_BUF_SIZE];
    /* An upstream read buffer whose bytes were all written at once, kept for
     * the next read (upstream.c): relaying allocates only when a client is
     * slow and its write has to keep one. */
    uint8_t *upstream_spare;
    /* Connections to look at once this loop iteration's callbacks are done:
     * one may move to another loop (server/mysql_move.c). */
    uv_check_t move_check;
    struct list_node move_pending;
};

static inline struct loop_ctx *loop_ctx_of(const uv_handle_t *h)
{
    return h->loop->data;
}

void loop_ctx_init(struct loop_ctx *lc, struct server *srv, struct relay *relay, uv_loop_t *loop);
void loop_ctx_free(struct loop_ctx *lc);

/* The loop's read buffer for uv_read_start callbacks. */
void loop_ctx_alloc_cb(uv_handle_t *handle, size_t suggested, uv_buf_t *buf);

#endif
