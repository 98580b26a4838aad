/* Result set packets: column definitions, text rows, binary (prepared
 * statement) rows and COM_STMT_PREPARE_OK, plus the binary parameter values
 * of COM_STMT_EXECUTE. */
#ifndef SP_PROTOCOL_MYSQL_RESULTSET_H
#define SP_PROTOCOL_MYSQL_RESULTSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/buf.h"

struct mysql_column {
    const char *name;
    const char *org_name; /* NULL: same as name */
    const char *table;    /* NULL: "" */
    const char *schema;   /* NULL: "" */
    uint16_t charset;
    uint32_t length;
    uint8_t type;
    uint16_t flags;
    uint8_t decimals;
};

/* `field_list` appends the default-value field COM_FIELD_LIST answers carry. */
void mysql_build_column_def(struct buf *b, const struct mysql_column *c, bool field_list);

/* A value of a row: NULL when `null`, otherwise text (MySQL's text format for
 * every type; the binary encoder converts it). */
struct mysql_value {
    const char *s;
    size_t len;
    bool null;
};

void mysql_build_text_row(struct buf *b, const struct mysql_value *v, size_t n);
/* Returns -EINVAL when a value does not fit its column type. */
int mysql_build_binary_row(struct buf *b, const struct mysql_column *cols,
                           const struct mysql_value *v, size_t n);

void mysql_build_prepare_ok(struct buf *b, uint32_t stmt_id, uint16_t columns, uint16_t params);

/* A decoded COM_STMT_EXECUTE parameter, rendered as text. */
struct mysql_param {
    bool null;
    bool is_string; /* render as a quoted SQL string */
    uint16_t type;
    char *text; /* malloc'd, owned by the caller */
    size_t len;
};

/* Decodes the parameter block of COM_STMT_EXECUTE (after the 9 bytes of
 * id, flags and iteration count). `types` holds the types bound by an
 * earlier execute (nparams entries) and is updated when the client sends new
 * ones. Long data (COM_STMT_SEND_LONG_DATA) is passed in `long_data`. */
int mysql_parse_execute_params(const uint8_t *p, size_t len, uint16_t nparams, uint16_t *types,
                               const struct buf *long_data, struct mysql_param *out);
void mysql_params_free(struct mysql_param *params, uint16_t n);

#endif
