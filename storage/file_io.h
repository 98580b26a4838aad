/* Blocking file helpers for threadpool work (uploads, the catalog): never
 * call them on the loop thread. Both return 0 or a negative errno. */
#ifndef SP_STORAGE_FILE_IO_H
#define SP_STORAGE_FILE_IO_H

#include <stddef.h>

/* Writes all of `p`, retrying short writes and EINTR. */
int file_write_all(int fd, const void *p, size_t len);
/* fsyncs the directory holding `path`, so that a name created or renamed
 * in it is durable. */
int file_fsync_parent_dir(const char *path);

#endif
