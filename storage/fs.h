/* The local filesystem driver: keys are files under a root directory;
 * uploads go to a temp file on the same filesystem and are renamed into
 * place after fsync. The MD5 of what was written through us is computed
 * after the commit and kept in an extended attribute (fs_md5.h). */
#ifndef SP_STORAGE_FS_H
#define SP_STORAGE_FS_H

#include <uv.h>

#include "storage/storage.h"

/* `root` is created on first write; `tmp_dir` must exist on the same
 * filesystem. Returns NULL when out of memory. */
struct storage *storage_fs_new(uv_loop_t *loop, const char *root, const char *tmp_dir);

#endif
