/* The stage catalog: stage definitions kept in memory, sorted by name, and
 * made durable in two files (mode 0600): DATA/catalog.json, a snapshot
 * replaced atomically (temp file, fsync, rename, directory fsync), and
 * DATA/catalog.journal, the changes since, one JSON record per line,
 * appended and fdatasync'd. A change costs one record, not a rewrite of
 * every stage; the snapshot is rewritten once the journal outgrows it. All
 * file I/O runs on the threadpool. A catalog that cannot be read stops
 * start-up: it never silently starts empty. */
#ifndef SP_SERVER_CATALOG_H
#define SP_SERVER_CATALOG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "protocol/buf.h"

#define CATALOG_FORMAT_VERSION 1

enum stage_type { STAGE_INTERNAL, STAGE_EXTERNAL };

struct stage_def {
    char *name;
    enum stage_type type;
    char *url;           /* external stages: "s3://bucket/prefix/" */
    json_t *connection;  /* object: lower-case key -> string value */
    json_t *file_format; /* object: lower-case key -> value */
    char *comment;
    char *creator;         /* 'user'@'%' */
    int64_t created_on_us; /* microseconds since the epoch, UTC */
    char *text;            /* its compact JSON, made once: a def never changes once put */
};

typedef void (*catalog_saved_cb)(void *arg, int status);

struct catalog_waiter;

struct catalog {
    uv_loop_t *loop;
    char *path;         /* DATA/catalog.json */
    char *journal_path; /* DATA/catalog.journal */
    struct stage_def **stages;
    size_t n, cap;
    uint64_t generation; /* bumped by every change */
    uint64_t saving_generation;
    bool saving;
    struct catalog_waiter *waiters;
    uv_work_t work;
    struct buf pending;    /* journal records of the changes not yet saved */
    bool need_snapshot;    /* the next save rewrites catalog.json (after a failure) */
    struct buf save;       /* what the save in progress writes */
    bool save_is_snapshot; /* ... as catalog.json, or appended to the journal */
    int save_status;
    int journal_fd;         /* opened by the first append; -1 before */
    uint64_t journal_size;  /* bytes of whole records in the journal */
    uint64_t snapshot_size; /* bytes of catalog.json */
};

/* Loads DATA/catalog.json (missing: empty) and replays the journal. A torn
 * last record (a crash mid-append; never acknowledged) is cut off. On
 * failure writes a one-line reason into err and returns a negative errno. */
int catalog_load(struct catalog *c, uv_loop_t *loop, const char *data_dir, char *err,
                 size_t err_len);
void catalog_free(struct catalog *c);

struct stage_def *catalog_find(struct catalog *c, const char *name);
/* Takes ownership of `def`; replaces a stage of the same name. */
int catalog_put(struct catalog *c, struct stage_def *def);
/* Removes and returns the stage (the caller frees it), or NULL. */
struct stage_def *catalog_take(struct catalog *c, const char *name);
/* Makes every change so far durable; cb runs once it is on disk. */
int catalog_commit(struct catalog *c, catalog_saved_cb cb, void *arg);

/* Applies journal records (`len` bytes) to the catalog. *good_len is where
 * the whole records end: the rest is a torn tail. A damaged record with
 * whole ones after it, or a record that is not a catalog change, is an
 * error (-EINVAL, reason in err). */
int catalog_replay(struct catalog *c, const char *text, size_t len, size_t *good_len, char *err,
                   size_t err_len);

/* For the saving side (server/catalog_save.c): the def's text, made on
 * first use (-ENOMEM), and the closing of the journal. */
int catalog_def_text(struct stage_def *d);
void catalog_save_close(struct catalog *c);

struct stage_def *stage_def_new(const char *name, enum stage_type type);
void stage_def_free(struct stage_def *d);

/* "******" followed by the last 3 characters; short strings stay as they are. */
void catalog_mask_secret(const char *secret, char *out, size_t out_len);

#endif
