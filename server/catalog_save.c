/* Making catalog changes durable: each save appends the journal records of
 * the changes made since the last one (one fdatasync for all of them: group
 * commit), or, once the journal has grown past the snapshot, writes a new
 * snapshot and empties the journal. Saves run one at a time on the
 * threadpool; the loop only copies text. */
#include "server/catalog.h"

#include "storage/file_io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The journal may grow to the snapshot's size, and to this much at least,
 * before a snapshot replaces it: a snapshot's cost is spread over as many
 * bytes of records. */
#define JOURNAL_MIN_BYTES (64 * 1024)

struct catalog_waiter {
    struct catalog_waiter *next;
    uint64_t generation;
    catalog_saved_cb cb;
    void *arg;
};

static int write_atomically(const char *path, const struct buf *text)
{
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    int rc = file_write_all(fd, text->data, text->len);
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
    return file_fsync_parent_dir(path);
}

/* The snapshot replaced the journal's records: empty it. */
static int empty_journal(struct catalog *c)
{
    int fd = c->journal_fd >= 0 ? c->journal_fd : open(c->journal_path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -errno;
    int rc = ftruncate(fd, 0) < 0 || fdatasync(fd) < 0 ? -errno : 0;
    if (fd != c->journal_fd)
        close(fd);
    return rc;
}

static int append_journal(struct catalog *c)
{
    if (c->journal_fd < 0) {
        bool existed = access(c->journal_path, F_OK) == 0;
        c->journal_fd = open(c->journal_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (c->journal_fd < 0)
            return -errno;
        /* a new file's name must be durable before its records count */
        int rc = existed ? 0 : file_fsync_parent_dir(c->journal_path);
        if (rc < 0)
            return rc;
    }
    int rc = file_write_all(c->journal_fd, c->save.data, c->save.len);
    if (rc == 0 && fdatasync(c->journal_fd) < 0)
        rc = -errno;
    /* what did reach the file must not sit before the next records */
    if (rc < 0 && ftruncate(c->journal_fd, (off_t)c->journal_size) < 0) {
        close(c->journal_fd);
        c->journal_fd = -1;
    }
    return rc;
}

static void save_work_cb(uv_work_t *w)
{
    struct catalog *c = w->data;
    if (c->save_is_snapshot) {
        c->save_status = write_atomically(c->path, &c->save);
        if (c->save_status == 0)
            c->save_status = empty_journal(c);
    } else {
        c->save_status = append_journal(c);
    }
}

/* catalog.json as the loader reads it, from each stage's own text. */
static int build_snapshot(struct catalog *c, struct buf *out)
{
    buf_printf(out, "{\"version\": %d, \"stages\": [", CATALOG_FORMAT_VERSION);
    for (size_t i = 0; i < c->n; i++) {
        if (catalog_def_text(c->stages[i]) < 0)
            return -ENOMEM;
        buf_append_str(out, i ? ",\n" : "\n");
        buf_append_str(out, c->stages[i]->text);
    }
    buf_append_str(out, "\n]}\n");
    return out->oom ? -ENOMEM : 0;
}

static void start_save(struct catalog *c);

static void save_after_cb(uv_work_t *w, int status)
{
    struct catalog *c = w->data;
    int st = status < 0 ? status : c->save_status;
    c->saving = false;
    if (st < 0) {
        c->need_snapshot = true; /* whatever the files hold now, rewrite them whole */
    } else if (c->save_is_snapshot) {
        c->snapshot_size = c->save.len;
        c->journal_size = 0;
    } else {
        c->journal_size += c->save.len;
    }
    buf_reset(&c->save);
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
    uint64_t limit = c->snapshot_size > JOURNAL_MIN_BYTES ? c->snapshot_size : JOURNAL_MIN_BYTES;
    c->save_is_snapshot = c->need_snapshot || c->journal_size + c->pending.len > limit;
    buf_reset(&c->save);
    int rc = 0;
    if (c->save_is_snapshot) {
        c->need_snapshot = false;
        rc = build_snapshot(c, &c->save);
    } else { /* the pending records are the save */
        struct buf t = c->save;
        c->save = c->pending;
        c->pending = t;
    }
    buf_reset(&c->pending); /* a snapshot holds them too */
    c->saving_generation = c->generation;
    c->work.data = c;
    if (rc == 0)
        rc = uv_queue_work(c->loop, &c->work, save_work_cb, save_after_cb);
    c->saving = true;
    if (rc < 0) {
        /* reported through the same path */
        c->save_status = rc;
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

void catalog_save_close(struct catalog *c)
{
    while (c->waiters) {
        struct catalog_waiter *x = c->waiters;
        c->waiters = x->next;
        free(x);
    }
    if (c->journal_fd >= 0)
        close(c->journal_fd);
    c->journal_fd = -1;
}
