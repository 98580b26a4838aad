/* In-memory tables of stage-only mode: information_schema and the results
 * of SHOW statements, built from the session's and the server's state. */
#ifndef SP_SERVER_SESSION_TABLES_H
#define SP_SERVER_SESSION_TABLES_H

#include <stdbool.h>

#include "server/session_eval.h"

enum show_kind {
    SHOW_VARIABLES,
    SHOW_STATUS,
    SHOW_DATABASES,
    SHOW_TABLES,
    SHOW_COLLATION,
    SHOW_CHARSET,
    SHOW_ENGINES,
    SHOW_PLUGINS,
    SHOW_WARNINGS,
    SHOW_GRANTS,
    SHOW_PROCESSLIST,
    SHOW_TABLE_STATUS,
    SHOW_PRIVILEGES,
    SHOW_TRIGGERS,
    SHOW_EVENTS,
    SHOW_ROUTINE_STATUS,
    SHOW_REPLICATION_STATUS,
    SHOW_CREATE_DATABASE,
};

struct show_args {
    bool global;
    bool full;
    const char *db; /* SHOW TABLES FROM db, SHOW CREATE DATABASE db */
};

/* Builds the rows of a SHOW statement; -ENOMEM on failure. Column names
 * that depend on the arguments (Tables_in_db) live in `name_buf`. */
int show_table_build(struct session *s, enum show_kind kind, const struct show_args *args,
                     struct vtable_rows *out, char *name_buf, size_t name_len);

#endif
