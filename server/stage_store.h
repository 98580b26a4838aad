/* What the MySQL and HTTP sides share about a stage's files: where they
 * live, who may touch them, how PATTERN filters keys, and the Databend-form
 * error text when something is refused. */
#ifndef SP_SERVER_STAGE_STORE_H
#define SP_SERVER_STAGE_STORE_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/catalog.h"
#include "storage/storage.h"

struct server;

enum stage_right { STAGE_READ = 1, STAGE_WRITE = 2 };

/* A refusal as Databend words it: "Name. Code: N, Text = message." */
struct stage_error {
    int code;
    char text[512];
};

int stage_error_set(struct stage_error *e, int code, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int stage_error_setv(struct stage_error *e, int code, const char *name, const char *fmt,
                     va_list ap);

/* Until GRANT exists, root sees everything and a stage's creator owns it. */
bool stage_may(const struct stage_def *d, const char *user, int rights);

/* The S3 client, and --storage when it names a bucket. */
int stage_store_init(struct server *srv);
/* At shutdown: requests still running are cancelled. */
void stage_store_close(struct server *srv);

/* The storage behind stage `name` ("~": `user`'s own), when `user` holds
 * `rights` on it; NULL with *err filled otherwise. */
struct storage *stage_store_open(struct server *srv, const char *user, const char *name, int rights,
                                 struct stage_error *err);

/* At CREATE STAGE: whether the stage's storage options make sense (a
 * malformed endpoint_url or bucket is refused then, not at first use). */
int stage_store_check(struct server *srv, const struct stage_def *d, struct stage_error *err);

/* A failed storage call as the user reads it: the driver's own words (the
 * S3 error code and message) or strerror. Returns the HTTP status for it:
 * 502 for a remote store, 507 for a full disk, 500 otherwise. */
int stage_storage_failure(struct storage *st, const char *what, const char *key, int status,
                          struct stage_error *err);

/* PATTERN: anchored at both ends, UTF-8, with match and depth limits. */
struct stage_pattern {
    pcre2_code *re;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
};

int stage_pattern_compile(struct stage_pattern *p, const char *pattern, struct stage_error *err);
/* Whether `key` is listed under `path`: the rest of the key after the path
 * must match, and the path itself always is. 1, 0, or -1 when the pattern
 * hit its limits. */
int stage_pattern_match(const struct stage_pattern *p, const char *path, const char *key);
void stage_pattern_free(struct stage_pattern *p);

/* LIST's last_modified: "YYYY-MM-DD HH:MM:SS.mmm +0000". */
void stage_format_mtime(int64_t ms, char *out, size_t len);

#endif
