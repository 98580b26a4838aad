#include "server/metrics.h"

#include <inttypes.h>
#include <stdlib.h>

#include "server/process.h"

static const double latency_bounds[METRICS_LATENCY_BUCKETS] = {
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60,
};

void metrics_http_request(struct metrics *m, int status, double seconds)
{
    for (int i = 0; i < METRICS_STATUSES; i++) {
        if (m->requests[i].status == status || m->requests[i].status == 0) {
            m->requests[i].status = status;
            m->requests[i].count++;
            break;
        }
    }
    for (int i = 0; i < METRICS_LATENCY_BUCKETS; i++) {
        if (seconds <= latency_bounds[i]) {
            m->latency_buckets[i]++;
            break;
        }
    }
    m->latency_count++;
    m->latency_sum += seconds;
}

/* MySQL commands are mostly sub-millisecond: the buckets start at 100 µs. */
static const uint64_t command_bounds_ns[METRICS_COMMAND_BUCKETS] = {
    100000,   250000,    500000,    1000000,   2500000,    5000000,    10000000,    25000000,
    50000000, 100000000, 250000000, 500000000, 1000000000, 2500000000, 10000000000, 60000000000,
};

void metrics_mysql_command(struct metrics *m, bool upstream, uint64_t ns)
{
    int w = upstream ? 1 : 0;
    for (int i = 0; i < METRICS_COMMAND_BUCKETS; i++) {
        if (ns <= command_bounds_ns[i]) {
            metrics_add(&m->command_buckets[w][i], 1);
            break;
        }
    }
    metrics_add(&m->command_count[w], 1);
    metrics_add(&m->command_ns[w], ns);
}

/* The count of `code` in `m`, its slot taken if new; the table's last slot
 * (code 0) counts what does not fit. Only `m`'s own thread writes codes. */
static uint64_t *error_slot(struct metrics *m, uint64_t code)
{
    for (int i = 0; code != 0 && i < METRICS_ERROR_CODES - 1; i++) {
        uint64_t have = __atomic_load_n(&m->mysql_errors[i].code, __ATOMIC_RELAXED);
        if (have == 0)
            __atomic_store_n(&m->mysql_errors[i].code, code, __ATOMIC_RELAXED);
        if (have == 0 || have == code)
            return &m->mysql_errors[i].count;
    }
    return &m->mysql_errors[METRICS_ERROR_CODES - 1].count;
}

void metrics_mysql_error(struct metrics *m, uint16_t code)
{
    metrics_add(error_slot(m, code), 1);
}

void metrics_add_errors(struct metrics *to, const struct metrics *from)
{
    for (int i = 0; i < METRICS_ERROR_CODES; i++) {
        uint64_t code = __atomic_load_n(&from->mysql_errors[i].code, __ATOMIC_RELAXED);
        uint64_t n = __atomic_load_n(&from->mysql_errors[i].count, __ATOMIC_RELAXED);
        if (n > 0)
            *error_slot(to, i == METRICS_ERROR_CODES - 1 ? 0 : code) += n;
    }
}

static void counter(struct buf *out, const char *name, const char *help, const char *type,
                    const char *labels, uint64_t v)
{
    if (help)
        buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
    buf_printf(out, "%s%s %" PRIu64 "\n", name, labels ? labels : "", v);
}

static void render_requests(const struct metrics *m, struct buf *out)
{
    buf_printf(out, "# HELP stageproxy_http_requests_total HTTP requests answered, by status.\n"
                    "# TYPE stageproxy_http_requests_total counter\n");
    for (int i = 0; i < METRICS_STATUSES && m->requests[i].status; i++)
        buf_printf(out, "stageproxy_http_requests_total{status=\"%d\"} %" PRIu64 "\n",
                   m->requests[i].status, m->requests[i].count);
    buf_printf(out, "# HELP stageproxy_http_errors_total HTTP requests answered with a 4xx or "
                    "5xx status, by status.\n# TYPE stageproxy_http_errors_total counter\n");
    for (int i = 0; i < METRICS_STATUSES && m->requests[i].status; i++)
        if (m->requests[i].status >= 400)
            buf_printf(out, "stageproxy_http_errors_total{status=\"%d\"} %" PRIu64 "\n",
                       m->requests[i].status, m->requests[i].count);
    buf_printf(out, "# HELP stageproxy_http_request_duration_seconds Time from the request "
                    "line to the last byte of the answer queued.\n"
                    "# TYPE stageproxy_http_request_duration_seconds histogram\n");
    uint64_t cum = 0;
    for (int i = 0; i < METRICS_LATENCY_BUCKETS; i++) {
        cum += m->latency_buckets[i];
        buf_printf(out, "stageproxy_http_request_duration_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
                   latency_bounds[i], cum);
    }
    buf_printf(out,
               "stageproxy_http_request_duration_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n"
               "stageproxy_http_request_duration_seconds_sum %.6f\n"
               "stageproxy_http_request_duration_seconds_count %" PRIu64 "\n",
               m->latency_count, m->latency_sum, m->latency_count);
}

static void render_commands(const struct metrics *m, struct buf *out)
{
    static const char *const routes[2] = {"local", "upstream"};
    const char *name = "stageproxy_mysql_command_duration_seconds";
    buf_printf(out,
               "# HELP %s Time from a MySQL command's packet to the last packet of its answer; "
               "route=\"upstream\" when it went upstream in whole or in part.\n"
               "# TYPE %s histogram\n",
               name, name);
    for (int w = 0; w < 2; w++) {
        uint64_t cum = 0;
        for (int i = 0; i < METRICS_COMMAND_BUCKETS; i++) {
            cum += m->command_buckets[w][i];
            buf_printf(out, "%s_bucket{route=\"%s\",le=\"%g\"} %" PRIu64 "\n", name, routes[w],
                       (double)command_bounds_ns[i] / 1e9, cum);
        }
        buf_printf(out,
                   "%s_bucket{route=\"%s\",le=\"+Inf\"} %" PRIu64 "\n"
                   "%s_sum{route=\"%s\"} %.6f\n%s_count{route=\"%s\"} %" PRIu64 "\n",
                   name, routes[w], m->command_count[w], name, routes[w],
                   (double)m->command_ns[w] / 1e9, name, routes[w], m->command_count[w]);
    }
}

static int by_code(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void render_mysql_errors(const struct metrics *m, struct buf *out)
{
    uint64_t codes[METRICS_ERROR_CODES][2]; /* code, count: sorted by code */
    size_t n = 0;
    for (int i = 0; i < METRICS_ERROR_CODES - 1 && m->mysql_errors[i].code; i++) {
        codes[n][0] = m->mysql_errors[i].code;
        codes[n++][1] = m->mysql_errors[i].count;
    }
    qsort(codes, n, sizeof(codes[0]), by_code);
    buf_printf(out, "# HELP stageproxy_mysql_errors_total ERR packets sent to MySQL clients, "
                    "ours and the upstream's, by error code.\n"
                    "# TYPE stageproxy_mysql_errors_total counter\n");
    for (size_t i = 0; i < n; i++)
        buf_printf(out, "stageproxy_mysql_errors_total{code=\"%" PRIu64 "\"} %" PRIu64 "\n",
                   codes[i][0], codes[i][1]);
    uint64_t other = m->mysql_errors[METRICS_ERROR_CODES - 1].count;
    if (other)
        buf_printf(out, "stageproxy_mysql_errors_total{code=\"other\"} %" PRIu64 "\n", other);
}

static void render_relays(const struct server *srv, struct buf *out)
{
    counter(out, "stageproxy_relay_threads", "Threads relaying proxied sessions.", "gauge", NULL,
            srv->n_relays);
    if (srv->n_relays == 0)
        return;
    counter(out, "stageproxy_relay_homecomings_total",
            "Sessions moved from a relay thread to the main thread for a command it runs.",
            "counter", NULL, srv->main_ctx.metrics.relay_homecomings);
    buf_printf(out, "# HELP stageproxy_relay_sessions Logged-in proxied sessions each relay "
                    "thread carries.\n# TYPE stageproxy_relay_sessions gauge\n");
    for (unsigned i = 0; i < srv->n_relays; i++)
        buf_printf(out, "stageproxy_relay_sessions{thread=\"%u\"} %u\n", i,
                   srv->relays[i]->assigned);
}

void metrics_render(const struct server *srv, struct buf *out)
{
    struct metrics sum;
    const struct metrics *m = &sum;
    server_metrics(srv, &sum);
    buf_printf(out,
               "# HELP stageproxy_connections Open client connections, by protocol.\n"
               "# TYPE stageproxy_connections gauge\n"
               "stageproxy_connections{protocol=\"mysql\"} %zu\n"
               "stageproxy_connections{protocol=\"http\"} %zu\n",
               srv->n_mysql_conns, srv->n_http_conns);
    buf_printf(out,
               "# HELP stageproxy_connections_total Client connections accepted, by protocol.\n"
               "# TYPE stageproxy_connections_total counter\n"
               "stageproxy_connections_total{protocol=\"mysql\"} %" PRIu64 "\n"
               "stageproxy_connections_total{protocol=\"http\"} %" PRIu64 "\n",
               m->mysql_connections_total, m->http_connections_total);
    buf_printf(out,
               "# HELP stageproxy_bytes_in_total Bytes received from clients, by protocol.\n"
               "# TYPE stageproxy_bytes_in_total counter\n"
               "stageproxy_bytes_in_total{protocol=\"mysql\"} %" PRIu64 "\n"
               "stageproxy_bytes_in_total{protocol=\"http\"} %" PRIu64 "\n"
               "# HELP stageproxy_bytes_out_total Bytes sent to clients, by protocol.\n"
               "# TYPE stageproxy_bytes_out_total counter\n"
               "stageproxy_bytes_out_total{protocol=\"mysql\"} %" PRIu64 "\n"
               "stageproxy_bytes_out_total{protocol=\"http\"} %" PRIu64 "\n",
               m->mysql_bytes_in, m->http_bytes_in, m->mysql_bytes_out, m->http_bytes_out);
    counter(out, "stageproxy_uploads_in_flight", "Uploads being received.", "gauge", NULL,
            m->uploads_in_flight);
    counter(out, "stageproxy_uploads_total", "Upload requests that stored every file.", "counter",
            NULL, m->uploads_total);
    counter(out, "stageproxy_upload_files_total", "Files stored by uploads.", "counter", NULL,
            m->upload_files_total);
    counter(out, "stageproxy_upload_bytes_total", "File bytes stored by uploads.", "counter", NULL,
            m->upload_bytes_total);
    counter(out, "stageproxy_downloads_total", "File downloads started.", "counter", NULL,
            m->downloads_total);
    counter(out, "stageproxy_download_bytes_total", "File bytes sent by downloads.", "counter",
            NULL, m->download_bytes_total);
    render_requests(m, out);
    render_commands(m, out);
    render_mysql_errors(m, out);
    counter(out, "stageproxy_upstream_connections", "Open sessions with the upstream.", "gauge",
            NULL, m->upstream_open);
    counter(out, "stageproxy_upstream_refused_total",
            "Upstream sessions that could not be opened: unreachable, or the login refused.",
            "counter", NULL, m->upstream_refused_total);
    counter(out, "stageproxy_upstream_lost_total", "Upstream sessions lost after their login.",
            "counter", NULL, m->upstream_lost_total);
    counter(out, "stageproxy_upstream_bytes_in_total", "Bytes received from the upstream.",
            "counter", NULL, m->upstream_bytes_in);
    counter(out, "stageproxy_upstream_bytes_out_total", "Bytes sent to the upstream.", "counter",
            NULL, m->upstream_bytes_out);
    render_relays(srv, out);
}
