#include "server/catalog.h"

#include "server/log.h"
#include "server/session_time.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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
    free(d->text);
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

static int put_def(struct catalog *c, struct stage_def *def)
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

static struct stage_def *take_def(struct catalog *c, const char *name)
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

/* The journal record of each change goes into `pending`; when one cannot
 * be made, the next save writes a whole snapshot instead. */
static void journal_record(struct catalog *c, const char *op, const char *json)
{
    if (!json) {
        c->need_snapshot = true;
        return;
    }
    buf_printf(&c->pending, "{\"%s\":%s}\n", op, json);
    if (c->pending.oom)
        c->need_snapshot = true;
}

int catalog_put(struct catalog *c, struct stage_def *def)
{
    int rc = put_def(c, def);
    if (rc == 0)
        journal_record(c, "put", catalog_def_text(def) == 0 ? def->text : NULL);
    return rc;
}

struct stage_def *catalog_take(struct catalog *c, const char *name)
{
    struct stage_def *d = take_def(c, name);
    if (d) {
        json_t *j = json_string(name);
        char *quoted = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
        journal_record(c, "drop", quoted);
        free(quoted);
        json_decref(j);
    }
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

int catalog_def_text(struct stage_def *d)
{
    if (!d->text) {
        json_t *j = stage_to_json(d);
        d->text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(j);
    }
    return d->text ? 0 : -ENOMEM;
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

/* One journal record: {"put": stage} or {"drop": "name"}. */
static int apply_record(struct catalog *c, json_t *rec, char *err, size_t err_len)
{
    json_t *put = json_object_get(rec, "put"), *drop = json_object_get(rec, "drop");
    if (json_object_size(rec) != 1 || (!put && !json_is_string(drop))) {
        snprintf(err, err_len, "a record is not a catalog change");
        return -EINVAL;
    }
    if (drop) {
        stage_def_free(take_def(c, json_string_value(drop)));
        return 0;
    }
    struct stage_def *d = stage_from_json(put, err, err_len);
    if (!d)
        return -EINVAL;
    catalog_def_text(d);
    if (put_def(c, d) < 0) {
        stage_def_free(d);
        snprintf(err, err_len, "out of memory");
        return -ENOMEM;
    }
    return 0;
}

/* True when a whole line from `at` on parses as JSON: a damaged record
 * followed by one is damage, not a torn tail. */
static bool whole_record_follows(const char *text, size_t at, size_t len)
{
    while (at < len) {
        const char *end = memchr(text + at, '\n', len - at);
        if (!end)
            return false;
        json_t *j = json_loadb(text + at, (size_t)(end - (text + at)), 0, NULL);
        json_decref(j);
        if (j)
            return true;
        at = (size_t)(end - text) + 1;
    }
    return false;
}

int catalog_replay(struct catalog *c, const char *text, size_t len, size_t *good_len, char *err,
                   size_t err_len)
{
    size_t off = 0;
    while (off < len) {
        const char *nl = memchr(text + off, '\n', len - off);
        if (!nl)
            break; /* torn: its newline never made it */
        size_t line_len = (size_t)(nl - (text + off));
        json_t *rec = json_loadb(text + off, line_len, JSON_REJECT_DUPLICATES, NULL);
        if (!rec) {
            if (!whole_record_follows(text, off + line_len + 1, len))
                break; /* torn */
            snprintf(err, err_len, "the record at byte %zu is damaged", off);
            return -EINVAL;
        }
        char why[200];
        int rc = apply_record(c, rec, why, sizeof(why));
        json_decref(rec);
        if (rc < 0) {
            snprintf(err, err_len, "the record at byte %zu: %s", off, why);
            return rc;
        }
        off += line_len + 1;
    }
    *good_len = off;
    return 0;
}

static int read_whole(int fd, char **out, size_t *out_len)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    char *text = malloc((size_t)st.st_size + 1);
    if (!text)
        return -ENOMEM;
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, text + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            free(text);
            return n < 0 ? -errno : -EIO;
        }
        got += (size_t)n;
    }
    *out = text;
    *out_len = got;
    return 0;
}

/* Replays DATA/catalog.journal and cuts a torn tail off it. */
static int load_journal(struct catalog *c, char *err, size_t err_len)
{
    int fd = open(c->journal_path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, err_len, "cannot open %s: %s", c->journal_path, strerror(errno));
        return -errno;
    }
    char *text = NULL, why[256];
    size_t len = 0, good = 0;
    int rc = read_whole(fd, &text, &len);
    if (rc < 0)
        snprintf(why, sizeof(why), "%s", strerror(-rc));
    else
        rc = catalog_replay(c, text, len, &good, why, sizeof(why));
    free(text);
    if (rc == 0 && good < len) {
        log_warn("%s: cut off %zu bytes of a record left incomplete by a crash", c->journal_path,
                 len - good);
        if (ftruncate(fd, (off_t)good) < 0 || fdatasync(fd) < 0) {
            rc = -errno;
            snprintf(why, sizeof(why), "cannot cut its torn tail: %s", strerror(errno));
        }
    }
    close(fd);
    if (rc < 0) {
        snprintf(err, err_len, "cannot load %s: %s", c->journal_path, why);
        return rc;
    }
    c->journal_size = good;
    c->generation = 0;
    return 0;
}

int catalog_load(struct catalog *c, uv_loop_t *loop, const char *data_dir, char *err,
                 size_t err_len)
{
    memset(c, 0, sizeof(*c));
    c->loop = loop;
    c->journal_fd = -1;
    buf_init(&c->pending);
    buf_init(&c->save);
    size_t n = strlen(data_dir) + sizeof("/catalog.journal");
    c->path = malloc(n);
    c->journal_path = malloc(n);
    if (!c->path || !c->journal_path)
        return -ENOMEM;
    snprintf(c->path, n, "%s/catalog.json", data_dir);
    snprintf(c->journal_path, n, "%s/catalog.journal", data_dir);
    /* A temp file left by a crash was never renamed: it is not the catalog. */
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp", c->path);
    unlink(tmp);
    struct stat st;
    if (stat(c->path, &st) < 0) {
        if (errno == ENOENT)
            return load_journal(c, err, err_len);
        snprintf(err, err_len, "cannot read %s: %s", c->path, strerror(errno));
        return -errno;
    }
    c->snapshot_size = (uint64_t)st.st_size;
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
        if (d)
            catalog_def_text(d); /* now, so that the first snapshot is a copy */
        if (!d || catalog_find(c, d->name) || put_def(c, d) < 0) {
            snprintf(err, err_len, "%s: %s", c->path, d ? "duplicate stage" : why);
            stage_def_free(d);
            json_decref(doc);
            return -EINVAL;
        }
    }
    json_decref(doc);
    return load_journal(c, err, err_len);
}

void catalog_free(struct catalog *c)
{
    for (size_t i = 0; i < c->n; i++)
        stage_def_free(c->stages[i]);
    free(c->stages);
    catalog_save_close(c);
    free(c->path);
    free(c->journal_path);
    buf_free(&c->pending);
    buf_free(&c->save);
    memset(c, 0, sizeof(*c));
}
