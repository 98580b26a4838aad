/* Runs stage statements: CREATE/DROP/DESC STAGE, SHOW STAGES, LIST,
 * REMOVE and SELECT ... FROM LIST_STAGE(...), against the catalog and the
 * storage drivers. Errors use Databend's form: ERR 1105, HY000,
 * "Name. Code: N, Text = message." */
#ifndef SP_SERVER_STAGE_EXEC_H
#define SP_SERVER_STAGE_EXEC_H

#include <stddef.h>

#include "protocol/sql_router.h"

struct mysql_conn;
struct server;

/* Loads the catalog and prepares DATA/stages and DATA/tmp; -1 after
 * logging why. */
int stage_module_init(struct server *srv);
void stage_module_free(struct server *srv);

/* 0 answered, -1 error sent, 1 asynchronous (mysql_command_statement_done follows). */
int stage_exec_statement(struct mysql_conn *c, enum sql_route route, const char *sql, size_t len);

#endif
