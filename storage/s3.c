#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/md5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "storage/s3_internal.h"
#include "storage/s3_xml.h"

#define LIST_KEYS_DEFAULT 1000

/* ---- the storage object ---- */

void s3_storage_ref(struct s3_storage *s)
{
    s->refs++;
}

void s3_storage_unref(struct s3_storage *s)
{
    if (--s->refs > 0)
        return;
    s3_target_free(&s->target);
    free(s);
}

int s3_storage_fail(struct s3_storage *s, const char *what, const char *key,
                    const struct s3_response *r)
{
    char why[400];
    s3_response_describe(r, why, sizeof(why));
    snprintf(s->error, sizeof(s->error), "cannot %s '%s': %s", what, key ? key : "", why);
    return r->status < 0 ? r->status : -EIO;
}

int s3_storage_full_key(const struct s3_storage *s, const char *key, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s%s", s->target.prefix, key);
    return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

static void s3_destroy(struct storage *st)
{
    s3_storage_unref((struct s3_storage *)st);
}

static const char *s3_last_error(struct storage *st)
{
    return ((struct s3_storage *)st)->error;
}

/* ---- LIST: ListObjectsV2 a page at a time, parsed as it arrives ---- */

struct s3_list {
    struct s3_storage *s;
    char *prefix;            /* full, below the bucket */
    const char *user_prefix; /* as asked, for error texts */
    char token[1100];
    bool truncated;
    storage_page_cb cb;
    void *arg;
    struct s3_request *req;
    struct s3_xml *xml;
    bool xml_failed;
    struct storage_entry *page;
    size_t n;
    struct storage_entry cur; /* the <Contents> being read */
};

static void list_leaf_cb(void *arg, const char *path, const char *text, size_t len)
{
    struct s3_list *l = arg;
    static const char c[] = "ListBucketResult/Contents/";
    if (strncmp(path, c, sizeof(c) - 1) == 0) {
        const char *f = path + sizeof(c) - 1;
        size_t plen = strlen(l->prefix);
        if (strcmp(f, "Key") == 0 && len >= plen && strncmp(text, l->prefix, plen) == 0) {
            free(l->cur.key);
            l->cur.key = strdup(text + strlen(l->s->target.prefix));
        } else if (strcmp(f, "Size") == 0) {
            l->cur.size = strtoull(text, NULL, 10);
        } else if (strcmp(f, "LastModified") == 0) {
            l->cur.mtime_ms = s3_parse_iso8601_ms(text);
        } else if (strcmp(f, "ETag") == 0) {
            free(l->cur.etag);
            l->cur.etag = strdup(text);
        }
    } else if (strcmp(path, "ListBucketResult/IsTruncated") == 0) {
        l->truncated = strcmp(text, "true") == 0;
    } else if (strcmp(path, "ListBucketResult/NextContinuationToken") == 0) {
        snprintf(l->token, sizeof(l->token), "%s", text);
    }
}

static void list_end_cb(void *arg, const char *path)
{
    struct s3_list *l = arg;
    if (strcmp(path, "ListBucketResult/Contents") != 0)
        return;
    size_t klen = l->cur.key ? strlen(l->cur.key) : 0;
    /* "dir/" markers from consoles are not files; a full page means a broken server */
    if (klen == 0 || l->cur.key[klen - 1] == '/' || l->n >= STORAGE_LIST_PAGE) {
        free(l->cur.key);
        free(l->cur.etag);
    } else {
        l->page[l->n++] = l->cur;
    }
    memset(&l->cur, 0, sizeof(l->cur));
}

static bool list_data_cb(void *arg, const char *data, size_t len)
{
    struct s3_list *l = arg;
    if (!l->xml_failed && s3_xml_feed(l->xml, data, len, false) < 0)
        l->xml_failed = true;
    return true;
}

static void list_reset_page(struct s3_list *l)
{
    storage_entries_free(l->page, l->n);
    l->n = 0;
    free(l->cur.key);
    free(l->cur.etag);
    memset(&l->cur, 0, sizeof(l->cur));
}

static void list_done_cb(void *arg, const struct s3_response *r)
{
    struct s3_list *l = arg;
    l->req = NULL;
    int status = r->status;
    if (status < 0) {
        s3_storage_fail(l->s, "list", l->user_prefix, r);
    } else if (l->xml_failed || s3_xml_feed(l->xml, "", 0, true) < 0) {
        snprintf(l->s->error, sizeof(l->s->error),
                 "cannot list '%s': malformed ListObjectsV2 answer (%s)", l->user_prefix,
                 s3_xml_error(l->xml));
        status = -EBADMSG;
    }
    s3_xml_free(l->xml);
    l->xml = NULL;
    if (status < 0)
        list_reset_page(l);
    l->cb(l->arg, status, l->page, l->n, status < 0 || !l->truncated);
}

static int list_request(struct s3_list *l)
{
    char keys[16];
    struct s3_call call = {.method = "GET"};
    int max = l->s->target.tuning.list_max_keys;
    snprintf(keys, sizeof(keys), "%d", max > 0 && max <= 1000 ? max : LIST_KEYS_DEFAULT);
    call.query[call.nquery++] = (struct s3_param){"list-type", "2"};
    call.query[call.nquery++] = (struct s3_param){"prefix", l->prefix};
    call.query[call.nquery++] = (struct s3_param){"max-keys", keys};
    if (*l->token)
        call.query[call.nquery++] = (struct s3_param){"continuation-token", l->token};
    list_reset_page(l);
    l->xml_failed = false;
    l->xml = s3_xml_new(list_leaf_cb, list_end_cb, l);
    if (!l->xml)
        return -ENOMEM;
    l->truncated = false;
    l->req = s3_request_start(l->s->client, &l->s->target, &call, list_data_cb, list_done_cb, l);
    l->token[0] = '\0'; /* the call was copied; the answer brings the next one */
    return l->req ? 0 : -ENOMEM;
}

static int s3_list_start(struct storage *st, const char *prefix, storage_page_cb cb, void *arg,
                         struct storage_list **out)
{
    struct s3_storage *s = (struct s3_storage *)st;
    struct s3_list *l = calloc(1, sizeof(*l));
    char full[STORAGE_KEY_MAX * 2];
    if (!l)
        return -ENOMEM;
    l->s = s;
    l->cb = cb;
    l->arg = arg;
    l->page = calloc(STORAGE_LIST_PAGE, sizeof(*l->page));
    if (s3_storage_full_key(s, prefix, full, sizeof(full)) < 0 || !l->page ||
        !(l->prefix = strdup(full))) {
        free(l->page);
        free(l);
        return -ENOMEM;
    }
    l->user_prefix = l->prefix + strlen(s->target.prefix);
    s3_storage_ref(s);
    *out = (struct storage_list *)l;
    int rc = list_request(l);
    if (rc < 0) {
        *out = NULL;
        s3_storage_unref(s);
        s3_xml_free(l->xml);
        free(l->page);
        free(l->prefix);
        free(l);
    }
    return rc;
}

static void s3_list_next(struct storage_list *sl)
{
    struct s3_list *l = (struct s3_list *)sl;
    if (list_request(l) < 0) {
        snprintf(l->s->error, sizeof(l->s->error), "cannot list '%s': out of memory",
                 l->user_prefix);
        l->cb(l->arg, -ENOMEM, NULL, 0, true);
    }
}

static void s3_list_close(struct storage_list *sl)
{
    struct s3_list *l = (struct s3_list *)sl;
    if (!l)
        return;
    if (l->req)
        s3_request_cancel(l->req);
    s3_xml_free(l->xml);
    list_reset_page(l);
    free(l->page);
    free(l->prefix);
    s3_storage_unref(l->s);
    free(l);
}

/* ---- REMOVE: DeleteObjects, up to 1000 keys a call ---- */

struct s3_remove {
    struct s3_storage *s;
    storage_done_cb cb;
    void *arg;
    char *body;
    struct s3_xml *xml;
    char failed_key[STORAGE_KEY_MAX + 1];
    char code[64], message[256];
};

static void remove_leaf_cb(void *arg, const char *path, const char *text, size_t len)
{
    struct s3_remove *rm = arg;
    (void)len;
    if (*rm->code && strcmp(path, "DeleteResult/Error/Key") != 0)
        return; /* report the first failure */
    if (strcmp(path, "DeleteResult/Error/Key") == 0 && !*rm->failed_key)
        snprintf(rm->failed_key, sizeof(rm->failed_key), "%s", text);
    else if (strcmp(path, "DeleteResult/Error/Code") == 0)
        snprintf(rm->code, sizeof(rm->code), "%s", text);
    else if (strcmp(path, "DeleteResult/Error/Message") == 0)
        snprintf(rm->message, sizeof(rm->message), "%s", text);
}

static bool remove_data_cb(void *arg, const char *data, size_t len)
{
    struct s3_remove *rm = arg;
    s3_xml_feed(rm->xml, data, len, false);
    return true;
}

static void remove_done_cb(void *arg, const struct s3_response *r)
{
    struct s3_remove *rm = arg;
    int status = r->status;
    if (status == 0 && s3_xml_feed(rm->xml, "", 0, true) < 0 && !*rm->code)
        snprintf(rm->code, sizeof(rm->code), "MalformedAnswer");
    if (status < 0)
        s3_storage_fail(rm->s, "remove", rm->failed_key, r);
    else if (*rm->code) {
        snprintf(rm->s->error, sizeof(rm->s->error), "cannot remove '%.300s': S3 error %s: %s",
                 rm->failed_key, rm->code, rm->message);
        status = -EIO;
    }
    storage_done_cb cb = rm->cb;
    void *cb_arg = rm->arg;
    s3_storage_unref(rm->s);
    s3_xml_free(rm->xml);
    free(rm->body);
    free(rm);
    cb(cb_arg, status);
}

/* <Delete><Quiet>true</Quiet><Object><Key>k</Key></Object>...</Delete> */
static char *delete_body(const struct s3_storage *s, char *const *keys, size_t n, size_t *len)
{
    size_t cap = 64, used = 0;
    for (size_t i = 0; i < n; i++)
        cap += 40 + 6 * (strlen(s->target.prefix) + strlen(keys[i]));
    char *b = malloc(cap), full[STORAGE_KEY_MAX * 2];
    if (!b)
        return NULL;
    used += (size_t)sprintf(b, "<Delete><Quiet>true</Quiet>");
    for (size_t i = 0; i < n; i++) {
        if (s3_storage_full_key(s, keys[i], full, sizeof(full)) < 0) {
            free(b);
            return NULL;
        }
        used += (size_t)sprintf(b + used, "<Object><Key>");
        used += s3_xml_escape(full, b + used, cap - used);
        used += (size_t)sprintf(b + used, "</Key></Object>");
    }
    used += (size_t)sprintf(b + used, "</Delete>");
    *len = used;
    return b;
}

static int s3_remove(struct storage *st, char *const *keys, size_t n, storage_done_cb cb, void *arg)
{
    struct s3_storage *s = (struct s3_storage *)st;
    if (n > 1000)
        return -E2BIG;
    struct s3_remove *rm = calloc(1, sizeof(*rm));
    size_t len = 0;
    if (!rm || !(rm->body = delete_body(s, keys, n, &len)) ||
        !(rm->xml = s3_xml_new(remove_leaf_cb, NULL, rm))) {
        if (rm)
            free(rm->body);
        free(rm);
        return -ENOMEM;
    }
    rm->s = s;
    rm->cb = cb;
    rm->arg = arg;
    snprintf(rm->failed_key, sizeof(rm->failed_key), "%s", n ? keys[0] : "");
    /* DeleteObjects requires Content-MD5. */
    unsigned char md5[MD5_DIGEST_LENGTH];
    char md5_b64[32];
    EVP_Digest(rm->body, len, md5, NULL, EVP_md5(), NULL);
    EVP_EncodeBlock((unsigned char *)md5_b64, md5, sizeof(md5));
    struct s3_call call = {.method = "POST", .body = rm->body, .body_len = len};
    call.query[call.nquery++] = (struct s3_param){"delete", ""};
    call.headers[call.nheaders++] = (struct s3_param){"Content-MD5", md5_b64};
    call.headers[call.nheaders++] = (struct s3_param){"Content-Type", "application/xml"};
    rm->failed_key[0] = '\0';
    s3_storage_ref(s);
    if (!s3_request_start(s->client, &s->target, &call, remove_data_cb, remove_done_cb, rm)) {
        s3_storage_unref(s);
        s3_xml_free(rm->xml);
        free(rm->body);
        free(rm);
        return -ENOMEM;
    }
    return 0;
}

/* ---- STAT: HeadObject ---- */

struct s3_stat {
    struct s3_storage *s;
    storage_stat_cb cb;
    void *arg;
    char *key;
};

static void stat_done_cb(void *arg, const struct s3_response *r)
{
    struct s3_stat *sa = arg;
    struct storage_entry e = {sa->key, r->content_length, r->last_modified_ms,
                              *r->etag ? (char *)r->etag : NULL};
    int status = r->status;
    if (status < 0 && status != -ENOENT)
        s3_storage_fail(sa->s, "read", sa->key, r);
    if (status == 0 && !r->has_length) {
        snprintf(sa->s->error, sizeof(sa->s->error), "cannot read '%s': no Content-Length",
                 sa->key);
        status = -EBADMSG;
    }
    sa->cb(sa->arg, status, status < 0 ? NULL : &e);
    s3_storage_unref(sa->s);
    free(sa->key);
    free(sa);
}

static int s3_stat(struct storage *st, const char *key, storage_stat_cb cb, void *arg)
{
    struct s3_storage *s = (struct s3_storage *)st;
    char full[STORAGE_KEY_MAX * 2];
    struct s3_stat *sa = calloc(1, sizeof(*sa));
    if (!sa || s3_storage_full_key(s, key, full, sizeof(full)) < 0 || !(sa->key = strdup(key))) {
        free(sa);
        return -ENOMEM;
    }
    sa->s = s;
    sa->cb = cb;
    sa->arg = arg;
    struct s3_call call = {.method = "HEAD", .key = full};
    s3_storage_ref(s);
    if (!s3_request_start(s->client, &s->target, &call, NULL, stat_done_cb, sa)) {
        s3_storage_unref(s);
        free(sa->key);
        free(sa);
        return -ENOMEM;
    }
    return 0;
}

/* ---- READ: GetObject streamed, paused while the consumer is behind ----
 * A body cut after its first byte is fetched again from where it stopped,
 * with If-Match on the ETag so the rest cannot come from a newer object. */

struct s3_reader {
    struct s3_storage *s;
    struct s3_request *req;
    uv_timer_t kick; /* resumes and ends from the loop, never inside reader_read */
    storage_read_cb cb;
    void *arg;
    bool wanted;
    bool finished;
    int status;
    int restarts;
    uint64_t next;  /* the first byte not yet handed on */
    uint64_t began; /* where the running request began */
    uint64_t end;   /* one past the last byte wanted; UINT64_MAX: to the end */
    char etag[80];
    char *key;
    char *full;
};

static void reader_closed_cb(uv_handle_t *h)
{
    struct s3_reader *rd = h->data;
    s3_storage_unref(rd->s);
    free(rd->key);
    free(rd->full);
    free(rd);
}

static bool reader_data_cb(void *arg, const char *data, size_t len)
{
    struct s3_reader *rd = arg;
    if (!rd->wanted)
        return false; /* pause: the same bytes come again */
    rd->wanted = false;
    rd->next += len;
    rd->cb(rd->arg, 0, data, len, false);
    return true;
}

static void reader_deliver_end(struct s3_reader *rd)
{
    rd->wanted = false;
    rd->cb(rd->arg, rd->status, NULL, 0, true);
}

static void reader_done_cb(void *arg, const struct s3_response *r);

static int reader_start(struct s3_reader *rd)
{
    char range[64];
    struct s3_call call = {.method = "GET", .key = rd->full};
    if (rd->next > 0 || rd->end != UINT64_MAX) {
        if (rd->end == UINT64_MAX)
            snprintf(range, sizeof(range), "bytes=%" PRIu64 "-", rd->next);
        else
            snprintf(range, sizeof(range), "bytes=%" PRIu64 "-%" PRIu64, rd->next, rd->end - 1);
        call.headers[call.nheaders++] = (struct s3_param){"Range", range};
    }
    if (*rd->etag)
        call.headers[call.nheaders++] = (struct s3_param){"If-Match", rd->etag};
    rd->req =
        s3_request_start(rd->s->client, &rd->s->target, &call, reader_data_cb, reader_done_cb, rd);
    return rd->req ? 0 : -ENOMEM;
}

/* Cut mid-body by the network or a 5xx, with an ETag to pin the object. */
static bool reader_may_restart(const struct s3_reader *rd, const struct s3_response *r)
{
    return rd->next > rd->began && *r->etag && (r->http_status == 0 || r->http_status >= 500) &&
           r->status != -ECANCELED && rd->restarts < rd->s->target.tuning.retries;
}

static void reader_done_cb(void *arg, const struct s3_response *r)
{
    struct s3_reader *rd = arg;
    rd->req = NULL;
    if (r->status < 0 && !*rd->etag)
        snprintf(rd->etag, sizeof(rd->etag), "%s", r->etag);
    if (r->status < 0 && reader_may_restart(rd, r)) {
        rd->restarts++;
        rd->began = rd->next;
        if (reader_start(rd) == 0)
            return;
    }
    rd->finished = true;
    rd->status = r->status;
    if (r->status < 0)
        s3_storage_fail(rd->s, "read", rd->key, r);
    if (rd->wanted)
        reader_deliver_end(rd);
}

static void reader_kick_cb(uv_timer_t *t)
{
    struct s3_reader *rd = t->data;
    if (!rd->wanted)
        return;
    if (rd->finished)
        reader_deliver_end(rd);
    else if (rd->req)
        s3_request_resume(rd->req);
}

static int s3_reader_open(struct storage *st, const char *key, uint64_t offset, uint64_t length,
                          struct storage_reader **out)
{
    struct s3_storage *s = (struct s3_storage *)st;
    char full[STORAGE_KEY_MAX * 2];
    struct s3_reader *rd = calloc(1, sizeof(*rd));
    if (!rd || s3_storage_full_key(s, key, full, sizeof(full)) < 0 || !(rd->key = strdup(key)) ||
        !(rd->full = strdup(full))) {
        if (rd)
            free(rd->key);
        free(rd);
        return -ENOMEM;
    }
    rd->s = s;
    rd->next = rd->began = offset;
    rd->end = length == UINT64_MAX ? UINT64_MAX : offset + length;
    if (length == 0) { /* nothing to fetch: S3 has no empty range */
        rd->finished = true;
    } else if (reader_start(rd) < 0) {
        free(rd->key);
        free(rd->full);
        free(rd);
        return -ENOMEM;
    }
    s3_storage_ref(s);
    uv_timer_init(s3_client_loop(s->client), &rd->kick);
    rd->kick.data = rd;
    *out = (struct storage_reader *)rd;
    return 0;
}

static int s3_reader_read(struct storage_reader *sr, storage_read_cb cb, void *arg)
{
    struct s3_reader *rd = (struct s3_reader *)sr;
    rd->cb = cb;
    rd->arg = arg;
    rd->wanted = true;
    uv_timer_start(&rd->kick, reader_kick_cb, 0, 0);
    return 0;
}

static void s3_reader_close(struct storage_reader *sr)
{
    struct s3_reader *rd = (struct s3_reader *)sr;
    if (!rd)
        return;
    if (rd->req)
        s3_request_cancel(rd->req);
    rd->req = NULL;
    rd->wanted = false;
    uv_timer_stop(&rd->kick);
    uv_close((uv_handle_t *)&rd->kick, reader_closed_cb);
}

/* ---- PRESIGN ---- */

static int s3_presign(struct storage *st, const char *method, const char *key, int64_t expire_s,
                      char *url, size_t url_len)
{
    struct s3_storage *s = (struct s3_storage *)st;
    char full[STORAGE_KEY_MAX * 2], path[STORAGE_KEY_MAX * 2 + 80], query[4096];
    if (s3_storage_full_key(s, key, full, sizeof(full)) < 0 ||
        s3_target_sign_path(&s->target, full, path, sizeof(path)) < 0)
        return -ENAMETOOLONG;
    struct s3_param host[] = {{"host", s->target.host}};
    struct s3_sign_input in = {method,
                               path,
                               NULL,
                               0,
                               host,
                               1,
                               S3_UNSIGNED_PAYLOAD,
                               s->target.region,
                               "s3",
                               s->target.access_key,
                               s->target.secret_key,
                               time(NULL)};
    int rc = s3_sigv4_presign(&in, s->target.session_token, expire_s, query, sizeof(query));
    if (rc < 0 || (rc = s3_target_url(&s->target, full, url, url_len)) < 0)
        return rc;
    size_t used = strlen(url);
    if ((size_t)snprintf(url + used, url_len - used, "?%s", query) >= url_len - used)
        return -ENAMETOOLONG;
    return 0;
}

static const struct storage_ops s3_ops = {
    .name = "s3",
    .destroy = s3_destroy,
    .list_start = s3_list_start,
    .list_next = s3_list_next,
    .list_close = s3_list_close,
    .remove = s3_remove,
    .stat = s3_stat,
    .writer_open = s3_writer_open,
    .writer_write = s3_writer_write,
    .writer_finish = s3_writer_finish,
    .writer_abort = s3_writer_abort,
    .reader_open = s3_reader_open,
    .reader_read = s3_reader_read,
    .reader_close = s3_reader_close,
    .last_error = s3_last_error,
    .presign = s3_presign,
};

struct storage *storage_s3_new(struct s3_client *client, const struct s3_target *target)
{
    struct s3_storage *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    if (s3_target_copy(&s->target, target) < 0) {
        free(s);
        return NULL;
    }
    s->base.ops = &s3_ops;
    s->base.remote = true;
    s->client = client;
    s->refs = 1;
    return &s->base;
}
