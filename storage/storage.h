/* The storage driver interface: one ops table every driver implements.
 * Every call returns at once; work happens on the libuv threadpool (fs) or
 * on the loop through libcurl (s3), and ends in a callback on the loop
 * thread. Backpressure: a writer takes one write at a time and its callback
 * says when it can take more; a listing hands out one page at a time and
 * reads the next only when asked. */
#ifndef SP_STORAGE_STORAGE_H
#define SP_STORAGE_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORAGE_KEY_MAX     1024
#define STORAGE_SEGMENT_MAX 255
#define STORAGE_LIST_PAGE   1000

struct storage_entry {
    char *key; /* relative to the storage root, '/'-separated */
    uint64_t size;
    int64_t mtime_ms; /* last modified, milliseconds since the epoch */
    char *etag;       /* quoted hex MD5 as S3 gives it, or NULL when unknown */
};

struct storage;
struct storage_list;
struct storage_writer;
struct storage_reader;

typedef void (*storage_done_cb)(void *arg, int status);
/* One page of entries in ascending byte order of key; `last` ends the
 * listing. Entries stay valid until the next list_next or list_close. */
typedef void (*storage_page_cb)(void *arg, int status, const struct storage_entry *entries,
                                size_t n, bool last);
typedef void (*storage_stat_cb)(void *arg, int status, const struct storage_entry *entry);
/* A chunk of a file; `eof` after the last one. `data` is valid during the call. */
typedef void (*storage_read_cb)(void *arg, int status, const void *data, size_t len, bool eof);

struct storage_ops {
    const char *name;
    /* The owner lets go; listings, requests, writers and readers still open
     * keep the driver alive until they end. */
    void (*destroy)(struct storage *st);
    /* Lists keys starting with `prefix` (raw prefix, not a directory). */
    int (*list_start)(struct storage *st, const char *prefix, storage_page_cb cb, void *arg,
                      struct storage_list **out);
    void (*list_next)(struct storage_list *l);
    /* Frees the listing; no callback runs after it. */
    void (*list_close)(struct storage_list *l);
    /* Removes up to a batch of keys; missing keys are not an error. */
    int (*remove)(struct storage *st, char *const *keys, size_t n, storage_done_cb cb, void *arg);
    int (*stat)(struct storage *st, const char *key, storage_stat_cb cb, void *arg);
    /* The object becomes visible only at a successful finish, and durable
     * before its callback. abort leaves nothing behind. */
    int (*writer_open)(struct storage *st, const char *key, struct storage_writer **out);
    int (*writer_write)(struct storage_writer *w, const void *data, size_t len, storage_done_cb cb,
                        void *arg);
    int (*writer_finish)(struct storage_writer *w, storage_done_cb cb, void *arg);
    void (*writer_abort)(struct storage_writer *w);
    /* length UINT64_MAX: to the end. */
    int (*reader_open)(struct storage *st, const char *key, uint64_t offset, uint64_t length,
                       struct storage_reader **out);
    int (*reader_read)(struct storage_reader *r, storage_read_cb cb, void *arg);
    void (*reader_close)(struct storage_reader *r);
    /* Optional: why the last call on this storage failed, in words fit
     * for the user (the remote error code and message), or NULL. */
    const char *(*last_error)(struct storage *st);
    /* Optional (NULL when the driver cannot presign). */
    int (*presign)(struct storage *st, const char *method, const char *key, int64_t expire_s,
                   char *url, size_t url_len);
};

struct storage {
    const struct storage_ops *ops;
    bool remote; /* failures are the remote service's: HTTP answers 502 */
};

/* The words for a failed call: the driver's own, or strerror(-status). */
const char *storage_strerror(struct storage *st, int status);

/* Keys: relative, '/'-separated, no empty, "." or ".." segment, no NUL,
 * backslash or control character, segments up to 255 bytes, keys up to
 * 1024. 0 or -EINVAL. */
int storage_key_check(const char *key, size_t len);
/* A listing prefix: like a key, but may be empty or end with '/'. */
int storage_prefix_check(const char *prefix, size_t len);

void storage_entries_free(struct storage_entry *e, size_t n);

#endif
