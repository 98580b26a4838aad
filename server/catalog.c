#include "server/catalog.h"

#include "server/session_time.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CATALOG_FORMAT_VERSION 1

struct catalog_waiter {
    struct catalog_waiter *next;
    uint64_t generation;
    catalog_saved_cb cb;
    void *arg;
};

struct stage_def *stage_def_new(const char *name, enum stage_type type)
{
    struct stage_def *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->name = strdup(name);
    d->type = type;
    d->connection = json_object();
    d->file_format = json_object();
    d->comment = strdup("");
    if (!d->name || !d->connection || !d->file_format || !d->comment) {
        stage_def_free(d);
        return NULL;
    }
    return d;
}

void stage_def_free(struct stage_def *d)
{
    if (!d)
        return;
    free(d->name);
    free(d->url);
    json_decref(d->connection);
    json_decref(d->file_format);
    free(d->comment);
    free(d->creator);
    free(d);
}

void catalog_mask_secret(const char *secret, char *out, size_t out_len)
{
    size_t n = strlen(secret);
    if (n <= 3)
        snprintf(out, out_len, "%s", secret);
    else
        snprintf(out, out_len, "******%s", secret + n - 3);
}

/* ---- lookup ---- */

static size_t lower_bound(const struct catalog *c, const char *name)
{
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(c->stages[mid]->name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

struct stage_def *catalog_find(struct catalog *c, const char *name)
{
    size_t i = lower_bound(c, name);
    return i < c->n && strcmp(c->stages[i]->name, name) == 0 ? c->stages[i] : NULL;
}

int catalog_put(struct catalog *c, struct stage_def *def)
{
    size_t i = lower_bound(c, def->name);
    if (i < c->n && strcmp(c->stages[i]->name, def->name) == 0) {
        stage_def_free(c->stages[i]);
        c->stages[i] = def;
        c->generation++;
        return 0;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        struct stage_def **s = realloc(c->stages, cap * sizeof(*s));
        if (!s)
            return -ENOMEM;
        c->stages = s;
        c->cap = cap;
    }
    memmove(&c->stages[i + 1], &c->stages[i], (c->n - i) * sizeof(*c->stages));
    c->stages[i] = def;
    c->n++;
    c->generation++;
    return 0;
}

struct stage_def *catalog_take(struct catalog *c, const char *name)
{
    size_t i = lower_bound(c, name);
    if (i >= c->n || strcmp(c->stages[i]->name, name) != 0)
        return NULL;
    struct stage_def *d = c->stages[i];
    memmove(&c->stages[i], &c->stages[i + 1], (c->n - i - 1) * sizeof(*c->stages));
    c->n--;
    c->generation++;
    return d;
}

/* ---- JSON ---- */

static void format_time(int64_t us, char *out, size_t len)
{
    time_format_datetime_us(us, 'T', out, len - 1);
    strcat(out, "Z");
}

static int parse_time(const char *s, int64_t *us)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    int frac = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%6dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &frac) != 7)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *us = (int64_t)timegm(&tm) * 1000000 + frac;
    return 0;
}

static json_t *stage_to_json(const struct stage_def *d)
{
    char created[40];
    format_time(d->created_on_us, created, sizeof(created));
    return json_pack("{s:s, s:s, s:s*, s:O, s:O, s:s, s:s*, s:s}", "name", d->name, "type",
                     d->type == STAGE_INTERNAL ? "internal" : "external", "url", d->url,
                     "connection", d->connection, "file_format", d->file_format, "comment",
                     d->comment, "creator", d->creator, "created_on", created);
}

static char *catalog_dump(const struct catalog *c)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < c->n; i++) {
        if (json_array_append_new(arr, stage_to_json(c->stages[i])) < 0) {
            json_decref(arr);
            return NULL;
        }
    }
    json_t *doc = json_pack("{s:i, s:o}", "version", CATALOG_FORMAT_VERSION, "stages", arr);
    if (!doc)
        return NULL;
    char *text = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
    json_decref(doc);
    return text;
}

static struct stage_def *stage_from_json(json_t *j, char *err, size_t err_len)
{
    const char *name, *type, *url = NULL, *comment, *creator = NULL, *created;
    json_t *conn, *ff;
    json_error_t je;
    if (json_unpack_ex(j, &je, JSON_STRICT, "{s:s, s:s, s?s, s:o, s:o, s:s, s?s, s:s}", "name",
                       &name, "type", &type, "url", &url, "connection", &conn, "file_format", &ff,
                       "comment", &comment, "creator", &creator, "created_on", &created) < 0) {
        snprintf(err, err_len, "a stage entry is malformed: %s", je.text);
        return NULL;
    }
    bool internal = strcmp(type, "internal") == 0;
    if ((!internal && strcmp(type, "external") != 0) || !json_is_object(conn) ||
        !json_is_object(ff) || (!internal && !url)) {
        snprintf(err, err_len, "stage '%s' is malformed", name);
        return NULL;
    }
    struct stage_def *d = stage_def_new(name, internal ? STAGE_INTERNAL : STAGE_EXTERNAL);
    if (!d) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    json_decref(d->connection);
    json_decref(d->file_format);
    d->connection = json_incref(conn);
    d->file_format = json_incref(ff);
    free(d->comment);
    d->comment = strdup(comment);
    d->url = url ? strdup(url) : NULL;
    d->creator = creator ? strdup(creator) : NULL;
    if (parse_time(created, &d->created_on_us) < 0 || !d->comment) {
        snprintf(err, err_len, "stage '%s' has a bad created_on", name);
        stage_def_free(d);
        return NULL;
    }
    return d;
}

int catalog_load(struct catalog *c, uv_loop_t *loop, const char *data_dir, char *err,
                 size_t err_len)
{
    memset(c, 0, sizeof(*c));
    c->loop = loop;
    size_t n = strlen(data_dir) + sizeof("/catalog.json.tmp");
    c->path = malloc(n);
    if (!c->path)
        return -ENOMEM;
    snprintf(c->path, n, "%s/catalog.json", data_dir);
    /* A temp file left by a crash was never renamed: it is not the catalog. */
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp", c->path);
    unlink(tmp);
    struct stat st;
    if (stat(c->path, &st) < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, err_len, "cannot read %s: %s", c->path, strerror(errno));
        return -errno;
    }
    json_error_t je;
    json_t *doc = json_load_file(c->path, JSON_REJECT_DUPLICATES, &je);
    if (!doc) {
        snprintf(err, err_len, "cannot load %s: %s (line %d)", c->path, je.text, je.line);
        return -EINVAL;
    }
    json_t *stages;
    int version;
    if (json_unpack_ex(doc, &je, 0, "{s:i, s:o}", "version", &version, "stages", &stages) < 0 ||
        version != CATALOG_FORMAT_VERSION || !json_is_array(stages)) {
        snprintf(err, err_len, "%s is not a stageproxy catalog (version %d)", c->path,
                 CATALOG_FORMAT_VERSION);
        json_decref(doc);
        return -EINVAL;
    }
    size_t i;
    json_t *j;
    json_array_foreach(stages, i, j)
    {
        char why[200];
        struct stage_def *d = stage_from_json(j, why, sizeof(why));
        if (!d || catalog_find(c, d->name) || catalog_put(c, d) < 0) {
            snprintf(err, err_len, "%s: %s", c->path, d ? "duplicate stage" : why);
            stage_def_free(d);
            json_decref(doc);
            return -EINVAL;
        }
    }
    json_decref(doc);
    c->generation = 0;
    return 0;
}

void catalog_free(struct catalog *c)
{
    for (size_t i = 0; i < c->n; i++)
        stage_def_free(c->stages[i]);
    free(c->stages);
    free(c->path);
    free(c->save_text);
    while (c->waiters) {
        struct catalog_waiter *w = c->waiters;
        c->waiters = w->next;
        free(w);
    }
    memset(c, 0, sizeof(*c));
}

/* ---- saving ---- */

static int write_atomically(const char *path, const char *text)
{
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    size_t len = strlen(text), off = 0;
    int rc = 0;
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            break;
        }
        off += (size_t)n;
    }
    if (rc == 0 && fsync(fd) < 0)
        rc = -errno;
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -errno;
    if (rc < 0) {
        unlink(tmp);
        return rc;
    }
    char *dir = strdup(path);
    if (!dir)
        return -ENOMEM;
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) < 0)
        rc = -errno;
    if (dfd >= 0)
        close(dfd);
    free(dir);
    return rc;
}

static void save_work_cb(uv_work_t *w)
{
    struct catalog *c = w->data;
    c->save_status = write_atomically(c->path, c->save_text);
}

static void start_save(struct catalog *c);

static void save_after_cb(uv_work_t *w, int status)
{
    struct catalog *c = w->data;
    int st = status < 0 ? status : c->save_status;
    c->saving = false;
    free(c->save_text);
    c->save_text = NULL;
    /* Everyone whose change is in the saved generation hears the outcome. */
    struct catalog_waiter **pp = &c->waiters, *done = NULL;
    while (*pp) {
        struct catalog_waiter *x = *pp;
        if (x->generation <= c->saving_generation) {
            *pp = x->next;
            x->next = done;
            done = x;
        } else {
            pp = &x->next;
        }
    }
    if (c->waiters)
        start_save(c);
    while (done) {
        struct catalog_waiter *x = done;
        done = x->next;
        x->cb(x->arg, st);
        free(x);
    }
}

static void start_save(struct catalog *c)
{
    c->save_text = catalog_dump(c);
    c->saving_generation = c->generation;
    c->work.data = c;
    int rc = c->save_text ? uv_queue_work(c->loop, &c->work, save_work_cb, save_after_cb) : -ENOMEM;
    c->saving = rc == 0;
    if (rc < 0) {
        c->save_status = rc;
        /* report through the same path, on the next loop turn */
        c->saving = true;
        save_after_cb(&c->work, rc);
    }
}

int catalog_commit(struct catalog *c, catalog_saved_cb cb, void *arg)
{
    struct catalog_waiter *w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->generation = c->generation;
    w->cb = cb;
    w->arg = arg;
    w->next = c->waiters;
    c->waiters = w;
    if (!c->saving)
        start_save(c);
    return 0;
}
