/* Counters for /metrics (Prometheus text format). Only the loop thread
 * touches them. */
#ifndef SP_SERVER_METRICS_H
#define SP_SERVER_METRICS_H

#include <stdint.h>

#include "protocol/buf.h"

#define METRICS_STATUSES        32
#define METRICS_LATENCY_BUCKETS 12

struct metrics {
    uint64_t mysql_connections_total;
    uint64_t mysql_bytes_in, mysql_bytes_out;
    uint64_t http_connections_total;
    uint64_t http_bytes_in, http_bytes_out;
    uint64_t http_body_bytes_in;
    uint64_t uploads_in_flight;
    uint64_t uploads_total, upload_files_total, upload_bytes_total;
    uint64_t downloads_total, download_bytes_total;
    /* proxy mode */
    uint64_t upstream_open;          /* sessions with the upstream (gauge) */
    uint64_t upstream_refused_total; /* unreachable, or the login refused */
    uint64_t upstream_lost_total;    /* gone after the login */
    uint64_t upstream_bytes_in, upstream_bytes_out;
    struct {
        int status;
        uint64_t count;
    } requests[METRICS_STATUSES];
    uint64_t latency_buckets[METRICS_LATENCY_BUCKETS]; /* cumulative on output */
    uint64_t latency_count;
    double latency_sum;
};

static inline void metrics_add(uint64_t *counter, uint64_t n)
{
    *counter += n;
}

void metrics_http_request(struct metrics *m, int status, double seconds);

struct server;
void metrics_render(const struct server *srv, struct buf *out);

#endif
