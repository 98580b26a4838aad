/* The S3 XML reader on arbitrary answers, fed in two pieces split where the
 * first byte says, plus the date parsers and the escaper on the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "storage/s3_xml.h"

static void leaf_cb(void *arg, const char *path, const char *text, size_t len)
{
    size_t *total = arg;
    if (strlen(text) != len && memchr(text, 0, len) == NULL) /* text is NUL-terminated */
        __builtin_trap();
    if (len > S3_XML_TEXT_MAX || strlen(path) >= S3_XML_PATH_MAX)
        __builtin_trap();
    *total += len;
}

static void end_cb(void *arg, const char *path)
{
    (void)arg;
    if (strlen(path) >= S3_XML_PATH_MAX)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t split = data[0] % size, total = 0;
    struct s3_xml *x = s3_xml_new(leaf_cb, end_cb, &total);
    if (!x)
        return 0;
    if (s3_xml_feed(x, data + 1, split, false) == 0)
        s3_xml_feed(x, data + 1 + split, size - 1 - split, true);
    s3_xml_free(x);

    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    s3_parse_iso8601_ms(s);
    s3_parse_http_date_ms(s);
    size_t need = s3_xml_escape(s, NULL, 0);
    char *out = malloc(need + 1);
    if (s3_xml_escape(s, out, need + 1) != need || strlen(out) != need)
        __builtin_trap();
    free(out);
    free(s);
    return 0;
}
