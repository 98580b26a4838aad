#include "storage/s3_client.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "storage/s3_xml.h"

#define ERROR_BODY_MAX    8192
#define BACKOFF_BASE_MS   100
#define BACKOFF_CAP_MS    5000
#define CALL_ARENA        6144
#define DOWNLOAD_BUF_SIZE (256 * 1024)
#define UPLOAD_BUF_SIZE   (1024 * 1024)

struct s3_client {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    int in_curl; /* depth of curl calls that may run our callbacks */
    int handles; /* open uv handles: the timer, polls, request timers */
    bool closing;
    struct s3_request *live; /* every request not yet closing */
};

struct poll_ctx {
    uv_poll_t poll;
    curl_socket_t fd;
    struct s3_client *client;
};

enum request_state { REQ_RUNNING, REQ_BACKOFF, REQ_FINISHED };

struct s3_request {
    struct s3_client *client;
    struct s3_request *prev, *next;
    enum request_state state;
    CURL *easy;
    struct curl_slist *header_list;
    uv_timer_t timer; /* backoff, and removal deferred out of curl callbacks */
    bool cancelled;
    bool delivered; /* a body byte went to the data callback: no retry */
    bool paused;
    bool etag_changed; /* the answer's ETag is not the If-Match we sent */
    int attempts;
    const struct s3_target *target; /* borrowed, like the body */
    struct s3_call call;
    char arena[CALL_ARENA];
    size_t arena_used;
    char body_sha[65];
    size_t body_off;
    s3_data_cb data;
    s3_done_cb done;
    void *arg;
    struct s3_response resp;
    char err_body[ERROR_BODY_MAX + 1];
    size_t err_len;
};

/* ---- the multi handle on the loop ---- */

static void client_handle_gone(struct s3_client *c)
{
    if (--c->handles == 0 && c->closing)
        free(c);
}

static void client_timer_closed_cb(uv_handle_t *h)
{
    client_handle_gone(h->data);
}

static void poll_closed_cb(uv_handle_t *h)
{
    struct poll_ctx *ctx = h->data;
    struct s3_client *c = ctx->client;
    free(ctx);
    client_handle_gone(c);
}

static void process_done(struct s3_client *c);

static void socket_action(struct s3_client *c, curl_socket_t fd, int flags)
{
    int running;
    c->in_curl++;
    curl_multi_socket_action(c->multi, fd, flags, &running);
    c->in_curl--;
    if (c->in_curl == 0)
        process_done(c);
}

static void poll_cb(uv_poll_t *p, int status, int events)
{
    struct poll_ctx *ctx = p->data;
    int flags = 0;
    if (status < 0)
        flags = CURL_CSELECT_ERR; /* POLLERR and friends: let curl find out */
    else {
        if (events & UV_READABLE)
            flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE)
            flags |= CURL_CSELECT_OUT;
    }
    socket_action(ctx->client, ctx->fd, flags);
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)easy;
    struct s3_client *c = userp;
    struct poll_ctx *ctx = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (ctx) {
            /* Unwatch now: curl closes the socket right after this returns. */
            uv_poll_stop(&ctx->poll);
            uv_close((uv_handle_t *)&ctx->poll, poll_closed_cb);
            curl_multi_assign(c->multi, fd, NULL);
        }
        return 0;
    }
    if (!ctx) {
        if (c->closing)
            return 0;
        ctx = calloc(1, sizeof(*ctx));
        if (!ctx)
            return -1;
        ctx->fd = fd;
        ctx->client = c;
        if (uv_poll_init_socket(c->loop, &ctx->poll, fd) < 0) {
            free(ctx);
            return -1;
        }
        ctx->poll.data = ctx;
        c->handles++;
        curl_multi_assign(c->multi, fd, ctx);
    }
    int events = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        events |= UV_READABLE;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        events |= UV_WRITABLE;
    uv_poll_start(&ctx->poll, events, poll_cb);
    return 0;
}

static void multi_timer_cb(uv_timer_t *t)
{
    socket_action(t->data, CURL_SOCKET_TIMEOUT, 0);
}

static int timer_func(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    struct s3_client *c = userp;
    if (timeout_ms < 0)
        uv_timer_stop(&c->timer);
    else if (!c->closing) /* 0: run from the loop, never from inside curl */
        uv_timer_start(&c->timer, multi_timer_cb, (uint64_t)timeout_ms, 0);
    return 0;
}

struct s3_client *s3_client_new(uv_loop_t *loop)
{
    static bool global_init;
    if (!global_init) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return NULL;
        global_init = true;
    }
    struct s3_client *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->loop = loop;
    c->multi = curl_multi_init();
    if (!c->multi) {
        free(c);
        return NULL;
    }
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    c->handles = 1;
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_func);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 32L);
    return c;
}

uv_loop_t *s3_client_loop(struct s3_client *c)
{
    return c->loop;
}

/* ---- one request ---- */

static void request_timer_closed_cb(uv_handle_t *h)
{
    struct s3_request *r = h->data;
    struct s3_client *c = r->client;
    free(r);
    client_handle_gone(c);
}

static void detach_easy(struct s3_request *r)
{
    if (r->easy) {
        curl_multi_remove_handle(r->client->multi, r->easy);
        curl_easy_cleanup(r->easy);
        r->easy = NULL;
    }
    curl_slist_free_all(r->header_list);
    r->header_list = NULL;
}

static void unlink_request(struct s3_request *r)
{
    struct s3_client *c = r->client;
    if (r->prev)
        r->prev->next = r->next;
    else if (c->live == r)
        c->live = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->prev = r->next = NULL;
}

/* Frees a request that is out of every curl call. */
static void request_free(struct s3_request *r)
{
    detach_easy(r);
    unlink_request(r);
    r->state = REQ_FINISHED;
    uv_timer_stop(&r->timer);
    uv_close((uv_handle_t *)&r->timer, request_timer_closed_cb);
}

static const char *arena_dup(struct s3_request *r, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    if (r->arena_used + n > sizeof(r->arena))
        return NULL;
    char *p = r->arena + r->arena_used;
    memcpy(p, s, n);
    r->arena_used += n;
    return p;
}

static int copy_call(struct s3_request *r, const struct s3_call *call)
{
    r->call = *call;
    r->call.method = arena_dup(r, call->method);
    r->call.key = call->key ? arena_dup(r, call->key) : NULL;
    bool ok = r->call.method && (!call->key || r->call.key);
    for (size_t i = 0; i < call->nquery && ok; i++) {
        r->call.query[i].name = arena_dup(r, call->query[i].name);
        r->call.query[i].value = arena_dup(r, call->query[i].value ? call->query[i].value : "");
        ok = r->call.query[i].name && r->call.query[i].value;
    }
    for (size_t i = 0; i < call->nheaders && ok; i++) {
        r->call.headers[i].name = arena_dup(r, call->headers[i].name);
        r->call.headers[i].value = arena_dup(r, call->headers[i].value);
        ok = r->call.headers[i].name && r->call.headers[i].value;
    }
    if (!ok)
        return -ENAMETOOLONG;
    if (call->body_sha256)
        snprintf(r->body_sha, sizeof(r->body_sha), "%s", call->body_sha256);
    else
        s3_sha256_hex(call->body ? call->body : "", call->body_len, r->body_sha);
    r->call.body_sha256 = r->body_sha;
    return 0;
}

static size_t read_cb(char *buf, size_t size, size_t n, void *arg)
{
    struct s3_request *r = arg;
    size_t want = size * n, left = r->call.body_len - r->body_off;
    if (r->cancelled)
        return CURL_READFUNC_ABORT;
    if (want > left)
        want = left;
    memcpy(buf, (const char *)r->call.body + r->body_off, want);
    r->body_off += want;
    return want;
}

static int seek_cb(void *arg, curl_off_t offset, int origin)
{
    struct s3_request *r = arg;
    if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > r->call.body_len)
        return CURL_SEEKFUNC_FAIL;
    r->body_off = (size_t)offset;
    return CURL_SEEKFUNC_OK;
}

static const char *if_match_of(const struct s3_request *r)
{
    for (size_t i = 0; i < r->call.nheaders; i++)
        if (strcasecmp(r->call.headers[i].name, "If-Match") == 0)
            return r->call.headers[i].value;
    return NULL;
}

/* Servers that ignore If-Match must not splice two versions of an object. */
static bool etag_matches(const struct s3_request *r)
{
    const char *want = if_match_of(r);
    return !want || strcmp(want, r->resp.etag) == 0;
}

static size_t write_cb(char *data, size_t size, size_t n, void *arg)
{
    struct s3_request *r = arg;
    size_t len = size * n;
    long status = 0;
    if (r->cancelled)
        return 0;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status >= 300 || !r->data) {
        size_t room = ERROR_BODY_MAX - r->err_len;
        size_t take = len < room ? len : room;
        memcpy(r->err_body + r->err_len, data, take);
        r->err_len += take;
        return len;
    }
    if (!r->delivered && !etag_matches(r)) {
        r->etag_changed = true;
        return 0; /* ends the transfer; finish_response says why */
    }
    if (!r->data(r->arg, data, len)) {
        r->paused = true;
        return CURL_WRITEFUNC_PAUSE;
    }
    r->delivered = true;
    return r->cancelled ? 0 : len;
}

static void header_value(const char *line, size_t len, char *out, size_t cap)
{
    const char *colon = memchr(line, ':', len);
    size_t i = colon ? (size_t)(colon - line) + 1 : len;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    size_t end = len;
    while (end > i && (line[end - 1] == '\r' || line[end - 1] == '\n' || line[end - 1] == ' '))
        end--;
    size_t n = end - i < cap - 1 ? end - i : cap - 1;
    memcpy(out, line + i, n);
    out[n] = '\0';
}

static size_t header_cb(char *line, size_t size, size_t n, void *arg)
{
    struct s3_request *r = arg;
    size_t len = size * n;
    char v[128];
    if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) { /* a new answer: forget the last one */
        r->resp.has_length = false;
        r->resp.etag[0] = '\0';
        r->resp.last_modified_ms = -1;
    } else if (len > 15 && strncasecmp(line, "content-length:", 15) == 0) {
        header_value(line, len, v, sizeof(v));
        r->resp.content_length = strtoull(v, NULL, 10);
        r->resp.has_length = true;
    } else if (len > 5 && strncasecmp(line, "etag:", 5) == 0) {
        header_value(line, len, r->resp.etag, sizeof(r->resp.etag));
    } else if (len > 14 && strncasecmp(line, "last-modified:", 14) == 0) {
        header_value(line, len, v, sizeof(v));
        r->resp.last_modified_ms = s3_parse_http_date_ms(v);
    }
    return len;
}

static int add_header(struct s3_request *r, const char *name, const char *value)
{
    char line[4200];
    snprintf(line, sizeof(line), "%s: %s", name, value);
    struct curl_slist *l = curl_slist_append(r->header_list, line);
    if (!l)
        return -ENOMEM;
    r->header_list = l;
    return 0;
}

/* Signs for now and builds the header list. */
static int sign_headers(struct s3_request *r)
{
    const struct s3_target *t = r->target;
    struct s3_param h[S3_CALL_MAX_HEADERS + 4];
    char amz_date[17], path[2048], auth[1024];
    time_t now = time(NULL);
    size_t n = 0;
    s3_amz_date(now, amz_date);
    h[n++] = (struct s3_param){"host", t->host};
    h[n++] = (struct s3_param){"x-amz-content-sha256", r->body_sha};
    h[n++] = (struct s3_param){"x-amz-date", amz_date};
    if (*t->session_token)
        h[n++] = (struct s3_param){"x-amz-security-token", t->session_token};
    for (size_t i = 0; i < r->call.nheaders; i++)
        h[n++] = r->call.headers[i];
    if (s3_target_sign_path(t, r->call.key, path, sizeof(path)) < 0)
        return -ENAMETOOLONG;
    struct s3_sign_input in = {
        r->call.method, path, r->call.query, r->call.nquery, h,  n, r->body_sha,
        t->region,      "s3", t->access_key, t->secret_key,  now};
    int rc = s3_sigv4_authorization(&in, auth, sizeof(auth));
    if (rc < 0)
        return rc;
    curl_slist_free_all(r->header_list);
    r->header_list = NULL;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = add_header(r, h[i].name, h[i].value);
    if (rc == 0)
        rc = add_header(r, "Authorization", auth);
    if (rc == 0) /* no 100-continue round trip */
        rc = add_header(r, "Expect", "");
    return rc;
}

static int build_url(struct s3_request *r, char *url, size_t cap)
{
    char query[4096];
    if (s3_target_url(r->target, r->call.key, url, cap) < 0 ||
        s3_canonical_query(r->call.query, r->call.nquery, query, sizeof(query)) < 0)
        return -ENAMETOOLONG;
    if (*query) {
        size_t used = strlen(url);
        if (snprintf(url + used, cap - used, "?%s", query) >= (int)(cap - used))
            return -ENAMETOOLONG;
    }
    return 0;
}

static int setup_easy(struct s3_request *r)
{
    char url[8192];
    const struct s3_tuning *tu = &r->target->tuning;
    int rc = build_url(r, url, sizeof(url));
    if (rc == 0)
        rc = sign_headers(r);
    if (rc < 0)
        return rc;
    CURL *e = r->easy = curl_easy_init();
    if (!e)
        return -ENOMEM;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->header_list);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, (long)DOWNLOAD_BUF_SIZE);
    curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, (long)UPLOAD_BUF_SIZE);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)tu->timeout_s);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)tu->timeout_s);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    const char *m = r->call.method;
    if (strcmp(m, "PUT") == 0 || strcmp(m, "POST") == 0) {
        r->body_off = 0;
        curl_easy_setopt(e, CURLOPT_READFUNCTION, read_cb);
        curl_easy_setopt(e, CURLOPT_READDATA, r);
        curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, seek_cb);
        curl_easy_setopt(e, CURLOPT_SEEKDATA, r);
        if (strcmp(m, "PUT") == 0) {
            curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
            curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->call.body_len);
        } else {
            curl_easy_setopt(e, CURLOPT_POST, 1L);
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->call.body_len);
        }
    } else if (strcmp(m, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (strcmp(m, "GET") != 0) {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
    }
    return 0;
}

static int attempt(struct s3_request *r)
{
    memset(&r->resp, 0, sizeof(r->resp));
    r->resp.last_modified_ms = -1;
    r->err_len = 0;
    r->paused = false;
    detach_easy(r);
    int rc = setup_easy(r);
    if (rc == 0 && curl_multi_add_handle(r->client->multi, r->easy) != CURLM_OK)
        rc = -ENOMEM;
    if (rc == 0)
        r->state = REQ_RUNNING;
    return rc;
}

/* Fills code and message from an S3 <Error> document. */
static void error_leaf_cb(void *arg, const char *path, const char *text, size_t len)
{
    struct s3_response *resp = arg;
    (void)len;
    if (strcmp(path, "Error/Code") == 0)
        snprintf(resp->code, sizeof(resp->code), "%s", text);
    else if (strcmp(path, "Error/Message") == 0)
        snprintf(resp->message, sizeof(resp->message), "%s", text);
}

static void parse_error_body(struct s3_request *r)
{
    struct s3_xml *x = s3_xml_new(error_leaf_cb, NULL, &r->resp);
    if (x) {
        s3_xml_feed(x, r->err_body, r->err_len, true);
        s3_xml_free(x);
    }
}

static int status_errno(long http)
{
    switch (http) {
    case 404:
        return -ENOENT;
    case 403:
        return -EACCES;
    case 401:
        return -EACCES;
    case 412: /* If-Match: the object is not the one we started on */
        return -ESTALE;
    case 416:
        return -ERANGE;
    default:
        return -EIO;
    }
}

static bool retryable(const struct s3_response *resp, CURLcode cc)
{
    if (cc != CURLE_OK)
        return cc == CURLE_COULDNT_CONNECT || cc == CURLE_OPERATION_TIMEDOUT ||
               cc == CURLE_SEND_ERROR || cc == CURLE_RECV_ERROR || cc == CURLE_GOT_NOTHING ||
               cc == CURLE_PARTIAL_FILE || cc == CURLE_COULDNT_RESOLVE_HOST;
    return resp->http_status >= 500 || strcmp(resp->code, "SlowDown") == 0 ||
           strcmp(resp->code, "RequestTimeout") == 0;
}

static void finish_response(struct s3_request *r, CURLcode cc)
{
    struct s3_response *resp = &r->resp;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &resp->http_status);
    resp->attempts = ++r->attempts;
    if (r->etag_changed) {
        resp->status = -ESTALE;
        resp->http_status = 412;
        snprintf(resp->code, sizeof(resp->code), "PreconditionFailed");
        snprintf(resp->message, sizeof(resp->message),
                 "the object changed while it was read (ETag %s, now %s)", if_match_of(r),
                 resp->etag);
    } else if (cc != CURLE_OK) {
        resp->status = cc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT
                       : cc == CURLE_COULDNT_CONNECT  ? -ECONNREFUSED
                                                      : -EIO;
        resp->http_status = 0;
        snprintf(resp->code, sizeof(resp->code), "%s",
                 cc == CURLE_OPERATION_TIMEDOUT ? "Timeout" : "ConnectionError");
        snprintf(resp->message, sizeof(resp->message), "%s", curl_easy_strerror(cc));
    } else if (resp->http_status < 200 || resp->http_status >= 300) {
        resp->status = status_errno(resp->http_status);
        parse_error_body(r);
        if (!*resp->code)
            snprintf(resp->code, sizeof(resp->code), "%s",
                     resp->http_status == 404 ? "NoSuchKey" : "HTTPError");
        if (!*resp->message)
            snprintf(resp->message, sizeof(resp->message), "HTTP status %ld", resp->http_status);
    }
}

static unsigned backoff_ms(int attempt_no)
{
    unsigned cap = BACKOFF_BASE_MS << (attempt_no < 6 ? attempt_no : 6);
    if (cap > BACKOFF_CAP_MS)
        cap = BACKOFF_CAP_MS;
    unsigned rnd = 0;
    RAND_bytes((unsigned char *)&rnd, sizeof(rnd));
    return cap / 2 + rnd % (cap / 2 + 1); /* half fixed, half jitter */
}

/* Frees the request, then tells its owner (who may start another). */
static void complete(struct s3_request *r)
{
    struct s3_response resp = r->resp;
    s3_done_cb done = r->done;
    void *arg = r->arg;
    request_free(r);
    done(arg, &resp);
}

static void retry_timer_cb(uv_timer_t *t)
{
    struct s3_request *r = t->data;
    int rc = attempt(r);
    if (rc < 0) {
        r->resp.status = rc;
        snprintf(r->resp.code, sizeof(r->resp.code), "ClientError");
        snprintf(r->resp.message, sizeof(r->resp.message), "%s", strerror(-rc));
        complete(r);
    }
}

static void request_done(struct s3_request *r, CURLcode cc)
{
    finish_response(r, cc);
    if (r->resp.status < 0 && !r->delivered && retryable(&r->resp, cc) &&
        r->attempts <= r->target->tuning.retries) {
        detach_easy(r);
        r->state = REQ_BACKOFF;
        uv_timer_start(&r->timer, retry_timer_cb, backoff_ms(r->attempts - 1), 0);
        return;
    }
    complete(r);
}

static void process_done(struct s3_client *c)
{
    CURLMsg *msg;
    int left;
    while (c->multi && (msg = curl_multi_info_read(c->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURLcode cc = msg->data.result; /* msg does not survive remove_handle */
        struct s3_request *r = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        if (r->cancelled)
            request_free(r);
        else
            request_done(r, cc);
    }
}

struct s3_request *s3_request_start(struct s3_client *c, const struct s3_target *t,
                                    const struct s3_call *call, s3_data_cb data, s3_done_cb done,
                                    void *arg)
{
    if (c->closing)
        return NULL;
    struct s3_request *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->client = c;
    r->data = data;
    r->done = done;
    r->arg = arg;
    r->target = t;
    if (copy_call(r, call) < 0) {
        free(r);
        return NULL;
    }
    uv_timer_init(c->loop, &r->timer);
    r->timer.data = r;
    c->handles++;
    r->next = c->live;
    if (c->live)
        c->live->prev = r;
    c->live = r;
    if (attempt(r) < 0) {
        request_free(r);
        return NULL;
    }
    return r;
}

void s3_request_resume(struct s3_request *r)
{
    if (!r->paused || r->state != REQ_RUNNING || r->cancelled)
        return;
    r->paused = false;
    r->client->in_curl++;
    curl_easy_pause(r->easy, CURLPAUSE_CONT); /* may hand over data at once */
    r->client->in_curl--;
}

static void deferred_free_cb(uv_timer_t *t)
{
    request_free(t->data);
}

void s3_request_cancel(struct s3_request *r)
{
    if (r->cancelled || r->state == REQ_FINISHED)
        return;
    r->cancelled = true;
    if (r->client->in_curl) /* curl is on the stack: let it unwind first */
        uv_timer_start(&r->timer, deferred_free_cb, 0, 0);
    else
        request_free(r);
}

void s3_client_close(struct s3_client *c)
{
    if (!c || c->closing)
        return;
    c->closing = true;
    while (c->live) {
        struct s3_request *r = c->live;
        if (r->cancelled) {
            request_free(r);
            continue;
        }
        r->resp.status = -ECANCELED;
        snprintf(r->resp.code, sizeof(r->resp.code), "Cancelled");
        snprintf(r->resp.message, sizeof(r->resp.message), "the server is shutting down");
        complete(r); /* s3_request_start refuses while closing */
    }
    curl_multi_cleanup(c->multi); /* closes cached connections through socket_cb */
    c->multi = NULL;
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, client_timer_closed_cb);
}

void s3_response_describe(const struct s3_response *r, char *out, size_t cap)
{
    if (r->http_status)
        snprintf(out, cap, "S3 error %s (HTTP %ld): %s", r->code, r->http_status, r->message);
    else
        snprintf(out, cap, "S3 endpoint unreachable (%s after %d attempt%s): %s", r->code,
                 r->attempts, r->attempts == 1 ? "" : "s", r->message);
}
