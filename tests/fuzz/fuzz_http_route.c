/* The HTTP router on arbitrary request targets. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "protocol/http_route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct http_route r;
    http_route_parse((const char *)data, size, &r);
    /* decoded names never carry a NUL or, for the stage, a slash */
    if (strlen(r.stage) > HTTP_ROUTE_STAGE_MAX || strchr(r.stage, '/') ||
        strlen(r.path) > HTTP_ROUTE_PATH_MAX)
        __builtin_trap();
    if (r.kind == HTTP_ROUTE_BAD_REQUEST && !r.error)
        __builtin_trap();
    return 0;
}
