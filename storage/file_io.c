#include "storage/file_io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int file_write_all(int fd, const void *p, size_t len)
{
    const char *at = p;
    while (len > 0) {
        ssize_t n = write(fd, at, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        at += n;
        len -= (size_t)n;
    }
    return 0;
}

int file_fsync_parent_dir(const char *path)
{
    char *dir = strdup(path);
    if (!dir)
        return -ENOMEM;
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    int fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = fd < 0 || fsync(fd) < 0 ? -errno : 0;
    if (fd >= 0)
        close(fd);
    free(dir);
    return rc;
}
