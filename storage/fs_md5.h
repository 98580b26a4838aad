/* The MD5 of a file written through the fs driver, kept in an extended
 * attribute ("hex size sec.nsec") that is valid while size and mtime still
 * match. Hashing is not on an upload's path: a commit marks the file
 * "pending" (durable with its data), answers, and hashes it afterwards on the
 * threadpool from the page cache. Whoever asks for a pending MD5 (LIST,
 * stat, GET) waits for that hash or does it, so nobody sees a wrong one; a
 * mark left by a crash is settled by the first reader. */
#ifndef SP_STORAGE_FS_MD5_H
#define SP_STORAGE_FS_MD5_H

#include <sys/stat.h>
#include <sys/types.h>
#include <uv.h>

enum fs_md5_state { FS_MD5_UNKNOWN, FS_MD5_PENDING, FS_MD5_KNOWN };

/* An attribute value of `n` bytes, for the file `st` describes: known (the
 * hex MD5 in `hex`), pending, or unknown (absent, malformed, or left by
 * another version of the file). */
enum fs_md5_state fs_md5_attr_parse(const char *value, ssize_t n, const struct stat *st,
                                    char hex[33]);

/* Marks the file behind `fd` (described by `st`) as to be hashed; before
 * its fsync. Without xattr support its MD5 is simply unknown. */
void fs_md5_mark_pending(int fd, const struct stat *st);
/* Hashes the file behind `fd` on the threadpool and closes `fd` there;
 * closes it at once when the work cannot be queued. */
void fs_md5_queue(uv_loop_t *loop, int fd, const struct stat *st);
/* The quoted hex MD5 of `name` in the open directory `dirfd` (path `dir`),
 * or NULL when unknown. A pending one is waited for or computed, and `st`
 * is refreshed when the file was replaced since it was taken. Threadpool
 * only: it may block for as long as hashing the file takes. */
char *fs_md5_etag_at(int dirfd, const char *dir, const char *name, struct stat *st);
/* The same by path. */
char *fs_md5_etag_of(const char *path, struct stat *st);
/* Background hashes stop at their next slice (at shutdown): their files
 * keep the pending mark and are hashed when first asked for. */
void fs_md5_stop_background(void);

#endif
