/* The multipart parser on arbitrary bodies, fed in pieces whose sizes come
 * from the input itself, with a fixed boundary. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "protocol/multipart.h"

static int on_begin(void *arg, const struct multipart_part *part)
{
    if (strlen(part->filename) > MULTIPART_NAME_MAX)
        __builtin_trap();
    return 0;
}

static int on_data(void *arg, const char *data, size_t len)
{
    if (len == 0)
        __builtin_trap(); /* no empty data events */
    *(size_t *)arg += len;
    return 0;
}

static int on_end(void *arg)
{
    return 0;
}

static const struct multipart_callbacks cbs = {on_begin, on_data, on_end};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct multipart_parser p;
    if (size < 1)
        return 0;
    size_t step = (size_t)data[0] % 17 + 1, got = 0;
    data++;
    size--;
    multipart_init(&p, "XyZ", 50);
    int rc = 0;
    for (size_t i = 0; i < size && rc == 0; i += step)
        rc = multipart_feed(&p, (const char *)data + i, size - i < step ? size - i : step, &cbs,
                            &got);
    if (rc == 0)
        multipart_finish(&p);
    if (got > size)
        __builtin_trap(); /* never more data out than in */
    return 0;
}
