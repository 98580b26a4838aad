/* What the S3 driver's files share. */
#ifndef SP_STORAGE_S3_INTERNAL_H
#define SP_STORAGE_S3_INTERNAL_H

#include "storage/s3.h"

struct s3_storage {
    struct storage base;
    struct s3_client *client;
    struct s3_target target;
    int refs;         /* the owner, and each listing, writer, reader or request */
    char error[1024]; /* the last S3 failure, for the caller's error text */
};

void s3_storage_ref(struct s3_storage *s);
void s3_storage_unref(struct s3_storage *s);
/* Remembers why a request failed; returns its status. */
int s3_storage_fail(struct s3_storage *s, const char *what, const char *key,
                    const struct s3_response *r);
/* The full object key of a storage key (prefix prepended). */
int s3_storage_full_key(const struct s3_storage *s, const char *key, char *out, size_t cap);

int s3_writer_open(struct storage *st, const char *key, struct storage_writer **out);
int s3_writer_write(struct storage_writer *w, const void *data, size_t len, storage_done_cb cb,
                    void *arg);
int s3_writer_finish(struct storage_writer *w, storage_done_cb cb, void *arg);
void s3_writer_abort(struct storage_writer *w);

#endif
