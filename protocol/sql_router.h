/* Classifies one statement: a stage statement (answered by the stage
 * module) or anything else (the upstream, or the session layer of
 * stage-only mode). Decided from tokens, never from regular expressions. */
#ifndef SP_PROTOCOL_SQL_ROUTER_H
#define SP_PROTOCOL_SQL_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sql_route {
    SQL_ROUTE_EMPTY = 0, /* only comments or whitespace */
    SQL_ROUTE_OTHER,     /* not a stage statement */
    SQL_ROUTE_CREATE_STAGE,
    SQL_ROUTE_DROP_STAGE,
    SQL_ROUTE_DESC_STAGE,
    SQL_ROUTE_SHOW_STAGES,
    SQL_ROUTE_LIST,
    SQL_ROUTE_REMOVE,
    SQL_ROUTE_PRESIGN,
    SQL_ROUTE_PUT,
    SQL_ROUTE_GET,
    SQL_ROUTE_COPY,
    SQL_ROUTE_SELECT_STAGE, /* SELECT ... FROM @stage, LIST_STAGE(...), INFER_SCHEMA(...) */
};

enum sql_route sql_route_statement(const char *sql, size_t len);
const char *sql_route_name(enum sql_route r);
/* A SELECT_STAGE statement that reads LIST_STAGE(...) (not files). */
bool sql_route_is_list_stage(const char *sql, size_t len);
/* KILL [HARD|SOFT] [CONNECTION] id, alone: true with its id. (KILL QUERY
 * and KILL USER are not connection kills.) */
bool sql_route_kill_connection(const char *sql, size_t len, uint32_t *id);

#endif
