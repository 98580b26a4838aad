/* A streaming reader for the small XML documents S3 answers with
 * (ListBucketResult, Error, InitiateMultipartUploadResult, DeleteResult):
 * fed in pieces as they arrive, it reports each leaf element's text with
 * its path ("ListBucketResult/Contents/Key") and each element's end, and
 * never holds more than one leaf. No I/O; DOCTYPEs and entities refused. */
#ifndef SP_STORAGE_S3_XML_H
#define SP_STORAGE_S3_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define S3_XML_TEXT_MAX 4096 /* longer leaves are an error */
#define S3_XML_PATH_MAX 256

/* `text` is NUL-terminated. */
typedef void (*s3_xml_leaf_cb)(void *arg, const char *path, const char *text, size_t len);
typedef void (*s3_xml_end_cb)(void *arg, const char *path);

struct s3_xml;

struct s3_xml *s3_xml_new(s3_xml_leaf_cb leaf, s3_xml_end_cb end, void *arg);
/* 0, or -EBADMSG when the document is malformed or over a limit. */
int s3_xml_feed(struct s3_xml *x, const void *data, size_t len, bool final);
/* What went wrong, for logs and error texts. */
const char *s3_xml_error(const struct s3_xml *x);
void s3_xml_free(struct s3_xml *x);

/* "2026-11-21T12:34:56.789Z" → milliseconds since the epoch; -1 when malformed. */
int64_t s3_parse_iso8601_ms(const char *s);
/* "Sat, 21 Nov 2026 12:34:56 GMT" → milliseconds since the epoch; -1 when malformed. */
int64_t s3_parse_http_date_ms(const char *s);
/* Escapes & < > " ' for element text; returns the length needed. */
size_t s3_xml_escape(const char *s, char *out, size_t cap);

#endif
