/* The raw file API for scripts: GET / HEAD / DELETE of
 * /v1/stages/{stage}/files/{path} and the JSON listing of
 * /v1/stages/{stage}/files. Downloads and listings stream from the driver
 * and wait for the client when it reads slowly. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "server/http_internal.h"
#include "server/metrics.h"
#include "server/process.h"
#include "server/stage_store.h"
#include "server/users.h"

struct file_op {
    struct http_conn *h; /* NULL once answered or abandoned */
    struct storage *st;
    struct storage_reader *reader;
    struct storage_list *list;
    struct stage_pattern pattern;
    char *key;
    uint64_t offset, length, sent;
    size_t listed;
    bool busy, finished;
};

static void op_free(struct file_op *op)
{
    if (op->reader)
        op->st->ops->reader_close(op->reader);
    if (op->list)
        op->st->ops->list_close(op->list);
    if (op->st)
        op->st->ops->destroy(op->st);
    stage_pattern_free(&op->pattern);
    free(op->key);
    free(op);
}

static void op_finish(struct file_op *op)
{
    op->finished = true;
    op->h = NULL;
    if (!op->busy)
        op_free(op);
}

/* A storage callback came back: false when the request is over meanwhile
 * (the op is freed then). */
static bool op_returned(struct file_op *op)
{
    op->busy = false;
    if (!op->finished)
        return true;
    op_free(op);
    return false;
}

static void abort_cb(struct http_conn *h)
{
    op_finish(h->handler_data);
}

static void storage_error(struct file_op *op, const char *what, int err)
{
    struct stage_error e;
    int status = stage_storage_failure(op->st, what, op->key, err, &e);
    http_respond_error(op->h, status, status, e.text);
    op_finish(op);
}

static void not_found(struct file_op *op)
{
    char msg[1400];
    snprintf(msg, sizeof(msg), "file '%s' does not exist in stage '%s'", op->key,
             op->h->req.route.stage);
    http_respond_error(op->h, 404, 404, msg);
    op_finish(op);
}

/* Opens the stage of the request with `rights`, or answers. */
static struct file_op *op_new(struct http_conn *h, int rights, const struct http_handler *handler)
{
    const struct http_route *r = &h->req.route;
    struct stage_error err;
    struct storage *st = stage_store_open(h->srv, h->req.user, r->stage, rights, &err);
    if (!st) {
        http_respond_stage_error(h, &err);
        return NULL;
    }
    struct file_op *op = calloc(1, sizeof(*op));
    if (!op || !(op->key = strdup(r->path))) {
        free(op);
        st->ops->destroy(st);
        http_respond_error(h, 503, 503, "out of memory");
        return NULL;
    }
    op->h = h;
    op->st = st;
    h->handler = handler;
    h->handler_data = op;
    return op;
}

static bool valid_key(struct http_conn *h)
{
    const char *path = h->req.route.path;
    if (storage_key_check(path, strlen(path)) == 0)
        return true;
    http_respond_error(h, 400, 400, "invalid file path");
    return false;
}

/* ---- GET and HEAD ---- */

static void read_next(struct file_op *op);

static void drained_cb(struct http_conn *h)
{
    read_next(h->handler_data);
}

static void read_cb(void *arg, int status, const void *data, size_t len, bool eof)
{
    struct file_op *op = arg;
    if (!op_returned(op))
        return;
    struct http_conn *h = op->h;
    if (status < 0 || (eof && op->sent + len != op->length) || op->sent + len > op->length) {
        /* the head is out: all we can do is cut the answer short */
        LOGH(LOG_WARN, h, "download of '%s' cut short: %s", op->key,
             status < 0 ? storage_strerror(op->st, status) : "the file changed while it was sent");
        http_conn_fail(h, "download failed");
        return;
    }
    op->sent += len;
    h->srv->main_ctx.metrics.download_bytes_total += len;
    if (http_respond_body(h, data, len) < 0)
        return; /* the connection is closing; abort_cb frees the op */
    if (eof || op->sent == op->length) {
        http_respond_end(h);
        op_finish(op);
    } else if (http_conn_backlogged(h)) {
        h->on_drain = drained_cb;
    } else {
        read_next(op);
    }
}

static void read_next(struct file_op *op)
{
    op->busy = true;
    int rc = op->st->ops->reader_read(op->reader, read_cb, op);
    if (rc < 0) {
        op->busy = false;
        http_conn_fail(op->h, "read failed");
    }
}

static void format_http_date(int64_t ms, char *out, size_t len)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(out, len, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static void entity_tag(const struct storage_entry *e, char *out, size_t len)
{
    if (e->etag)
        snprintf(out, len, "%s", e->etag);
    else /* no MD5 for files copied in by hand: a weak tag from size and time */
        snprintf(out, len, "W/\"%" PRIx64 "-%" PRIx64 "\"", e->size, (uint64_t)e->mtime_ms);
}

/* If-None-Match: "*" or a list of tags, compared weakly. */
static bool none_match(const char *header, const char *etag)
{
    const char *tag = strncmp(etag, "W/", 2) == 0 ? etag + 2 : etag;
    size_t tl = strlen(tag);
    for (const char *p = header; *p;) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        if (*p == '*')
            return true;
        if (strncmp(p, "W/", 2) == 0)
            p += 2;
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n == tl && memcmp(p, tag, n) == 0)
            return true;
        p += n;
        while (*p && *p != ',')
            p++;
    }
    return false;
}

/* One "bytes=a-b" range: 1 when taken, 0 to send the whole file (absent,
 * malformed or several ranges), -1 when it cannot be satisfied. */
static int parse_range(const char *header, uint64_t size, uint64_t *off, uint64_t *len)
{
    if (!header || strncasecmp(header, "bytes=", 6) != 0 || strchr(header, ','))
        return 0;
    const char *p = header + 6;
    char *end;
    if (*p == '-') { /* the last n bytes */
        if (p[1] < '0' || p[1] > '9')
            return 0;
        uint64_t n = strtoull(p + 1, &end, 10);
        if (*end)
            return 0;
        if (n == 0)
            return -1;
        *len = n < size ? n : size;
        *off = size - *len;
        return size == 0 ? -1 : 1;
    }
    if (*p < '0' || *p > '9')
        return 0;
    uint64_t first = strtoull(p, &end, 10), last = UINT64_MAX;
    if (*end != '-')
        return 0;
    if (end[1]) {
        if (end[1] < '0' || end[1] > '9')
            return 0;
        last = strtoull(end + 1, &end, 10);
        if (*end || last < first)
            return 0;
    }
    if (first >= size)
        return -1;
    *off = first;
    *len = (last >= size ? size - 1 : last) - first + 1;
    return 1;
}

static void stat_for_get_cb(void *arg, int status, const struct storage_entry *e)
{
    struct file_op *op = arg;
    if (!op_returned(op))
        return;
    struct http_conn *h = op->h;
    if (status == -ENOENT) {
        not_found(op);
        return;
    }
    if (status < 0) {
        storage_error(op, "read", status);
        return;
    }
    char etag[128], date[64], headers[512];
    entity_tag(e, etag, sizeof(etag));
    format_http_date(e->mtime_ms, date, sizeof(date));
    int n = snprintf(headers, sizeof(headers),
                     "ETag: %s\r\nLast-Modified: %s\r\nAccept-Ranges: bytes\r\n", etag, date);
    const char *inm = http_header(h, "if-none-match");
    if (inm && none_match(inm, etag)) {
        http_respond(h, 304, headers, NULL, "", 0);
        op_finish(op);
        return;
    }
    int ranged = parse_range(http_header(h, "range"), e->size, &op->offset, &op->length);
    if (ranged < 0) {
        snprintf(headers + n, sizeof(headers) - (size_t)n, "Content-Range: bytes */%" PRIu64 "\r\n",
                 e->size);
        http_respond_error_headers(h, 416, 416, "range not satisfiable", headers);
        op_finish(op);
        return;
    }
    if (ranged == 0) {
        op->offset = 0;
        op->length = e->size;
    } else {
        snprintf(headers + n, sizeof(headers) - (size_t)n,
                 "Content-Range: bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64 "\r\n", op->offset,
                 op->offset + op->length - 1, e->size);
    }
    if (http_respond_head(h, ranged ? 206 : 200, headers, "application/octet-stream",
                          (int64_t)op->length) < 0)
        return;
    if (h->req.method == HTTP_HEAD || op->length == 0) {
        http_respond_end(h);
        op_finish(op);
        return;
    }
    h->srv->main_ctx.metrics.downloads_total++;
    int rc = op->st->ops->reader_open(op->st, op->key, op->offset, op->length, &op->reader);
    if (rc < 0) {
        http_conn_fail(h, "cannot open the file");
        return;
    }
    read_next(op);
}

/* GET, HEAD and DELETE look at the file first. */
static void stat_file(struct http_conn *h, storage_stat_cb cb, const char *what)
{
    struct file_op *op = h->handler_data;
    op->busy = true;
    int rc = op->st->ops->stat(op->st, op->key, cb, op);
    if (rc < 0) {
        op->busy = false;
        storage_error(op, what, rc);
    }
}

static void get_complete_cb(struct http_conn *h)
{
    stat_file(h, stat_for_get_cb, "read");
}

static const struct http_handler get_handler = {NULL, get_complete_cb, abort_cb};

void http_file_get_begin(struct http_conn *h)
{
    if (valid_key(h))
        op_new(h, STAGE_READ, &get_handler);
}

/* ---- DELETE ---- */

static void removed_cb(void *arg, int status)
{
    struct file_op *op = arg;
    if (!op_returned(op))
        return;
    if (status < 0) {
        storage_error(op, "remove", status);
        return;
    }
    http_respond(op->h, 204, NULL, NULL, "", 0);
    op_finish(op);
}

static void stat_for_delete_cb(void *arg, int status, const struct storage_entry *e)
{
    struct file_op *op = arg;
    if (!op_returned(op))
        return;
    if (status == -ENOENT) {
        not_found(op);
        return;
    }
    op->busy = true;
    int rc = status < 0 ? status : op->st->ops->remove(op->st, &op->key, 1, removed_cb, op);
    if (rc < 0) {
        op->busy = false;
        storage_error(op, "remove", rc);
    }
}

static void delete_complete_cb(struct http_conn *h)
{
    stat_file(h, stat_for_delete_cb, "remove");
}

static const struct http_handler delete_handler = {NULL, delete_complete_cb, abort_cb};

void http_file_delete_begin(struct http_conn *h)
{
    if (valid_key(h))
        op_new(h, STAGE_READ | STAGE_WRITE, &delete_handler);
}

/* ---- the listing, as LIST's rows in JSON ---- */

static void list_next(struct file_op *op)
{
    op->busy = true;
    op->st->ops->list_next(op->list);
}

static void list_drained_cb(struct http_conn *h)
{
    list_next(h->handler_data);
}

static int append_entry(struct file_op *op, struct buf *out, const struct storage_entry *e)
{
    char mtime[48];
    stage_format_mtime(e->mtime_ms, mtime, sizeof(mtime));
    json_t *o = json_pack("{s:s,s:I,s:s?,s:s,s:n}", "name", e->key, "size", (json_int_t)e->size,
                          "md5", e->etag, "last_modified", mtime, "creator");
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (!text)
        return -1;
    if (op->listed++ > 0)
        buf_put_u8(out, ',');
    buf_append_str(out, text);
    free(text);
    return 0;
}

static void page_cb(void *arg, int status, const struct storage_entry *e, size_t n, bool last)
{
    struct file_op *op = arg;
    if (!op_returned(op))
        return;
    struct http_conn *h = op->h;
    if (status < 0) {
        if (h->response_started)
            http_conn_fail(h, "listing failed");
        else
            storage_error(op, "list", status);
        return;
    }
    struct buf out;
    buf_init(&out);
    if (!h->response_started) {
        if (http_respond_head(h, 200, NULL, "application/json", -1) < 0) {
            buf_free(&out);
            return;
        }
        buf_append_str(&out, "{\"files\":[");
    }
    for (size_t i = 0; i < n; i++) {
        int m = stage_pattern_match(&op->pattern, h->req.route.path, e[i].key);
        if (m < 0) {
            buf_free(&out);
            http_conn_fail(h, "pattern too expensive");
            return;
        }
        if (m && append_entry(op, &out, &e[i]) < 0)
            out.oom = 1;
    }
    if (last)
        buf_append_str(&out, "]}");
    int rc = out.oom ? -1 : http_respond_body(h, out.data, out.len);
    buf_free(&out);
    if (rc < 0) {
        http_conn_fail(h, "out of memory");
        return;
    }
    if (last) {
        http_respond_end(h);
        op_finish(op);
    } else if (http_conn_backlogged(h)) {
        h->on_drain = list_drained_cb;
    } else {
        list_next(op);
    }
}

static void list_complete_cb(struct http_conn *h)
{
    struct file_op *op = h->handler_data;
    op->busy = true;
    int rc = op->st->ops->list_start(op->st, op->key, page_cb, op, &op->list);
    if (rc < 0) {
        op->busy = false;
        storage_error(op, "list", rc);
    }
}

static const struct http_handler list_handler = {NULL, list_complete_cb, abort_cb};

void http_file_list_begin(struct http_conn *h)
{
    const struct http_route *r = &h->req.route;
    if (storage_prefix_check(r->path, strlen(r->path)) < 0) {
        http_respond_error(h, 400, 400, "invalid prefix");
        return;
    }
    struct stage_pattern pattern = {0};
    struct stage_error err;
    if (r->has_pattern && stage_pattern_compile(&pattern, r->pattern, &err) < 0) {
        http_respond_error(h, 400, 400, err.text);
        return;
    }
    struct file_op *op = op_new(h, STAGE_READ, &list_handler);
    if (op)
        op->pattern = pattern;
    else
        stage_pattern_free(&pattern);
}
