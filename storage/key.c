#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "storage/storage.h"

static int check(const char *s, size_t len, bool is_prefix)
{
    if (len > STORAGE_KEY_MAX || (!is_prefix && len == 0))
        return -EINVAL;
    size_t seg_start = 0;
    for (size_t i = 0; i <= len; i++) {
        unsigned char c = i < len ? (unsigned char)s[i] : '/';
        if (i < len && (c < 0x20 || c == 0x7F || c == '\\'))
            return -EINVAL;
        if (c != '/')
            continue;
        size_t seg = i - seg_start;
        bool final = i == len;
        /* an empty last segment is the trailing '/' of a prefix, or nothing */
        if (seg == 0 && !(final && (is_prefix || len == 0)))
            return -EINVAL;
        if (seg > STORAGE_SEGMENT_MAX)
            return -EINVAL;
        if ((seg == 1 && s[seg_start] == '.') ||
            (seg == 2 && s[seg_start] == '.' && s[seg_start + 1] == '.'))
            return -EINVAL;
        seg_start = i + 1;
    }
    if (!is_prefix && s[len - 1] == '/')
        return -EINVAL;
    return 0;
}

int storage_key_check(const char *key, size_t len)
{
    return check(key, len, false);
}

int storage_prefix_check(const char *prefix, size_t len)
{
    /* a partial last segment of "." or ".." would still list only inside
     * the root, but such a prefix is never meant honestly */
    return check(prefix, len, true);
}

void storage_entries_free(struct storage_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(e[i].key);
        free(e[i].etag);
    }
}

const char *storage_strerror(struct storage *st, int status)
{
    const char *msg = st && st->ops->last_error ? st->ops->last_error(st) : NULL;
    return msg && *msg ? msg : strerror(-status);
}
