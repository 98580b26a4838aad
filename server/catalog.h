/* The stage catalog: stage definitions kept in memory, sorted by name, and
 * persisted as one JSON document (DATA/catalog.json, mode 0600) that is
 * replaced atomically (temp file, fsync, rename, directory fsync) on the
 * threadpool. A catalog that cannot be read stops start-up: it never
 * silently starts empty. */
#ifndef SP_SERVER_CATALOG_H
#define SP_SERVER_CATALOG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

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
};

typedef void (*catalog_saved_cb)(void *arg, int status);

struct catalog_waiter;

struct catalog {
    uv_loop_t *loop;
    char *path;
    struct stage_def **stages;
    size_t n, cap;
    uint64_t generation; /* bumped by every change */
    uint64_t saving_generation;
    bool saving;
    struct catalog_waiter *waiters;
    uv_work_t work;
    char *save_text;
    int save_status;
};

/* Loads DATA/catalog.json (missing: empty). On failure writes a one-line
 * reason into err and returns a negative errno. */
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

struct stage_def *stage_def_new(const char *name, enum stage_type type);
void stage_def_free(struct stage_def *d);

/* "******" followed by the last 3 characters; short strings stay as they are. */
void catalog_mask_secret(const char *secret, char *out, size_t out_len);

#endif
