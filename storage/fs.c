#define _GNU_SOURCE /* sync_file_range */
#include "storage/fs.h"

#include "storage/file_io.h"
#include "storage/fs_md5.h"

#include <dirent.h>
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

struct fs_storage {
    struct storage base;
    uv_loop_t *loop;
    char *root;
    char *tmp_dir;
    int refs; /* the owner's, and one per open listing, request, writer and reader */
};

static struct fs_storage *fs_ref(struct storage *st)
{
    struct fs_storage *fs = (struct fs_storage *)st;
    fs->refs++;
    return fs;
}

static void fs_unref(struct fs_storage *fs)
{
    if (!fs || --fs->refs > 0)
        return;
    free(fs->root);
    free(fs->tmp_dir);
    free(fs);
}

static char *path_join(const char *a, const char *b)
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

static int fill_entry(struct storage_entry *e, const char *key, const struct stat *st, char *etag)
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

/* ---- listing: a depth-first walk, each directory sorted, so keys come
 * out in byte order with memory bounded by the deepest path. Reading a
 * directory (names, stats, MD5 attributes) is the expensive part: it runs
 * on the threadpool, a few directories ahead of the walk, which itself runs
 * on the loop and only moves names around. ---- */

#define LIST_SCAN_AHEAD 4 /* directories read ahead of the walk, at most */

struct fs_dirent {
    char *name;
    char *etag; /* read with the scan, while the directory is open */
    bool is_dir;
    bool scan_queued; /* a directory the walk has asked to be read ahead */
    struct stat st;   /* from the directory scan: no second stat per file */
};

struct fs_level {
    char *rel; /* "" or "dir/sub/" */
    struct fs_dirent *ents;
    size_t n, next;
    size_t ahead; /* entries before this one were looked at for read-ahead */
};

struct fs_scan {
    uv_work_t work;
    struct storage_list *l;
    char *root;
    char *rel;
    char *filter; /* a name prefix, for the first directory only */
    struct fs_level lv;
    int status;
    bool done;
};

struct storage_list {
    struct fs_storage *fs;
    storage_page_cb cb;
    void *arg;
    char *prefix;
    struct fs_level *stack;
    size_t depth, cap;
    struct fs_scan *scans[LIST_SCAN_AHEAD]; /* queued or finished, not yet walked into */
    int scans_running;
    struct storage_entry *page; /* handed out, valid until the next call */
    size_t n;
    struct storage_entry *spare; /* being filled by the walk */
    size_t spare_n;
    int status;
    bool started, done, closed;
    bool waiting; /* the consumer asked for a page */
    bool pumping; /* delivering: a list_next from the callback only sets waiting */
};

/* Directories sort as "name/": "a.txt" < "a/b" as in byte order of keys. */
static int dirent_char(const struct fs_dirent *d, size_t len, size_t i)
{
    if (i < len)
        return (unsigned char)d->name[i];
    return i == len && d->is_dir ? '/' : -1;
}

static int dirent_cmp(const void *x, const void *y)
{
    const struct fs_dirent *a = x, *b = y;
    size_t la = strlen(a->name), lb = strlen(b->name);
    for (size_t i = 0;; i++) {
        int ca = dirent_char(a, la, i), cb = dirent_char(b, lb, i);
        if (ca != cb)
            return ca < cb ? -1 : 1;
        if (ca == -1 || (i >= la && i >= lb))
            return 0;
    }
}

static void level_free(struct fs_level *lv)
{
    for (size_t i = 0; i < lv->n; i++) {
        free(lv->ents[i].name);
        free(lv->ents[i].etag);
    }
    free(lv->ents);
    free(lv->rel);
    memset(lv, 0, sizeof(*lv));
}

static int level_add(struct fs_level *lv, size_t *cap, int dfd, const char *dir, const char *name)
{
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return 0;
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
        return 0; /* symlinks and devices are never followed */
    if (storage_key_check(name, strlen(name)) < 0)
        return 0; /* a name no key can address */
    if (lv->n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        struct fs_dirent *e = realloc(lv->ents, *cap * sizeof(*e));
        if (!e)
            return -ENOMEM;
        lv->ents = e;
    }
    struct fs_dirent *e = &lv->ents[lv->n];
    memset(e, 0, sizeof(*e));
    e->name = strdup(name);
    e->etag = S_ISREG(st.st_mode) ? fs_md5_etag_at(dfd, dir, name, &st) : NULL;
    e->is_dir = S_ISDIR(st.st_mode);
    e->st = st;
    lv->n++;
    return e->name ? 0 : -ENOMEM;
}

/* Reads and sorts one directory (threadpool); ENOENT is an empty one. */
static int scan_dir(const char *root, const char *rel, const char *filter, struct fs_level *lv)
{
    memset(lv, 0, sizeof(*lv));
    char *dir = path_join(root, rel);
    lv->rel = strdup(rel);
    if (!dir || !lv->rel) {
        free(dir);
        return -ENOMEM;
    }
    DIR *d = opendir(dir);
    if (!d) {
        int e = errno;
        free(dir);
        return e == ENOENT || e == ENOTDIR ? 0 : -e;
    }
    size_t cap = 0, flen = filter ? strlen(filter) : 0;
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (flen && strncmp(de->d_name, filter, flen) != 0)
            continue;
        rc = level_add(lv, &cap, dirfd(d), dir, de->d_name);
    }
    closedir(d);
    free(dir);
    if (rc == 0 && lv->n > 1)
        qsort(lv->ents, lv->n, sizeof(*lv->ents), dirent_cmp);
    return rc;
}

static void scan_work_cb(uv_work_t *w)
{
    struct fs_scan *sc = w->data;
    sc->status = scan_dir(sc->root, sc->rel, sc->filter, &sc->lv);
}

static void scan_free(struct fs_scan *sc)
{
    level_free(&sc->lv);
    free(sc->filter);
    free(sc->rel);
    free(sc->root);
    free(sc);
}

static void list_free(struct storage_list *l)
{
    storage_entries_free(l->page, l->n);
    storage_entries_free(l->spare, l->spare_n);
    while (l->depth > 0)
        level_free(&l->stack[--l->depth]);
    for (int i = 0; i < LIST_SCAN_AHEAD; i++)
        if (l->scans[i])
            scan_free(l->scans[i]);
    free(l->stack);
    free(l->page);
    free(l->spare);
    free(l->prefix);
    fs_unref(l->fs);
    free(l);
}

static void list_pump(struct storage_list *l);

static void scan_after_cb(uv_work_t *w, int status)
{
    struct fs_scan *sc = w->data;
    struct storage_list *l = sc->l;
    sc->done = true;
    if (status < 0 && sc->status == 0)
        sc->status = status;
    l->scans_running--;
    if (l->closed) {
        if (l->scans_running == 0)
            list_free(l);
        return;
    }
    list_pump(l);
}

/* Queues the read of directory `rel`; -1 when the read-ahead is full. */
static int scan_queue(struct storage_list *l, const char *rel, const char *filter)
{
    int slot = -1;
    for (int i = 0; i < LIST_SCAN_AHEAD && slot < 0; i++)
        if (!l->scans[i])
            slot = i;
    if (slot < 0)
        return -1;
    struct fs_scan *sc = calloc(1, sizeof(*sc));
    if (!sc || !(sc->root = strdup(l->fs->root)) || !(sc->rel = strdup(rel)) ||
        (filter && !(sc->filter = strdup(filter)))) {
        if (sc)
            scan_free(sc);
        l->status = -ENOMEM;
        return 0;
    }
    sc->l = l;
    sc->work.data = sc;
    l->scans[slot] = sc;
    int rc = uv_queue_work(l->fs->loop, &sc->work, scan_work_cb, scan_after_cb);
    if (rc < 0) {
        sc->status = rc;
        sc->done = true;
    } else {
        l->scans_running++;
    }
    return 0;
}

static char *child_rel(const struct fs_level *lv, const struct fs_dirent *e)
{
    size_t rl = strlen(lv->rel), nl = strlen(e->name);
    char *rel = malloc(rl + nl + 2);
    if (rel) {
        memcpy(rel, lv->rel, rl);
        memcpy(rel + rl, e->name, nl);
        rel[rl + nl] = '/';
        rel[rl + nl + 1] = 0;
    }
    return rel;
}

/* Asks for the next directories the walk will enter, innermost first. */
static void read_ahead(struct storage_list *l)
{
    for (size_t d = l->depth; d-- > 0;) {
        struct fs_level *lv = &l->stack[d];
        if (lv->ahead < lv->next)
            lv->ahead = lv->next;
        for (; lv->ahead < lv->n; lv->ahead++) {
            struct fs_dirent *e = &lv->ents[lv->ahead];
            if (!e->is_dir || e->scan_queued)
                continue;
            char *rel = child_rel(lv, e);
            int rc = rel ? scan_queue(l, rel, NULL) : (l->status = -ENOMEM, 0);
            free(rel);
            if (rc < 0)
                return; /* full: the walk asks again as it goes */
            e->scan_queued = true;
        }
    }
}

static struct fs_scan *scan_take(struct storage_list *l, const char *rel)
{
    for (int i = 0; i < LIST_SCAN_AHEAD; i++) {
        struct fs_scan *sc = l->scans[i];
        if (sc && strcmp(sc->rel, rel) == 0)
            return sc;
    }
    return NULL;
}

static int level_push(struct storage_list *l, struct fs_scan *sc)
{
    if (l->depth == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 8;
        struct fs_level *s = realloc(l->stack, ncap * sizeof(*s));
        if (!s)
            return -ENOMEM;
        l->stack = s;
        l->cap = ncap;
    }
    l->stack[l->depth++] = sc->lv;
    memset(&sc->lv, 0, sizeof(sc->lv));
    for (int i = 0; i < LIST_SCAN_AHEAD; i++)
        if (l->scans[i] == sc)
            l->scans[i] = NULL;
    scan_free(sc);
    return 0;
}

/* Enters directory `rel` once it has been read: 1 entered, 0 not read yet. */
static int walk_enter(struct storage_list *l, const char *rel)
{
    struct fs_scan *sc = scan_take(l, rel);
    if (!sc) {
        read_ahead(l);
        if (!(sc = scan_take(l, rel)))
            return 0; /* waits for a read-ahead slot */
    }
    if (!sc->done)
        return 0;
    if (sc->status < 0) {
        l->status = sc->status;
        return 1;
    }
    if (level_push(l, sc) < 0)
        l->status = -ENOMEM;
    read_ahead(l);
    return 1;
}

/* Moves the walk on until the page is full or the walk must wait for a
 * directory: 1 when there is a page to hand out, 0 when waiting. */
static int walk(struct storage_list *l)
{
    if (!l->started) {
        /* start in the deepest directory the prefix names in full */
        const char *slash = strrchr(l->prefix, '/');
        size_t base_len = slash ? (size_t)(slash - l->prefix) + 1 : 0;
        char *base = strndup(l->prefix, base_len);
        if (!base) {
            l->status = -ENOMEM;
            return 1;
        }
        if (!scan_take(l, base))
            scan_queue(l, base, l->prefix + base_len);
        int entered = walk_enter(l, base);
        free(base);
        if (!entered)
            return 0;
        l->started = true;
    }
    while (l->status == 0 && l->spare_n < STORAGE_LIST_PAGE && l->depth > 0) {
        struct fs_level *lv = &l->stack[l->depth - 1];
        if (lv->next == lv->n) {
            level_free(lv);
            l->depth--;
            continue;
        }
        struct fs_dirent *e = &lv->ents[lv->next];
        if (e->is_dir) {
            char *rel = child_rel(lv, e);
            if (!rel) {
                l->status = -ENOMEM;
                break;
            }
            size_t parent = l->depth - 1;
            int entered = walk_enter(l, rel); /* may move the stack */
            free(rel);
            if (!entered) /* hand out what there is rather than sit on it */
                return l->spare_n > 0 && l->waiting ? 1 : 0;
            if (l->status < 0)
                break;
            l->stack[parent].next++;
            continue;
        }
        lv->next++;
        size_t rl = strlen(lv->rel), nl = strlen(e->name);
        char *key = malloc(rl + nl + 1);
        if (!key) {
            l->status = -ENOMEM;
            break;
        }
        memcpy(key, lv->rel, rl);
        memcpy(key + rl, e->name, nl + 1);
        if (fill_entry(&l->spare[l->spare_n], key, &e->st, e->etag) == 0)
            l->spare_n++;
        else
            l->status = -ENOMEM;
        e->etag = NULL; /* the entry has it now, or it was freed with a failed fill */
        free(key);
    }
    l->done = l->status < 0 || l->depth == 0;
    return 1;
}

/* Hands out pages while the consumer wants them and the walk has them.
 * Runs as a loop, not a recursion: a list_next from inside the callback
 * only sets `waiting`. */
static void list_pump(struct storage_list *l)
{
    if (l->pumping)
        return;
    l->pumping = true;
    while (l->waiting && !l->closed) {
        if (!(l->done && l->spare_n == 0) && walk(l) == 0)
            break;
        struct storage_entry *t = l->page;
        storage_entries_free(l->page, l->n);
        l->page = l->spare;
        l->n = l->spare_n;
        l->spare = t;
        l->spare_n = 0;
        l->waiting = false;
        l->cb(l->arg, l->status, l->page, l->n, l->done);
    }
    l->pumping = false;
    if (l->closed && l->scans_running == 0)
        list_free(l);
}

static int fs_list_start(struct storage *st, const char *prefix, storage_page_cb cb, void *arg,
                         struct storage_list **out)
{
    if (storage_prefix_check(prefix, strlen(prefix)) < 0)
        return -EINVAL;
    struct storage_list *l = calloc(1, sizeof(*l));
    if (!l)
        return -ENOMEM;
    l->fs = fs_ref(st);
    l->cb = cb;
    l->arg = arg;
    l->prefix = strdup(prefix);
    l->page = calloc(STORAGE_LIST_PAGE, sizeof(*l->page));
    l->spare = calloc(STORAGE_LIST_PAGE, sizeof(*l->spare));
    if (!l->prefix || !l->page || !l->spare) {
        list_free(l);
        return -ENOMEM;
    }
    *out = l;
    l->waiting = true;
    list_pump(l); /* queues the first read; its page comes from the loop */
    return 0;
}

static void fs_list_next(struct storage_list *l)
{
    if (l->closed || l->waiting)
        return;
    l->waiting = true;
    list_pump(l);
}

static void fs_list_close(struct storage_list *l)
{
    l->closed = true;
    if (!l->pumping && l->scans_running == 0)
        list_free(l);
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
        char *path = path_join(r->fs->root, r->keys[i]);
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
    char *path = path_join(r->fs->root, r->keys[0]);
    struct stat st;
    if (!path)
        r->status = -ENOMEM;
    else if (lstat(path, &st) < 0)
        r->status = -errno;
    else if (!S_ISREG(st.st_mode))
        r->status = -ENOENT;
    else if (fill_entry(&r->entry, r->keys[0], &st, fs_md5_etag_of(path, &st)) < 0)
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
    w->tmp_path = path_join(w->fs->tmp_dir, name);
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
    char *final = path_join(w->fs->root, w->key);
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
        char *path = path_join(r->fs->root, r->key);
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
