#include "server/metrics.h"

#include <inttypes.h>

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
