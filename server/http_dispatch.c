/* Which handler answers a request, after its method and its caller are
 * checked; health checks and metrics are answered here. */
#include <string.h>

#include "server/http_internal.h"
#include "server/metrics.h"
#include "server/presign.h"
#include "server/process.h"
#include "server/stage_store.h"

static void method_not_allowed(struct http_conn *h, const char *allow)
{
    char headers[128];
    snprintf(headers, sizeof(headers), "Allow: %s\r\n", allow);
    char msg[128];
    snprintf(msg, sizeof(msg), "method %s is not allowed here; use %s",
             llhttp_method_name(h->req.method), allow);
    /* the status goes in "code", as Databend does for handler errors */
    http_respond_error_headers(h, 405, 405, msg, headers);
}

void http_respond_stage_error(struct http_conn *h, const struct stage_error *err)
{
    /* an unknown stage is a 500 in Databend's upload handler, a 404 in the
     * file API; a refused right is a 403 carrying Databend's code */
    int status = err->code == 1063                                                      ? 403
                 : err->code == 3902                                                    ? 501
                 : err->code == 2501 && h->req.route.kind != HTTP_ROUTE_UPLOAD_TO_STAGE ? 404
                                                                                        : 500;
    http_respond_error(h, status, status == 403 ? err->code : status, err->text);
}

static void answer_metrics(struct http_conn *h)
{
    struct buf out;
    buf_init(&out);
    metrics_render(h->srv, &out);
    if (out.oom)
        http_respond_error(h, 503, 503, "out of memory");
    else
        http_respond(h, 200, NULL, "text/plain; version=0.0.4; charset=utf-8",
                     (const char *)out.data, out.len);
    buf_free(&out);
}

static bool is_get(const struct http_conn *h)
{
    return h->req.method == HTTP_GET || h->req.method == HTTP_HEAD;
}

void http_dispatch(struct http_conn *h)
{
    const struct http_route *r = &h->req.route;
    switch (r->kind) {
    case HTTP_ROUTE_NOT_FOUND:
        http_respond_error(h, 404, 404, "not found");
        return;
    case HTTP_ROUTE_BAD_REQUEST:
        http_respond_error(h, 400, 400, r->error);
        return;
    case HTTP_ROUTE_HEALTHZ:
        if (!is_get(h))
            method_not_allowed(h, "GET, HEAD");
        else
            http_respond_json(h, 200, NULL, "{\"status\":\"ok\"}");
        return;
    case HTTP_ROUTE_METRICS:
        if (!is_get(h))
            method_not_allowed(h, "GET, HEAD");
        else
            answer_metrics(h);
        return;
    case HTTP_ROUTE_UPLOAD_TO_STAGE:
        if (h->req.method != HTTP_PUT)
            method_not_allowed(h, "PUT");
        else if (http_auth_request(h) == 0)
            http_upload_to_stage_begin(h);
        return;
    case HTTP_ROUTE_STAGE_FILES:
        if (!is_get(h))
            method_not_allowed(h, "GET, HEAD");
        else if (http_auth_request(h) == 0)
            http_file_list_begin(h);
        return;
    case HTTP_ROUTE_STAGE_FILE:
        if (h->req.method != HTTP_PUT && h->req.method != HTTP_DELETE && !is_get(h))
            method_not_allowed(h, "GET, HEAD, PUT, DELETE");
        else if ((r->presigned ? presign_check_request(h) : http_auth_request(h)) < 0)
            return;
        else if (h->req.method == HTTP_PUT)
            http_file_put_begin(h);
        else if (h->req.method == HTTP_DELETE)
            http_file_delete_begin(h);
        else
            http_file_get_begin(h);
        return;
    }
}
