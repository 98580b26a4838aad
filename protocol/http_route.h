/* Maps a request target to one of the HTTP listener's resources, with the
 * stage name, file path and query parameters percent-decoded. No I/O. */
#ifndef SP_PROTOCOL_HTTP_ROUTE_H
#define SP_PROTOCOL_HTTP_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_ROUTE_STAGE_MAX 255
#define HTTP_ROUTE_PATH_MAX  1024

enum http_route_kind {
    HTTP_ROUTE_NOT_FOUND,
    HTTP_ROUTE_BAD_REQUEST, /* a target that cannot be decoded; see error */
    HTTP_ROUTE_HEALTHZ,
    HTTP_ROUTE_METRICS,
    HTTP_ROUTE_UPLOAD_TO_STAGE, /* /v1/upload_to_stage */
    HTTP_ROUTE_STAGE_FILES,     /* /v1/stages/{stage}/files?prefix=&pattern= */
    HTTP_ROUTE_STAGE_FILE,      /* /v1/stages/{stage}/files/{path} */
};

struct http_route {
    enum http_route_kind kind;
    const char *error;
    char stage[HTTP_ROUTE_STAGE_MAX + 1];
    char path[HTTP_ROUTE_PATH_MAX + 1]; /* the file, or the listing's prefix */
    char pattern[HTTP_ROUTE_PATH_MAX + 1];
    bool has_pattern;
    /* a presigned file URL: ?expires=UNIX&user=NAME&signature=HEX */
    bool presigned;
    char expires[24];
    char signer[128];
    char signature[72];
};

void http_route_parse(const char *target, size_t len, struct http_route *r);

/* Percent-decodes [s, s+len) into out (size out_size; '+' is a space when
 * plus_is_space). -1 on a bad escape, a NUL, or no room. */
int http_percent_decode(const char *s, size_t len, bool plus_is_space, char *out, size_t out_size);

#endif
