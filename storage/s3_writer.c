/* Uploads to S3. Bytes are copied into a part buffer and hashed with
 * SHA-256 on the threadpool as they arrive, so each request carries a
 * signed payload and can be retried. An object that ends within its first
 * part goes up with one PutObject; a longer one becomes a multipart upload
 * with a bounded number of parts on the wire, completed at finish and
 * aborted on any failure. Memory: at most parts_inflight + 1 part buffers. */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/s3_internal.h"
#include "storage/s3_xml.h"

#define MIN_PART_SIZE  (5u << 20)
#define MAX_PART_SIZE  (5ull << 30)
#define MAX_PARTS      10000
#define PARTS_PER_STEP 2000 /* the part size doubles every so many parts */
#define ETAG_MAX       80

struct s3_part {
    struct s3_part *next;
    struct s3_writer *w;
    int number;
    uint8_t *buf;
    size_t len, cap;
    EVP_MD_CTX *sha;
    char sha_hex[65];
    struct s3_request *req;
};

struct s3_writer {
    struct s3_storage *s;
    char *key;
    char *full;
    struct s3_part *filling;
    int buffers; /* part buffers allocated */
    /* the hash job over the bytes just copied into `filling` */
    uv_work_t work;
    bool hashing;
    size_t hash_from, hash_len;
    /* the write being taken in */
    const uint8_t *wdata;
    size_t wlen;
    storage_done_cb wcb;
    void *warg;
    /* the multipart upload */
    char upload_id[1024];
    bool creating;
    struct s3_request *create_req;
    struct s3_part *queue, *queue_tail, *inflight_list;
    int inflight;
    int next_number;
    char (*etags)[ETAG_MAX];
    int etags_cap;
    /* the end */
    bool finishing;
    storage_done_cb fcb;
    void *farg;
    struct s3_request *final_req; /* PutObject or CompleteMultipartUpload */
    struct s3_xml *final_xml;
    char final_code[64], final_message[256];
    char *final_body;
    int error;
    bool aborted;
};

static void pump(struct s3_writer *w);
static void start_parts(struct s3_writer *w);

static size_t part_size(const struct s3_writer *w, int number)
{
    size_t base = w->s->target.tuning.part_size;
    if (base < MIN_PART_SIZE)
        base = MIN_PART_SIZE;
    int step = (number - 1) / PARTS_PER_STEP;
    unsigned long long size = (unsigned long long)base << (step < 4 ? step : 4);
    return size > MAX_PART_SIZE ? (size_t)MAX_PART_SIZE : (size_t)size;
}

static void part_free(struct s3_writer *w, struct s3_part *p)
{
    if (!p)
        return;
    if (p->req)
        s3_request_cancel(p->req);
    EVP_MD_CTX_free(p->sha);
    free(p->buf);
    free(p);
    w->buffers--;
}

static struct s3_part *part_new(struct s3_writer *w)
{
    struct s3_part *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    w->buffers++;
    p->w = w;
    p->number = ++w->next_number;
    p->cap = part_size(w, p->number);
    p->buf = malloc(p->cap);
    p->sha = EVP_MD_CTX_new();
    if (!p->buf || !p->sha || !EVP_DigestInit_ex(p->sha, EVP_sha256(), NULL)) {
        part_free(w, p);
        return NULL;
    }
    return p;
}

static void free_writer_if_idle(struct s3_writer *w)
{
    if (!w->aborted || w->hashing || w->creating)
        return;
    part_free(w, w->filling);
    while (w->queue) {
        struct s3_part *p = w->queue;
        w->queue = p->next;
        part_free(w, p);
    }
    while (w->inflight_list) {
        struct s3_part *p = w->inflight_list;
        w->inflight_list = p->next;
        part_free(w, p);
    }
    if (w->final_req)
        s3_request_cancel(w->final_req);
    s3_xml_free(w->final_xml);
    s3_storage_unref(w->s);
    free(w->final_body);
    free(w->etags);
    free(w->key);
    free(w->full);
    free(w);
}

/* ---- AbortMultipartUpload, fire and forget ---- */

static void abort_done_cb(void *arg, const struct s3_response *r)
{
    (void)r; /* some servers refuse it (405); a lifecycle rule is the safety net */
    s3_storage_unref(arg);
}

static void send_abort(struct s3_writer *w)
{
    if (!*w->upload_id)
        return;
    struct s3_call call = {.method = "DELETE", .key = w->full};
    call.query[call.nquery++] = (struct s3_param){"uploadId", w->upload_id};
    s3_storage_ref(w->s);
    if (!s3_request_start(w->s->client, &w->s->target, &call, NULL, abort_done_cb, w->s))
        s3_storage_unref(w->s);
    w->upload_id[0] = '\0';
}

/* A finish always frees the writer, whatever its outcome. */
static void end_finish(struct s3_writer *w, int status)
{
    storage_done_cb cb = w->fcb;
    void *arg = w->farg;
    w->fcb = NULL;
    w->aborted = true;
    if (status < 0)
        send_abort(w);
    free_writer_if_idle(w);
    cb(arg, status);
}

/* The first failure wins; whoever waits hears of it. */
static void fail(struct s3_writer *w, int status)
{
    if (w->error)
        return;
    w->error = status < 0 ? status : -EIO;
    send_abort(w);
    if (w->fcb) {
        end_finish(w, w->error);
        return;
    }
    storage_done_cb cb = w->wcb;
    w->wcb = NULL;
    if (cb)
        cb(w->warg, w->error);
}

static void fail_response(struct s3_writer *w, const char *what, const struct s3_response *r)
{
    fail(w, s3_storage_fail(w->s, what, w->key, r));
}

/* ---- finishing ---- */

static void final_leaf_cb(void *arg, const char *path, const char *text, size_t len)
{
    struct s3_writer *w = arg;
    (void)len;
    if (strcmp(path, "Error/Code") == 0)
        snprintf(w->final_code, sizeof(w->final_code), "%s", text);
    else if (strcmp(path, "Error/Message") == 0)
        snprintf(w->final_message, sizeof(w->final_message), "%s", text);
}

static bool final_data_cb(void *arg, const char *data, size_t len)
{
    struct s3_writer *w = arg;
    if (w->final_xml)
        s3_xml_feed(w->final_xml, data, len, false);
    return true;
}

static void final_done_cb(void *arg, const struct s3_response *r)
{
    struct s3_writer *w = arg;
    w->final_req = NULL;
    if (r->status < 0) {
        fail_response(w, "write", r);
        return;
    }
    if (*w->final_code) { /* CompleteMultipartUpload can fail inside a 200 */
        snprintf(w->s->error, sizeof(w->s->error), "cannot write '%s': S3 error %s: %s", w->key,
                 w->final_code, w->final_message);
        fail(w, -EIO);
        return;
    }
    w->upload_id[0] = '\0'; /* complete: nothing left to abort */
    end_finish(w, 0);
}

static int start_final(struct s3_writer *w, struct s3_call *call)
{
    w->final_xml = s3_xml_new(final_leaf_cb, NULL, w);
    if (!w->final_xml)
        return -ENOMEM;
    w->final_req =
        s3_request_start(w->s->client, &w->s->target, call, final_data_cb, final_done_cb, w);
    return w->final_req ? 0 : -ENOMEM;
}

static char *complete_body(struct s3_writer *w, size_t *len)
{
    size_t cap = 64 + (size_t)w->next_number * (64 + 6 * ETAG_MAX), used = 0;
    char *b = malloc(cap);
    if (!b)
        return NULL;
    used += (size_t)sprintf(b, "<CompleteMultipartUpload>");
    for (int i = 0; i < w->next_number; i++) {
        used += (size_t)sprintf(b + used, "<Part><PartNumber>%d</PartNumber><ETag>", i + 1);
        used += s3_xml_escape(w->etags[i], b + used, cap - used);
        used += (size_t)sprintf(b + used, "</ETag></Part>");
    }
    used += (size_t)sprintf(b + used, "</CompleteMultipartUpload>");
    *len = used;
    return b;
}

/* Completes once every part is up. */
static void maybe_complete(struct s3_writer *w)
{
    if (!w->finishing || w->error || w->final_req || w->filling || w->queue || w->inflight ||
        !*w->upload_id)
        return;
    size_t len = 0;
    w->final_body = complete_body(w, &len);
    struct s3_call call = {
        .method = "POST", .key = w->full, .body = w->final_body, .body_len = len};
    call.query[call.nquery++] = (struct s3_param){"uploadId", w->upload_id};
    call.headers[call.nheaders++] = (struct s3_param){"Content-Type", "application/xml"};
    if (!w->final_body || start_final(w, &call) < 0)
        fail(w, -ENOMEM);
}

/* ---- parts ---- */

static void create_leaf_cb(void *arg, const char *path, const char *text, size_t len)
{
    struct s3_writer *w = arg;
    if (strcmp(path, "InitiateMultipartUploadResult/UploadId") == 0 && len < sizeof(w->upload_id))
        memcpy(w->upload_id, text, len + 1);
}

static bool create_data_cb(void *arg, const char *data, size_t len)
{
    struct s3_writer *w = arg;
    s3_xml_feed(w->final_xml, data, len, false);
    return true;
}

static void create_done_cb(void *arg, const struct s3_response *r)
{
    struct s3_writer *w = arg;
    w->creating = false;
    w->create_req = NULL;
    int bad = r->status == 0 ? s3_xml_feed(w->final_xml, "", 0, true) : 0;
    s3_xml_free(w->final_xml);
    w->final_xml = NULL;
    if (w->aborted) {
        send_abort(w);
        free_writer_if_idle(w);
        return;
    }
    if (r->status < 0) {
        fail_response(w, "start uploading", r);
        return;
    }
    if (bad < 0 || !*w->upload_id) {
        snprintf(w->s->error, sizeof(w->s->error),
                 "cannot start uploading '%s': no UploadId in the answer", w->key);
        fail(w, -EBADMSG);
        return;
    }
    start_parts(w);
}

static void start_create(struct s3_writer *w)
{
    struct s3_call call = {.method = "POST", .key = w->full};
    call.query[call.nquery++] = (struct s3_param){"uploads", ""};
    call.headers[call.nheaders++] = (struct s3_param){"Content-Type", "application/octet-stream"};
    w->final_xml = s3_xml_new(create_leaf_cb, NULL, w);
    if (w->final_xml)
        w->create_req =
            s3_request_start(w->s->client, &w->s->target, &call, create_data_cb, create_done_cb, w);
    if (!w->create_req) {
        s3_xml_free(w->final_xml);
        w->final_xml = NULL;
        fail(w, -ENOMEM);
        return;
    }
    w->creating = true;
}

static void unlink_inflight(struct s3_writer *w, struct s3_part *p)
{
    struct s3_part **pp = &w->inflight_list;
    while (*pp && *pp != p)
        pp = &(*pp)->next;
    if (*pp)
        *pp = p->next;
    w->inflight--;
}

static void part_done_cb(void *arg, const struct s3_response *r)
{
    struct s3_part *p = arg;
    struct s3_writer *w = p->w;
    p->req = NULL;
    unlink_inflight(w, p);
    int number = p->number;
    part_free(w, p);
    if (r->status < 0) {
        fail_response(w, "write", r);
        return;
    }
    if (!*r->etag) {
        snprintf(w->s->error, sizeof(w->s->error), "cannot write '%s': part %d has no ETag", w->key,
                 number);
        fail(w, -EBADMSG);
        return;
    }
    snprintf(w->etags[number - 1], ETAG_MAX, "%s", r->etag);
    start_parts(w);
    pump(w);
    maybe_complete(w);
}

static void start_parts(struct s3_writer *w)
{
    if (w->error)
        return;
    if (!*w->upload_id) {
        if (!w->creating && w->queue)
            start_create(w);
        return;
    }
    int limit = w->s->target.tuning.parts_inflight > 0 ? w->s->target.tuning.parts_inflight : 1;
    while (w->queue && w->inflight < limit) {
        struct s3_part *p = w->queue;
        w->queue = p->next;
        if (!w->queue)
            w->queue_tail = NULL;
        char number[16];
        snprintf(number, sizeof(number), "%d", p->number);
        struct s3_call call = {.method = "PUT",
                               .key = w->full,
                               .body = p->buf,
                               .body_len = p->len,
                               .body_sha256 = p->sha_hex};
        call.query[call.nquery++] = (struct s3_param){"partNumber", number};
        call.query[call.nquery++] = (struct s3_param){"uploadId", w->upload_id};
        p->next = w->inflight_list;
        w->inflight_list = p;
        w->inflight++;
        p->req = s3_request_start(w->s->client, &w->s->target, &call, NULL, part_done_cb, p);
        if (!p->req) {
            fail(w, -ENOMEM);
            return;
        }
    }
}

static int grow_etags(struct s3_writer *w, int number)
{
    if (number <= w->etags_cap)
        return 0;
    int cap = w->etags_cap ? w->etags_cap * 2 : 64;
    while (cap < number)
        cap *= 2;
    void *e = realloc(w->etags, (size_t)cap * ETAG_MAX);
    if (!e)
        return -ENOMEM;
    w->etags = e;
    w->etags_cap = cap;
    return 0;
}

static void finish_sha(struct s3_part *p)
{
    unsigned char d[32];
    unsigned int n = 0;
    EVP_DigestFinal_ex(p->sha, d, &n);
    for (unsigned i = 0; i < n; i++)
        sprintf(p->sha_hex + 2 * i, "%02x", d[i]);
}

/* A full (or last) part leaves the filling slot for the upload queue. */
static void seal(struct s3_writer *w)
{
    struct s3_part *p = w->filling;
    w->filling = NULL;
    finish_sha(p);
    if (grow_etags(w, p->number) < 0) {
        part_free(w, p);
        fail(w, -ENOMEM);
        return;
    }
    if (w->queue_tail)
        w->queue_tail->next = p;
    else
        w->queue = p;
    w->queue_tail = p;
    start_parts(w);
}

/* ---- taking writes in ---- */

static void hash_work_cb(uv_work_t *req)
{
    struct s3_writer *w = req->data;
    EVP_DigestUpdate(w->filling->sha, w->filling->buf + w->hash_from, w->hash_len);
}

static void hash_after_cb(uv_work_t *req, int status)
{
    struct s3_writer *w = req->data;
    (void)status;
    w->hashing = false;
    if (w->aborted) {
        free_writer_if_idle(w);
        return;
    }
    if (w->filling && w->filling->len == w->filling->cap)
        seal(w);
    pump(w);
}

/* Hashes [from, from + len) of the filling part on the threadpool. */
static void start_hash(struct s3_writer *w, size_t from, size_t len)
{
    w->hash_from = from;
    w->hash_len = len;
    w->hashing = true;
    w->work.data = w;
    uv_queue_work(s3_client_loop(w->s->client), &w->work, hash_work_cb, hash_after_cb);
}

/* Copies what fits of the pending write and hashes it; answers the write
 * when all of it is in and buffers are free for more. */
static void pump(struct s3_writer *w)
{
    if (w->error || w->hashing || !w->wcb)
        return;
    if (w->wlen == 0) {
        storage_done_cb cb = w->wcb;
        w->wcb = NULL;
        cb(w->warg, 0);
        return;
    }
    if (!w->filling) {
        if (w->buffers > w->s->target.tuning.parts_inflight)
            return; /* a part finishing calls pump again */
        if (w->next_number >= MAX_PARTS) {
            snprintf(w->s->error, sizeof(w->s->error), "cannot write '%s': more than %d parts",
                     w->key, MAX_PARTS);
            fail(w, -EFBIG);
            return;
        }
        if (!(w->filling = part_new(w))) {
            fail(w, -ENOMEM);
            return;
        }
    }
    struct s3_part *p = w->filling;
    size_t n = w->wlen < p->cap - p->len ? w->wlen : p->cap - p->len;
    memcpy(p->buf + p->len, w->wdata, n);
    start_hash(w, p->len, n);
    p->len += n;
    w->wdata += n;
    w->wlen -= n;
}

int s3_writer_open(struct storage *st, const char *key, struct storage_writer **out)
{
    struct s3_storage *s = (struct s3_storage *)st;
    char full[STORAGE_KEY_MAX * 2];
    struct s3_writer *w = calloc(1, sizeof(*w));
    if (!w || s3_storage_full_key(s, key, full, sizeof(full)) < 0 || !(w->key = strdup(key)) ||
        !(w->full = strdup(full))) {
        if (w)
            free(w->key);
        free(w);
        return -ENOMEM;
    }
    w->s = s;
    s3_storage_ref(s);
    *out = (struct storage_writer *)w;
    return 0;
}

int s3_writer_write(struct storage_writer *sw, const void *data, size_t len, storage_done_cb cb,
                    void *arg)
{
    struct s3_writer *w = (struct s3_writer *)sw;
    if (w->error)
        return w->error;
    if (w->wcb || w->finishing)
        return -EBUSY;
    w->wdata = data;
    w->wlen = len;
    w->wcb = cb;
    w->warg = arg;
    if (len == 0) { /* still answer from the loop, never from inside this call */
        if (!w->filling && !(w->filling = part_new(w)))
            return -ENOMEM;
        start_hash(w, w->filling->len, 0);
        return 0;
    }
    pump(w);
    return 0;
}

int s3_writer_finish(struct storage_writer *sw, storage_done_cb cb, void *arg)
{
    struct s3_writer *w = (struct s3_writer *)sw;
    if (w->error)
        return w->error;
    if (w->wcb || w->finishing || w->hashing)
        return -EBUSY;
    w->finishing = true;
    w->fcb = cb;
    w->farg = arg;
    if (!w->filling && w->next_number == 0 && !(w->filling = part_new(w)))
        return -ENOMEM;
    if (w->next_number == 1 && w->filling) { /* it all fits in one request */
        struct s3_part *p = w->filling;
        finish_sha(p);
        struct s3_call call = {.method = "PUT",
                               .key = w->full,
                               .body = p->buf,
                               .body_len = p->len,
                               .body_sha256 = p->sha_hex};
        return start_final(w, &call);
    }
    if (w->filling && w->filling->len > 0)
        seal(w);
    else if (w->filling) {
        part_free(w, w->filling); /* an empty tail adds nothing */
        w->filling = NULL;
        w->next_number--;
    }
    maybe_complete(w);
    return 0;
}

void s3_writer_abort(struct storage_writer *sw)
{
    struct s3_writer *w = (struct s3_writer *)sw;
    if (!w)
        return;
    w->aborted = true;
    w->wcb = w->fcb = NULL;
    if (!w->creating) /* a CreateMultipartUpload on the wire: abort when it answers */
        send_abort(w);
    free_writer_if_idle(w);
}
