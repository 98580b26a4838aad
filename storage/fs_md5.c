#define _GNU_SOURCE
#include "storage/fs_md5.h"

#include "storage/fs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#define MD5_XATTR            "user.stageproxy.md5"
#define PENDING_WORD         "pending"
#define HASH_SLICE           (256 * 1024)
#define REMOVED_CHECK_SLICES 64
#define ATTR_VALUE_MAX       128

enum fs_md5_state fs_md5_attr_parse(const char *value, ssize_t n, const struct stat *st,
                                    char hex[33])
{
    if (n <= 0 || n >= ATTR_VALUE_MAX)
        return FS_MD5_UNKNOWN;
    char val[ATTR_VALUE_MAX];
    memcpy(val, value, (size_t)n);
    val[n] = 0;
    char word[33];
    uint64_t size;
    long long sec, nsec;
    if (sscanf(val, "%32s %" SCNu64 " %lld.%lld", word, &size, &sec, &nsec) != 4)
        return FS_MD5_UNKNOWN;
    if (size != (uint64_t)st->st_size || sec != (long long)st->st_mtim.tv_sec ||
        nsec != (long long)st->st_mtim.tv_nsec)
        return FS_MD5_UNKNOWN; /* changed behind our back */
    if (!strcmp(word, PENDING_WORD))
        return FS_MD5_PENDING;
    if (strlen(word) != 32 || strspn(word, "0123456789abcdef") != 32)
        return FS_MD5_UNKNOWN;
    memcpy(hex, word, 33);
    return FS_MD5_KNOWN;
}

static void attr_set(int fd, const char *word, const struct stat *st)
{
    char val[ATTR_VALUE_MAX];
    snprintf(val, sizeof(val), "%s %" PRIu64 " %lld.%09ld", word, (uint64_t)st->st_size,
             (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
    fsetxattr(fd, MD5_XATTR, val, strlen(val), 0); /* no xattrs: the MD5 stays unknown */
}

static enum fs_md5_state attr_read_fd(int fd, const struct stat *st, char hex[33])
{
    char val[ATTR_VALUE_MAX];
    return fs_md5_attr_parse(val, fgetxattr(fd, MD5_XATTR, val, sizeof(val) - 1), st, hex);
}

static char *etag_quote(const char hex[33])
{
    char *etag = malloc(35);
    if (etag)
        snprintf(etag, 35, "\"%s\"", hex);
    return etag;
}

void fs_md5_mark_pending(int fd, const struct stat *st)
{
    attr_set(fd, PENDING_WORD, st);
}

/* ---- hashing a file, at most once at a time per inode ---- */

static atomic_bool background_stopped;

static bool same_content(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Now and then: a file removed meanwhile is hashed for nobody. */
static bool removed(int fd, unsigned slice)
{
    struct stat st;
    return slice % REMOVED_CHECK_SLICES == 0 && fstat(fd, &st) == 0 && st.st_nlink == 0;
}

static bool hash_fd(int fd, const struct stat *st, bool background, char hex[33])
{
    unsigned char *buf = malloc(HASH_SLICE);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = buf && ctx && EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
    unsigned slice = 0;
    for (off_t off = 0; ok; slice++) {
        if (background && (atomic_load(&background_stopped) || removed(fd, slice))) {
            ok = false;
            break;
        }
        ssize_t n = pread(fd, buf, HASH_SLICE, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ok = n == 0;
            break;
        }
        ok = EVP_DigestUpdate(ctx, buf, (size_t)n) == 1;
        off += n;
    }
    unsigned char digest[16];
    unsigned int dlen = 0;
    struct stat now;
    ok = ok && EVP_DigestFinal_ex(ctx, digest, &dlen) && dlen == 16 && fstat(fd, &now) == 0 &&
         same_content(st, &now);
    for (unsigned i = 0; ok && i < dlen; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    EVP_MD_CTX_free(ctx);
    free(buf);
    return ok;
}

/* Who is hashing which inode: a second asker waits for the first instead
 * of reading the file again. The hasher always runs (it is the thread that
 * made the claim), so waiting for it cannot deadlock the threadpool. */
struct md5_claim {
    dev_t dev;
    ino_t ino;
    int users;
    bool done, ok, stopped;
    char hex[33];
    struct md5_claim *next;
};

static pthread_mutex_t claims_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t claims_done = PTHREAD_COND_INITIALIZER;
static struct md5_claim *claims;

static struct md5_claim *claim_find(const struct stat *st)
{
    for (struct md5_claim *c = claims; c; c = c->next)
        if (c->dev == st->st_dev && c->ino == st->st_ino)
            return c;
    return NULL;
}

/* With claims_lock held. */
static void claim_put(struct md5_claim *c)
{
    if (--c->users > 0)
        return;
    for (struct md5_claim **p = &claims; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    free(c);
}

/* With claims_lock held. False when the hash was a background one that
 * stopped: then the caller hashes the file itself. */
static bool claim_wait(struct md5_claim *c, char **etag)
{
    c->users++;
    while (!c->done)
        pthread_cond_wait(&claims_done, &claims_lock);
    bool answered = c->ok || !c->stopped;
    *etag = c->ok ? etag_quote(c->hex) : NULL;
    claim_put(c);
    return answered;
}

static char *claim_hash(int fd, const struct stat *st, bool background)
{
    struct md5_claim *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->dev = st->st_dev;
    c->ino = st->st_ino;
    c->users = 1;
    c->next = claims;
    claims = c;
    pthread_mutex_unlock(&claims_lock);

    char hex[33] = "";
    bool ok = hash_fd(fd, st, background, hex);
    if (ok)
        attr_set(fd, hex, st);

    pthread_mutex_lock(&claims_lock);
    c->done = true;
    c->ok = ok;
    c->stopped = !ok && background && atomic_load(&background_stopped);
    memcpy(c->hex, hex, sizeof(hex));
    pthread_cond_broadcast(&claims_done);
    char *etag = ok && !background ? etag_quote(hex) : NULL;
    claim_put(c);
    return etag;
}

/* The MD5 of the open file `fd` as `st` describes it: known, waited for,
 * or computed here. In the background nobody needs the answer, so a hash
 * someone else is doing is left to them. */
static char *settle(int fd, const struct stat *st, bool background)
{
    char hex[33];
    char *etag = NULL;
    pthread_mutex_lock(&claims_lock);
    struct md5_claim *c;
    while ((c = claim_find(st)) && !background && !claim_wait(c, &etag))
        ; /* a background hash that stopped: look again, then hash it here */
    if (!c) {
        /* read under the lock: a hash that just ended has set it */
        enum fs_md5_state s = attr_read_fd(fd, st, hex);
        if (s == FS_MD5_KNOWN && !background)
            etag = etag_quote(hex);
        else if (s == FS_MD5_PENDING)
            etag = claim_hash(fd, st, background);
    }
    pthread_mutex_unlock(&claims_lock);
    return etag;
}

/* A pending MD5 asked for by a reader: open the file itself (it may have
 * been replaced since `st` was taken; then `st` follows it). */
static char *settle_opened(int fd, struct stat *st)
{
    if (fd < 0)
        return NULL;
    struct stat now;
    char *etag = NULL;
    if (fstat(fd, &now) == 0 && S_ISREG(now.st_mode)) {
        *st = now;
        etag = settle(fd, st, false);
    }
    close(fd);
    return etag;
}

/* ---- the background hash after a commit ---- */

struct md5_job {
    uv_work_t work;
    int fd;
    struct stat st;
};

static void job_work_cb(uv_work_t *work)
{
    struct md5_job *j = work->data;
    free(settle(j->fd, &j->st, true));
    close(j->fd); /* here: the last close of a removed big file frees its blocks */
}

static void job_after_cb(uv_work_t *work, int status)
{
    (void)status; /* cancelled: the mark stays, the first reader hashes */
    struct md5_job *j = work->data;
    if (status < 0)
        close(j->fd);
    free(j);
}

void fs_md5_queue(uv_loop_t *loop, int fd, const struct stat *st)
{
    struct md5_job *j = malloc(sizeof(*j));
    if (j) {
        j->fd = fd;
        j->st = *st;
        j->work.data = j;
        if (uv_queue_work(loop, &j->work, job_work_cb, job_after_cb) == 0)
            return;
    }
    free(j);
    close(fd);
}

void fs_md5_stop_background(void)
{
    atomic_store(&background_stopped, true);
}

/* ---- readers ---- */

#ifndef SYS_getxattrat
#define SYS_getxattrat 464 /* Linux 6.13; the C library does not wrap it yet */
#endif

struct xattr_args_v0 {
    uint64_t value;
    uint32_t size;
    uint32_t flags;
};

static char *etag_from_attr(char *val, ssize_t n, const struct stat *st, bool *pending)
{
    char hex[33];
    enum fs_md5_state s = fs_md5_attr_parse(val, n, st, hex);
    *pending = s == FS_MD5_PENDING;
    return s == FS_MD5_KNOWN ? etag_quote(hex) : NULL;
}

char *fs_md5_etag_of(const char *path, struct stat *st)
{
    char val[ATTR_VALUE_MAX];
    bool pending;
    char *etag = etag_from_attr(val, getxattr(path, MD5_XATTR, val, sizeof(val) - 1), st, &pending);
    if (!pending)
        return etag;
    return settle_opened(open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), st);
}

/* Relative to an open directory, when the kernel can: a listing then does
 * not walk the whole path once per file. */
char *fs_md5_etag_at(int dirfd, const char *dir, const char *name, struct stat *st)
{
    static atomic_bool no_getxattrat; /* threadpool threads share it */
    if (!atomic_load(&no_getxattrat)) {
        char val[ATTR_VALUE_MAX];
        struct xattr_args_v0 args = {.value = (uint64_t)(uintptr_t)val, .size = sizeof(val) - 1};
        long n = syscall(SYS_getxattrat, dirfd, name, AT_SYMLINK_NOFOLLOW, MD5_XATTR, &args,
                         sizeof(args));
        if (n >= 0 || errno != ENOSYS) {
            bool pending;
            char *etag = etag_from_attr(val, n, st, &pending);
            if (!pending)
                return etag;
            return settle_opened(openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), st);
        }
        atomic_store(&no_getxattrat, true);
    }
    char *path = fs_path_join(dir, name);
    char *etag = path ? fs_md5_etag_of(path, st) : NULL;
    free(path);
    return etag;
}
