/* An incremental multipart/form-data parser (RFC 7578 / RFC 2046). It never
 * holds a part's body: data is handed out as it arrives, straight from the
 * caller's buffer, and a boundary may be split across any two feeds. Only
 * the header block of one part is buffered, up to a fixed limit. */
#ifndef SP_PROTOCOL_MULTIPART_H
#define SP_PROTOCOL_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>

#define MULTIPART_BOUNDARY_MAX 70
#define MULTIPART_HEADER_MAX   (8 * 1024)
#define MULTIPART_NAME_MAX     1024

struct multipart_part {
    char name[256];
    char filename[MULTIPART_NAME_MAX + 1];
    bool has_filename; /* a filename parameter was present (maybe empty) */
    char content_type[128];
};

struct multipart_callbacks {
    /* Nonzero return values stop the parser; feed returns that value. */
    int (*part_begin)(void *arg, const struct multipart_part *part);
    int (*part_data)(void *arg, const char *data, size_t len);
    int (*part_end)(void *arg);
};

enum multipart_state {
    MP_PREAMBLE,
    MP_AFTER_DELIM, /* "--" ends the body, CRLF starts a part */
    MP_AFTER_DELIM_DASH,
    MP_AFTER_DELIM_CR,
    MP_HEADERS,
    MP_BODY,
    MP_EPILOGUE,
    MP_ERROR,
};

struct multipart_parser {
    enum multipart_state state;
    char delim[4 + MULTIPART_BOUNDARY_MAX]; /* CRLF "--" boundary */
    size_t delim_len;
    size_t match; /* bytes of delim matched so far */
    bool in_part;
    unsigned parts, max_parts;
    size_t header_len;
    const char *error; /* why the parser stopped, for a 400 answer */
    struct multipart_part part;
    char headers[MULTIPART_HEADER_MAX];
};

/* Extracts the boundary of a "multipart/form-data; boundary=..." content
 * type into out (MULTIPART_BOUNDARY_MAX + 1 bytes). 0 or -EINVAL. */
int multipart_boundary(const char *content_type, size_t len, char *out);

void multipart_init(struct multipart_parser *p, const char *boundary, unsigned max_parts);
/* 0 when all of data was consumed; -EBADMSG on malformed input (p->error
 * says why); a callback's nonzero return otherwise. */
int multipart_feed(struct multipart_parser *p, const char *data, size_t len,
                   const struct multipart_callbacks *cb, void *arg);
/* At the end of the body: 0 if the closing boundary was seen. */
int multipart_finish(struct multipart_parser *p);

#endif
