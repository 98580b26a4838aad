/* Uploads: PUT /v1/upload_to_stage (multipart, as Databend) and
 * PUT /v1/stages/{stage}/files/{path} (a raw body), streamed to the stage's
 * storage writer in a fixed memory budget.
 *
 * The body is parsed as it arrives and turned into records (a file begins,
 * data, the file ends, the request ends) appended to `fill`. Storage drains
 * the other buffer, `flush`, one call at a time; when it is done the two
 * swap. Once `fill` holds UPLOAD_HIGH_WATER bytes the socket stops being
 * read until the swap, so an upload never holds more than two buffers
 * (about 2 x 1.1 MiB). */
#include <errno.h>
#include <jansson.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/multipart.h"
#include "server/http_internal.h"
#include "server/metrics.h"
#include "server/process.h"
#include "server/stage_store.h"
#include "server/stage_writes.h"
#include "server/users.h"

#define UPLOAD_HIGH_WATER (1024 * 1024)
#define UPLOAD_SWAP_MIN   (512 * 1024) /* fewer, larger writes while a file streams */
#define UPLOAD_MAX_PARTS  1000

enum upload_record { REC_BEGIN = 1, REC_DATA, REC_END, REC_DONE };

struct upload {
    struct http_conn *h; /* NULL once answered or abandoned */
    struct server *srv;
    struct storage *st;
    struct stage_write write; /* counted until storage is idle: DROP STAGE waits for it */
    char *stage_name;         /* as the client sent it */
    char *rel;                /* X-DATABEND-RELATIVE-PATH without its outer slashes */
    bool raw;
    struct multipart_parser *mp;
    struct buf fill, flush;
    size_t flush_pos;
    size_t open_data; /* offset in fill of the DATA record still growing */
    struct storage_writer *w;
    bool busy;     /* a storage call is in flight */
    bool finished; /* answered or abandoned: free once storage is idle */
    json_t *files;
    char *key; /* of the file being written */
    uint64_t size;
    char bad_name[1400];
};

#define NO_RECORD SIZE_MAX

/* ---- lifetime ---- */

static void upload_free(struct upload *u)
{
    if (u->w)
        u->st->ops->writer_abort(u->w); /* an unfinished file leaves nothing */
    if (u->st)
        u->st->ops->destroy(u->st);
    buf_free(&u->fill);
    buf_free(&u->flush);
    json_decref(u->files);
    free(u->mp);
    free(u->key);
    free(u->stage_name);
    free(u->rel);
    u->srv->main_ctx.metrics.uploads_in_flight--;
    stage_write_end(u->srv, &u->write); /* last: a DROP waiting for it may go on */
    free(u);
}

/* Done with the request: free now, or when storage calls back. */
static void upload_finish(struct upload *u)
{
    u->finished = true;
    u->h = NULL;
    if (!u->busy)
        upload_free(u);
}

static void upload_fail(struct upload *u, int status, int code, const char *message)
{
    if (u->finished)
        return;
    struct http_conn *h = u->h;
    if (h) {
        LOGH(LOG_INFO, h, "upload to stage '%s' failed: %s", u->stage_name, message);
        http_respond_error(h, status, code, message);
    }
    upload_finish(u);
}

static void storage_failed(struct upload *u, const char *what, int err)
{
    struct stage_error e;
    int status = stage_storage_failure(u->st, what, u->key, err, &e);
    upload_fail(u, status, status == 507 ? 500 : status, e.text);
}

static void cancel_cb(struct stage_write *w)
{
    struct upload *u = LIST_CONTAINER(w, struct upload, write);
    char msg[600];
    snprintf(msg, sizeof(msg),
             "stage '%s' was dropped or replaced during the upload; none of its files were kept",
             u->stage_name);
    upload_fail(u, 409, 409, msg);
}

static void abort_cb(struct http_conn *h)
{
    struct upload *u = h->handler_data;
    LOGH(LOG_INFO, h, "upload to stage '%s' abandoned by the client", u->stage_name);
    upload_finish(u);
}

/* ---- records ---- */

static void record(struct upload *u, enum upload_record type, const void *a, size_t alen,
                   const void *b, size_t blen)
{
    uint32_t len = (uint32_t)(alen + blen);
    buf_put_u8(&u->fill, (uint8_t)type);
    buf_append(&u->fill, &len, sizeof(len));
    buf_append(&u->fill, a, alen);
    buf_append(&u->fill, b, blen);
    u->open_data = NO_RECORD;
}

static void record_data(struct upload *u, const char *data, size_t len)
{
    if (u->open_data == NO_RECORD) {
        record(u, REC_DATA, data, len, NULL, 0);
        u->open_data = u->fill.len - len - 5;
        return;
    }
    uint32_t have;
    memcpy(&have, u->fill.data + u->open_data + 1, sizeof(have));
    have += (uint32_t)len;
    memcpy(u->fill.data + u->open_data + 1, &have, sizeof(have));
    buf_append(&u->fill, data, len);
}

/* ---- storage side ---- */

static void pump(struct upload *u);

/* Storage called back: false when the request ended meanwhile (the upload
 * is freed then). */
static bool upload_returned(struct upload *u)
{
    u->busy = false;
    if (!u->finished)
        return true;
    upload_free(u);
    return false;
}

static void write_cb(void *arg, int status)
{
    struct upload *u = arg;
    if (!upload_returned(u))
        return;
    if (status < 0) {
        storage_failed(u, "write", status);
        return;
    }
    pump(u);
}

/* A random (version 4) UUID. */
static void new_uuid(char out[37])
{
    unsigned char r[16];
    RAND_bytes(r, sizeof(r));
    r[6] = (r[6] & 0x0F) | 0x40;
    r[8] = (r[8] & 0x3F) | 0x80;
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0],
             r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13],
             r[14], r[15]);
}

static void succeed(struct upload *u)
{
    struct http_conn *h = u->h;
    char id[37];
    new_uuid(id);
    json_t *o = u->raw ? json_pack("{s:s,s:s,s:I}", "stage_name", u->stage_name, "name", u->key,
                                   "size", (json_int_t)u->size)
                       : json_pack("{s:s,s:s,s:s,s:O}", "id", id, "stage_name", u->stage_name,
                                   "state", "SUCCESS", "files", u->files);
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (!text) {
        upload_fail(u, 500, 500, "out of memory");
        return;
    }
    u->srv->main_ctx.metrics.uploads_total++;
    http_respond_json(h, u->raw ? 201 : 200, NULL, text);
    free(text);
    upload_finish(u);
}

static void finish_cb(void *arg, int status)
{
    struct upload *u = arg;
    u->w = NULL; /* a finish always frees the writer */
    if (!upload_returned(u))
        return;
    if (status < 0) {
        storage_failed(u, "store", status);
        return;
    }
    u->srv->main_ctx.metrics.upload_files_total++;
    if (u->h)
        LOGH(LOG_DEBUG, u->h, "stored '%s' in stage '%s' (%llu bytes)", u->key, u->stage_name,
             (unsigned long long)u->size);
    pump(u);
}

static void begin_file(struct upload *u, const char *key)
{
    free(u->key);
    u->key = strdup(key);
    u->size = 0;
    int rc = u->key ? u->st->ops->writer_open(u->st, key, &u->w) : -ENOMEM;
    if (rc < 0)
        storage_failed(u, "create", rc);
}

/* Runs the next record of `flush`; swaps the buffers when it is spent. */
static void pump(struct upload *u)
{
    while (!u->busy && !u->finished) {
        if (u->flush_pos >= u->flush.len) {
            bool streaming = u->open_data != NO_RECORD; /* more of this data will come */
            if (u->fill.len == 0 || (streaming && u->fill.len < UPLOAD_SWAP_MIN))
                return;
            struct buf t = u->flush;
            u->flush = u->fill;
            u->fill = t;
            buf_reset(&u->fill);
            u->flush_pos = 0;
            u->open_data = NO_RECORD;
            if (u->h)
                http_conn_resume_body(u->h);
            continue;
        }
        const uint8_t *rec = u->flush.data + u->flush_pos;
        uint32_t len;
        memcpy(&len, rec + 1, sizeof(len));
        const char *payload = (const char *)rec + 5;
        u->flush_pos += 5 + (size_t)len;
        int rc = 0;
        switch ((enum upload_record)rec[0]) {
        case REC_BEGIN:
            begin_file(u, payload);
            break;
        case REC_DATA:
            u->busy = true;
            u->size += len;
            u->srv->main_ctx.metrics.upload_bytes_total += len;
            rc = u->st->ops->writer_write(u->w, payload, len, write_cb, u);
            break;
        case REC_END:
            u->busy = true;
            rc = u->st->ops->writer_finish(u->w, finish_cb, u);
            break;
        case REC_DONE:
            succeed(u);
            return;
        }
        if (rc < 0) {
            u->busy = false;
            storage_failed(u, "write", rc);
        }
    }
}

/* ---- the body side ---- */

static void produced(struct upload *u)
{
    if (u->fill.oom) {
        upload_fail(u, 503, 503, "out of memory");
        return;
    }
    if (u->fill.len >= UPLOAD_HIGH_WATER && u->h)
        http_conn_pause_body(u->h);
    pump(u);
}

static int part_begin(void *arg, const struct multipart_part *part)
{
    struct upload *u = arg;
    char uuid[37];
    const char *name = part->filename;
    if (!part->has_filename || !*name) {
        new_uuid(uuid);
        name = uuid;
    }
    const char *file = name;
    while (*file == '/')
        file++;
    char key[STORAGE_KEY_MAX + 2];
    int n = snprintf(key, sizeof(key), "%s%s%s", u->rel, *u->rel ? "/" : "", file);
    if (n < 0 || (size_t)n >= sizeof(key) || storage_key_check(key, (size_t)n) < 0) {
        /* answered by body_cb once the parser has returned */
        snprintf(u->bad_name, sizeof(u->bad_name), "invalid file name '%s'", name);
        return -ECANCELED;
    }
    json_array_append_new(u->files, json_string(name));
    record(u, REC_BEGIN, key, (size_t)n + 1, NULL, 0);
    return 0;
}

static int part_data(void *arg, const char *data, size_t len)
{
    record_data(arg, data, len);
    return 0;
}

static int part_end(void *arg)
{
    record(arg, REC_END, NULL, 0, NULL, 0);
    return 0;
}

static const struct multipart_callbacks part_callbacks = {part_begin, part_data, part_end};

static void body_cb(struct http_conn *h, const char *data, size_t len)
{
    struct upload *u = h->handler_data;
    if (u->raw) {
        record_data(u, data, len);
    } else if (multipart_feed(u->mp, data, len, &part_callbacks, u) != 0) {
        upload_fail(u, 400, 400, *u->bad_name ? u->bad_name : u->mp->error);
        return;
    }
    produced(u);
}

static void complete_cb(struct http_conn *h)
{
    struct upload *u = h->handler_data;
    if (u->raw) {
        record(u, REC_END, NULL, 0, NULL, 0);
    } else if (multipart_finish(u->mp) < 0) {
        upload_fail(u, 400, 400, u->mp->error);
        return;
    }
    record(u, REC_DONE, NULL, 0, NULL, 0);
    produced(u);
}

static const struct http_handler upload_handler = {body_cb, complete_cb, abort_cb};

/* ---- starting an upload ---- */

static const char *either_header(struct http_conn *h, const char *name, const char *legacy)
{
    const char *v = http_header(h, name);
    return v ? v : http_header(h, legacy);
}

static struct upload *upload_new(struct http_conn *h, const char *stage, const char *rel)
{
    struct stage_error err;
    struct storage *st = stage_store_open(h->srv, h->req.user, stage, STAGE_WRITE, &err);
    if (!st) {
        http_respond_stage_error(h, &err);
        return NULL;
    }
    struct upload *u = calloc(1, sizeof(*u));
    if (!u || !(u->stage_name = strdup(stage)) || !(u->rel = strdup(rel)) ||
        !(u->files = json_array())) {
        if (u) {
            free(u->stage_name);
            free(u->rel);
        }
        free(u);
        st->ops->destroy(st);
        http_respond_error(h, 503, 503, "out of memory");
        return NULL;
    }
    u->h = h;
    u->srv = h->srv;
    u->st = st;
    u->open_data = NO_RECORD;
    buf_init(&u->fill);
    buf_init(&u->flush);
    u->srv->main_ctx.metrics.uploads_in_flight++;
    if (stage_write_begin(h->srv, &u->write, stage, cancel_cb, &err) < 0) {
        http_respond_stage_error(h, &err);
        u->h = NULL;
        upload_free(u);
        return NULL;
    }
    h->handler = &upload_handler;
    h->handler_data = u;
    return u;
}

void http_upload_to_stage_begin(struct http_conn *h)
{
    const char *stage = either_header(h, "x-databend-stage-name", "stage_name");
    if (!stage || !*stage) {
        http_respond_error(h, 400, 400, "Parse stage_name error, please check your arguments");
        return;
    }
    const char *rel_in = either_header(h, "x-databend-relative-path", "relative_path");
    char rel[STORAGE_KEY_MAX + 1] = "";
    if (rel_in) {
        while (*rel_in == '/')
            rel_in++;
        size_t n = strlen(rel_in);
        while (n > 0 && rel_in[n - 1] == '/')
            n--;
        if (n >= sizeof(rel) || (n > 0 && storage_key_check(rel_in, n) < 0)) {
            http_respond_error(h, 400, 400, "invalid relative path");
            return;
        }
        memcpy(rel, rel_in, n);
        rel[n] = 0;
    }
    const char *ctype = http_header(h, "content-type");
    char boundary[MULTIPART_BOUNDARY_MAX + 1];
    if (!ctype || multipart_boundary(ctype, strlen(ctype), boundary) < 0) {
        http_respond_error(h, 400, 400,
                           "the body must be multipart/form-data with a boundary parameter");
        return;
    }
    struct multipart_parser *mp = malloc(sizeof(*mp));
    if (!mp) {
        http_respond_error(h, 503, 503, "out of memory");
        return;
    }
    struct upload *u = upload_new(h, stage, rel);
    if (!u) {
        free(mp);
        return;
    }
    multipart_init(mp, boundary, UPLOAD_MAX_PARTS);
    u->mp = mp;
    http_send_continue(h);
}

void http_file_put_begin(struct http_conn *h)
{
    const struct http_route *r = &h->req.route;
    if (storage_key_check(r->path, strlen(r->path)) < 0) {
        http_respond_error(h, 400, 400, "invalid file path");
        return;
    }
    struct upload *u = upload_new(h, r->stage, "");
    if (!u)
        return;
    u->raw = true;
    record(u, REC_BEGIN, r->path, strlen(r->path) + 1, NULL, 0);
    produced(u);
    if (h->handler == &upload_handler)
        http_send_continue(h);
}
