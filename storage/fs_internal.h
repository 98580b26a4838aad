/* What the fs driver's files share: the driver itself, its reference
 * count, and the listing walk (storage/fs_list.c). */
#ifndef SP_STORAGE_FS_INTERNAL_H
#define SP_STORAGE_FS_INTERNAL_H

#include <sys/stat.h>
#include <uv.h>

#include "storage/storage.h"

struct fs_storage {
    struct storage base;
    uv_loop_t *loop;
    char *root;
    char *tmp_dir;
    int refs; /* the owner's, and one per open listing, request, writer and reader */
};

struct fs_storage *fs_ref(struct storage *st);
void fs_unref(struct fs_storage *fs);
/* "a/b", malloc'd; NULL when out of memory. */
char *fs_path_join(const char *a, const char *b);
/* Fills `e` for `key`, taking `etag`; -ENOMEM (etag freed). */
int fs_fill_entry(struct storage_entry *e, const char *key, const struct stat *st, char *etag);

int fs_list_start(struct storage *st, const char *prefix, storage_page_cb cb, void *arg,
                  struct storage_list **out);
void fs_list_next(struct storage_list *l);
void fs_list_close(struct storage_list *l);

#endif
