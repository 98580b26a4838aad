/* The catalog journal's replay on arbitrary bytes: whatever a crash or a
 * damaged disk leaves, it either applies whole records and reports where
 * they end, or refuses with a reason; the catalog stays sorted. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "server/catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct catalog c;
    memset(&c, 0, sizeof(c));
    c.journal_fd = -1;
    size_t good = 0;
    char err[256] = "";
    int rc = catalog_replay(&c, (const char *)data, size, &good, err, sizeof(err));
    if (rc == 0 && (good > size || (good > 0 && data[good - 1] != '\n')))
        __builtin_trap();
    if (rc < 0 && err[0] == 0)
        __builtin_trap();
    for (size_t i = 1; i < c.n; i++)
        if (strcmp(c.stages[i - 1]->name, c.stages[i]->name) >= 0)
            __builtin_trap();
    catalog_free(&c);
    return 0;
}
