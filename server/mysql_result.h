/* Sends result sets in the text or the binary protocol, with EOF or
 * OK-terminated framing as the connection negotiated. */
#ifndef SP_SERVER_MYSQL_RESULT_H
#define SP_SERVER_MYSQL_RESULT_H

#include <stdbool.h>
#include <stddef.h>

#include "protocol/mysql_resultset.h"

struct mysql_conn;

/* Columns with charset 0 get the session's collation. */
void mysql_result_begin(struct mysql_conn *c, const struct mysql_column *cols, size_t n);
void mysql_result_row(struct mysql_conn *c, const struct mysql_column *cols,
                      const struct mysql_value *v, size_t n);
void mysql_result_end(struct mysql_conn *c);

#endif
