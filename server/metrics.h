/* Counters for /metrics (Prometheus text format). Each loop thread has its
 * own (struct loop_ctx) and is the only writer of them; /metrics adds them
 * up on the main loop (server_metrics). */
#ifndef SP_SERVER_METRICS_H
#define SP_SERVER_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/buf.h"

#define METRICS_STATUSES        32
#define METRICS_LATENCY_BUCKETS 12
#define METRICS_COMMAND_BUCKETS 16
#define METRICS_ERROR_CODES     64

struct metrics {
    /* Counted on relay threads too: these come first, all uint64_t, and are
     * added up (METRICS_LOOP_COUNTERS of them). A gauge may go below zero
     * on one loop (opened on one, closed on another); the sum is right. */
    uint64_t mysql_bytes_in, mysql_bytes_out;
    uint64_t questions;              /* statements run or passed upstream */
    uint64_t upstream_open;          /* sessions with the upstream (gauge) */
    uint64_t upstream_refused_total; /* unreachable, or the login refused */
    uint64_t upstream_lost_total;    /* gone after the login */
    uint64_t upstream_bytes_in, upstream_bytes_out;
    /* MySQL commands, from their packet to the last packet of their answer:
     * [0] answered by us, [1] passed upstream (in whole or in part) */
    uint64_t command_buckets[2][METRICS_COMMAND_BUCKETS]; /* cumulative on output */
    uint64_t command_count[2];
    uint64_t command_ns[2];
    /* the main loop's only */
    uint64_t relay_homecomings; /* sessions moved to the main loop for a command */
    uint64_t mysql_connections_total;
    uint64_t http_connections_total;
    uint64_t http_bytes_in, http_bytes_out;
    uint64_t http_body_bytes_in;
    uint64_t uploads_in_flight;
    uint64_t uploads_total, upload_files_total, upload_bytes_total;
    uint64_t downloads_total, download_bytes_total;
    struct {
        int status;
        uint64_t count;
    } requests[METRICS_STATUSES];
    uint64_t latency_buckets[METRICS_LATENCY_BUCKETS]; /* cumulative on output */
    uint64_t latency_count;
    double latency_sum;
    /* ERR packets sent to MySQL clients, ours and the upstream's, by code
     * (added up by code; code 0 counts those past the table's end) */
    struct {
        uint64_t code, count;
    } mysql_errors[METRICS_ERROR_CODES];
};

#define METRICS_LOOP_COUNTERS (offsetof(struct metrics, mysql_connections_total) / sizeof(uint64_t))

/* Only the counter's own loop thread calls this; a relaxed store lets the
 * main loop read the value whole while it changes. */
static inline void metrics_add(uint64_t *counter, uint64_t n)
{
    __atomic_store_n(counter, __atomic_load_n(counter, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

void metrics_http_request(struct metrics *m, int status, double seconds);
/* A MySQL command took `ns` nanoseconds; `upstream`: it went upstream. */
void metrics_mysql_command(struct metrics *m, bool upstream, uint64_t ns);
/* An ERR packet with `code` went to a MySQL client. */
void metrics_mysql_error(struct metrics *m, uint16_t code);
/* Adds the error counts of `from` (another loop's, read as it changes) to `to`. */
void metrics_add_errors(struct metrics *to, const struct metrics *from);

struct server;
void metrics_render(const struct server *srv, struct buf *out);

#endif
