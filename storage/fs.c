#define _GNU_SOURCE /* sync_file_range */
#include "storage/fs.h"

#include "storage/file_io.h"
#include "storage/fs_internal.h"
#include "storage/fs_md5.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK (64 * 1024)

struct fs_storage *fs_ref(struct storage *st)
{
    struct fs_storage *fs = (struct fs_storage *)st;
    fs->refs++;
    return fs;
}

void fs_unref(struct fs_storage *fs)
{
    if (!fs || --fs->refs > 0)
        return;
    free(fs->root);
    free(fs->tmp_dir);
    free(fs);
}

char *fs_path_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *p = malloc(la + lb + 2);
    if (!p)
        return NULL;
    memcpy(p, a, la);
    p[la] = '/';
    memcpy(p + la + 1, b, lb + 1);
    return p;
}

int fs_fill_entry(struct storage_entry *e, const char *key, const struct stat *st, char *etag)
{
    e->key = strdup(key);
    e->size = (uint64_t)st->st_size;
    e->mtime_ms = (int64_t)st->st_mtim.tv_sec * 1000 + st->st_mtim.tv_nsec / 1000000;
    e->etag = etag;
    if (e->key)
        return 0;
    free(etag);
    e->etag = NULL;
    return -ENOMEM;
}

/* ---- small requests: stat and remove ---- */

struct fs_req {
    uv_work_t work;
    struct fs_storage *fs;
    char **keys;
    size_t n;
    int status;
    struct storage_entry entry;
    bool found;
    storage_done_cb done_cb;
    storage_stat_cb stat_cb;
    void *arg;
};

static void req_free(struct fs_req *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->keys[i]);
    free(r->keys);
    storage_entries_free(&r->entry, r->found ? 1 : 0);
    fs_unref(r->fs);
    free(r);
}

/* Directories a removal leaves empty go, up to the stage's root itself:
 * the next write makes them again. */
static void remove_empty_parents(const char *root, char *path)
{
    size_t root_len = strlen(root);
    for (;;) {
        char *slash = strrchr(path, '/');
        if (!slash || (size_t)(slash - path) < root_len)
            return;
        *slash = 0;
        if (rmdir(path) < 0)
            return;
    }
}

static void remove_work_cb(uv_work_t *w)
{
    struct fs_req *r = w->data;
    for (size_t i = 0; i < r->n; i++) {
        char *path = fs_path_join(r->fs->root, r->keys[i]);
        if (!path) {
            r->status = -ENOMEM;
            continue;
        }
        if (unlink(path) < 0) {
            if (errno != ENOENT && r->status == 0)
                r->status = -errno;
        } else {
            remove_empty_parents(r->fs->root, path);
        }
        free(path);
    }
}

static void done_after_cb(uv_work_t *w, int status)
{
    struct fs_req *r = w->data;
    r->done_cb(r->arg, status < 0 ? status : r->status);
    req_free(r);
}

static int fs_remove(struct storage *st, char *const *keys, size_t n, storage_done_cb cb, void *arg)
{
    for (size_t i = 0; i < n; i++)
        if (storage_key_check(keys[i], strlen(keys[i])) < 0)
            return -EINVAL;
    struct fs_req *r = calloc(1, sizeof(*r));
    if (!r || !(r->keys = calloc(n ? n : 1, sizeof(char *)))) {
        free(r);
        return -ENOMEM;
    }
    r->fs = fs_ref(st);
    r->done_cb = cb;
    r->arg = arg;
    for (; r->n < n; r->n++) {
        if (!(r->keys[r->n] = strdup(keys[r->n]))) {
            req_free(r);
            return -ENOMEM;
        }
    }
    r->work.data = r;
    int rc = uv_queue_work(r->fs->loop, &r->work, remove_work_cb, done_after_cb);
    if (rc < 0)
        req_free(r);
    return rc;
}

static void stat_work_cb(uv_work_t *w)
{
    struct fs_req *r = w->data;
    char *path = fs_path_join(r->fs->root, r->keys[0]);
    struct stat st;
    if (!path)
        r->status = -ENOMEM;
    else if (lstat(path, &st) < 0)
        r->status = -errno;
    else if (!S_ISREG(st.st_mode))
        r->status = -ENOENT;
    else if (fs_fill_entry(&r->entry, r->keys[0], &st, fs_md5_etag_of(path, &st)) < 0)
        r->status = -ENOMEM;
    else
        r->found = true;
    free(path);
}

static void stat_after_cb(uv_work_t *w, int status)
{
    struct fs_req *r = w->data;
    r->stat_cb(r->arg, status < 0 ? status : r->status, r->found ? &r->entry : NULL);
    req_free(r);
}

static int fs_stat(struct storage *st, const char *key, storage_stat_cb cb, void *arg)
{
    if (storage_key_check(key, strlen(key)) < 0)
        return -EINVAL;
    struct fs_req *r = calloc(1, sizeof(*r));
    if (!r || !(r->keys = calloc(1, sizeof(char *))) || !(r->keys[0] = strdup(key))) {
        if (r)
            free(r->keys);
        free(r);
        return -ENOMEM;
    }
    r->n = 1;
    r->fs = fs_ref(st);
    r->stat_cb = cb;
    r->arg = arg;
    r->work.data = r;
    int rc = uv_queue_work(r->fs->loop, &r->work, stat_work_cb, stat_after_cb);
    if (rc < 0)
        req_free(r);
    return rc;
}

/* ---- writer: temp file, fsync + rename + dir fsync; the MD5 comes after ---- */

enum writer_op { W_WRITE, W_FINISH, W_ABORT };

struct storage_writer {
    uv_work_t work;
    uint64_t written;
    struct fs_storage *fs;
    char *key;
    char *tmp_path;
    int fd;         /* after a commit, the file's, for hashing it */
    struct stat st; /* the file as committed */
    const void *data;
    size_t len;
    enum writer_op op;
    int status;
    bool busy, aborted;
    storage_done_cb cb;
    void *arg;
};

/* On the loop thread: OpenSSL's random state is per thread, and the
 * threadpool's threads never exit to free theirs. */
static int writer_name_tmp(struct storage_writer *w)
{
    unsigned char rnd[12];
    char name[64];
    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        return -EIO;
    int n = snprintf(name, sizeof(name), "upload-");
    for (size_t i = 0; i < sizeof(rnd); i++)
        n += snprintf(name + n, sizeof(name) - (size_t)n, "%02x", rnd[i]);
    snprintf(name + n, sizeof(name) - (size_t)n, ".tmp");
    w->tmp_path = fs_path_join(w->fs->tmp_dir, name);
    return w->tmp_path ? 0 : -ENOMEM;
}

static int writer_open_tmp(struct storage_writer *w)
{
    if (w->fd >= 0)
        return 0;
    /* read-write: the MD5 is read back from it after the commit */
    w->fd = open(w->tmp_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    return w->fd < 0 ? -errno : 0;
}

static int mkdirs_for(const char *root, char *path)
{
    /* creates every directory between root and the file's parent */
    size_t root_len = strlen(root);
    for (char *p = path + root_len + 1; (p = strchr(p, '/')); p++) {
        *p = 0;
        int rc = mkdir(path, 0755);
        int e = errno;
        *p = '/';
        if (rc < 0 && e != EEXIST)
            return -e;
    }
    return 0;
}

static int writer_commit(struct storage_writer *w)
{
    int rc = writer_open_tmp(w);
    if (rc < 0)
        return rc;
    if (fstat(w->fd, &w->st) < 0)
        return -errno;
    /* before the fsync: a crash after the answer leaves the mark durable,
     * and the first reader hashes the file */
    fs_md5_mark_pending(w->fd, &w->st);
    if (fsync(w->fd) < 0)
        return -errno;
    char *final = fs_path_join(w->fs->root, w->key);
    if (!final)
        return -ENOMEM;
    /* A REMOVE or DROP on another thread prunes directories left empty,
     * the stage's own included: one may vanish between mkdir and rename. */
    for (int attempt = 0; attempt < 8; attempt++) {
        rc = mkdir(w->fs->root, 0755) < 0 && errno != EEXIST ? -errno : 0;
        if (rc == 0)
            rc = mkdirs_for(w->fs->root, final);
        if (rc == 0 && rename(w->tmp_path, final) < 0)
            rc = -errno;
        if (rc != -ENOENT)
            break;
    }
    if (rc == 0)
        rc = file_fsync_parent_dir(final);
    free(final);
    return rc;
}

static void writer_discard(struct storage_writer *w)
{
    if (w->fd >= 0) {
        close(w->fd);
        w->fd = -1;
    }
    if (w->tmp_path)
        unlink(w->tmp_path); /* after a rename it is gone already */
}

static void writer_work_cb(uv_work_t *work)
{
    struct storage_writer *w = work->data;
    switch (w->op) {
    case W_WRITE:
        w->status = writer_open_tmp(w);
        if (w->status == 0)
            w->status = file_write_all(w->fd, w->data, w->len);
        if (w->status == 0) {
            /* start writeback now, so the fsync at the end finds little left */
            sync_file_range(w->fd, (off_t)w->written, (off_t)w->len, SYNC_FILE_RANGE_WRITE);
            w->written += w->len;
        }
        break;
    case W_FINISH:
        w->status = writer_commit(w);
        if (w->status < 0)
            writer_discard(w);
        break;
    case W_ABORT:
        writer_discard(w);
        break;
    }
}

static void writer_free(struct storage_writer *w)
{
    if (w->fd >= 0)
        close(w->fd);
    free(w->tmp_path);
    free(w->key);
    fs_unref(w->fs);
    free(w);
}

static void writer_after_cb(uv_work_t *work, int status)
{
    struct storage_writer *w = work->data;
    if (status < 0 && w->status == 0)
        w->status = status;
    w->busy = false;
    if (w->aborted && w->op != W_ABORT) {
        w->op = W_ABORT; /* the caller gave up while we were working */
        w->busy = true;
        if (uv_queue_work(w->fs->loop, &w->work, writer_work_cb, writer_after_cb) == 0)
            return;
        writer_discard(w);
        writer_free(w);
        return;
    }
    if (w->op == W_ABORT) {
        writer_free(w);
        return;
    }
    storage_done_cb cb = w->cb;
    void *arg = w->arg;
    int st = w->status;
    if (w->op == W_FINISH) {
        if (st == 0) {
            fs_md5_queue(w->fs->loop, w->fd, &w->st);
            w->fd = -1;
        }
        writer_free(w);
    }
    cb(arg, st);
}

static int writer_queue(struct storage_writer *w, enum writer_op op, storage_done_cb cb, void *arg)
{
    if (w->busy)
        return -EBUSY;
    w->op = op;
    w->cb = cb;
    w->arg = arg;
    w->busy = true;
    w->work.data = w;
    int rc = uv_queue_work(w->fs->loop, &w->work, writer_work_cb, writer_after_cb);
    if (rc < 0)
        w->busy = false;
    return rc;
}

static int fs_writer_open(struct storage *st, const char *key, struct storage_writer **out)
{
    if (storage_key_check(key, strlen(key)) < 0)
        return -EINVAL;
    struct storage_writer *w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->fs = fs_ref(st);
    w->fd = -1;
    w->key = strdup(key);
    if (!w->key || writer_name_tmp(w) < 0) {
        writer_free(w);
        return -ENOMEM;
    }
    *out = w;
    return 0;
}

static int fs_writer_write(struct storage_writer *w, const void *data, size_t len,
                           storage_done_cb cb, void *arg)
{
    w->data = data;
    w->len = len;
    return writer_queue(w, W_WRITE, cb, arg);
}

static int fs_writer_finish(struct storage_writer *w, storage_done_cb cb, void *arg)
{
    return writer_queue(w, W_FINISH, cb, arg);
}

static void fs_writer_abort(struct storage_writer *w)
{
    if (w->busy) {
        w->aborted = true;
        return;
    }
    w->op = W_ABORT;
    w->busy = true;
    w->work.data = w;
    if (uv_queue_work(w->fs->loop, &w->work, writer_work_cb, writer_after_cb) < 0) {
        writer_discard(w);
        writer_free(w);
    }
}

/* ---- reader ---- */

struct storage_reader {
    uv_work_t work;
    struct fs_storage *fs;
    char *key;
    int fd;
    uint64_t offset, left;
    char *buf;
    size_t got;
    int status;
    bool busy, closed;
    storage_read_cb cb;
    void *arg;
};

static void reader_work_cb(uv_work_t *work)
{
    struct storage_reader *r = work->data;
    r->got = 0;
    if (r->fd < 0) {
        char *path = fs_path_join(r->fs->root, r->key);
        r->fd = path ? open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
        if (r->fd < 0) {
            r->status = path ? -errno : -ENOMEM;
            free(path);
            return;
        }
        free(path);
    }
    size_t want = r->left < READ_CHUNK ? (size_t)r->left : READ_CHUNK;
    ssize_t n = want ? pread(r->fd, r->buf, want, (off_t)r->offset) : 0;
    if (n < 0) {
        r->status = -errno;
        return;
    }
    r->got = (size_t)n;
    r->offset += (uint64_t)n;
    r->left = n == 0 ? 0 : r->left - (uint64_t)n;
}

static void reader_free(struct storage_reader *r)
{
    if (r->fd >= 0)
        close(r->fd);
    free(r->buf);
    free(r->key);
    fs_unref(r->fs);
    free(r);
}

static void reader_after_cb(uv_work_t *work, int status)
{
    struct storage_reader *r = work->data;
    r->busy = false;
    if (r->closed) {
        reader_free(r);
        return;
    }
    int st = status < 0 ? status : r->status;
    r->cb(r->arg, st, r->buf, r->got, st < 0 || r->left == 0 || r->got == 0);
}

static int fs_reader_open(struct storage *st, const char *key, uint64_t offset, uint64_t length,
                          struct storage_reader **out)
{
    if (storage_key_check(key, strlen(key)) < 0)
        return -EINVAL;
    struct storage_reader *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->fs = fs_ref(st);
    r->fd = -1;
    r->offset = offset;
    r->left = length;
    r->key = strdup(key);
    r->buf = malloc(READ_CHUNK);
    if (!r->key || !r->buf) {
        reader_free(r);
        return -ENOMEM;
    }
    *out = r;
    return 0;
}

static int fs_reader_read(struct storage_reader *r, storage_read_cb cb, void *arg)
{
    if (r->busy)
        return -EBUSY;
    r->cb = cb;
    r->arg = arg;
    r->busy = true;
    r->work.data = r;
    int rc = uv_queue_work(r->fs->loop, &r->work, reader_work_cb, reader_after_cb);
    if (rc < 0)
        r->busy = false;
    return rc;
}

static void fs_reader_close(struct storage_reader *r)
{
    if (r->busy)
        r->closed = true;
    else
        reader_free(r);
}

/* ---- the driver ---- */

static void fs_destroy(struct storage *st)
{
    fs_unref((struct fs_storage *)st);
}

static const struct storage_ops fs_ops = {
    .name = "fs",
    .destroy = fs_destroy,
    .list_start = fs_list_start,
    .list_next = fs_list_next,
    .list_close = fs_list_close,
    .remove = fs_remove,
    .stat = fs_stat,
    .writer_open = fs_writer_open,
    .writer_write = fs_writer_write,
    .writer_finish = fs_writer_finish,
    .writer_abort = fs_writer_abort,
    .reader_open = fs_reader_open,
    .reader_read = fs_reader_read,
    .reader_close = fs_reader_close,
    .presign = NULL, /* local stages are presigned by our own HTTP listener */
};

struct storage *storage_fs_new(uv_loop_t *loop, const char *root, const char *tmp_dir)
{
    struct fs_storage *fs = calloc(1, sizeof(*fs));
    if (!fs)
        return NULL;
    fs->base.ops = &fs_ops;
    fs->refs = 1;
    fs->loop = loop;
    fs->root = strdup(root);
    fs->tmp_dir = strdup(tmp_dir);
    if (!fs->root || !fs->tmp_dir) {
        fs_destroy(&fs->base);
        return NULL;
    }
    return &fs->base;
}
