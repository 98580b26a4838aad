#define _GNU_SOURCE /* memmem */
/* The MD5 attribute of a stage file on arbitrary bytes (an operator or
 * another program may have set it): it is known only with 32 lower-case
 * hex digits for exactly this size and mtime, and never read past `n`. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "storage/fs_md5.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 12)
        return 0;
    struct stat st;
    memset(&st, 0, sizeof(st));
    uint32_t size32, sec, nsec;
    memcpy(&size32, data, 4);
    memcpy(&sec, data + 4, 4);
    memcpy(&nsec, data + 8, 4);
    st.st_size = size32 % 100000;
    st.st_mtim.tv_sec = sec % 2000000000;
    st.st_mtim.tv_nsec = nsec % 1000000000;
    size_t n = size - 12;
    char *value = malloc(n ? n : 1); /* exactly n bytes: ASan sees any over-read */
    memcpy(value, data + 12, n);
    char hex[33] = "unset";
    enum fs_md5_state s = fs_md5_attr_parse(value, (ssize_t)n, &st, hex);
    if (s == FS_MD5_KNOWN &&
        (strlen(hex) != 32 || strspn(hex, "0123456789abcdef") != 32 || !memmem(value, n, hex, 32)))
        __builtin_trap();
    if (s != FS_MD5_KNOWN && strcmp(hex, "unset") != 0)
        __builtin_trap();
    free(value);
    return 0;
}
