/* The fs driver's listing: a depth-first walk, each directory sorted, so
 * keys come out in byte order with memory bounded by the deepest path.
 * Reading a directory (names, stats, MD5 attributes) is the expensive part:
 * it runs on the threadpool, a few directories ahead of the walk, which
 * itself runs on the loop and only moves names around. */
#include "storage/fs_internal.h"
#include "storage/fs_md5.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    char *dir = fs_path_join(root, rel);
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
        if (fs_fill_entry(&l->spare[l->spare_n], key, &e->st, e->etag) == 0)
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

int fs_list_start(struct storage *st, const char *prefix, storage_page_cb cb, void *arg,
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

void fs_list_next(struct storage_list *l)
{
    if (l->closed || l->waiting)
        return;
    l->waiting = true;
    list_pump(l);
}

void fs_list_close(struct storage_list *l)
{
    l->closed = true;
    if (!l->pumping && l->scans_running == 0)
        list_free(l);
}
