/* Server-side prepared statements for the statements this server answers
 * itself: COM_STMT_PREPARE/EXECUTE/SEND_LONG_DATA/RESET/CLOSE. EXECUTE binds
 * the parameters as SQL literals and runs the statement like COM_QUERY,
 * answering rows in the binary protocol. */
#ifndef SP_SERVER_MYSQL_STMT_H
#define SP_SERVER_MYSQL_STMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mysql_conn;
struct session;

void stmt_prepare(struct mysql_conn *c, const uint8_t *p, size_t len);
void stmt_execute(struct mysql_conn *c, const uint8_t *p, size_t len);
void stmt_send_long_data(struct mysql_conn *c, const uint8_t *p, size_t len);
void stmt_reset(struct mysql_conn *c, const uint8_t *p, size_t len);
void stmt_close(struct mysql_conn *c, const uint8_t *p, size_t len);
void stmt_close_all(struct session *s);
/* COM_STMT_EXECUTE, SEND_LONG_DATA, RESET or CLOSE on one of ours; any
 * other (COM_STMT_FETCH) is refused. `arg` follows the command byte. */
void stmt_command(struct mysql_conn *c, uint8_t command, const uint8_t *arg, size_t len);

/* Runs the statements of a COM_QUERY; `first` is false for what is left
 * of one after an asynchronous statement. */
void mysql_command_run_query(struct mysql_conn *c, const char *sql, size_t len, bool first);
/* Runs one statement: stage statements to the stage module, the rest to the
 * session layer. Returns 0 on success, -1 when an error was sent, 1 when the
 * statement went asynchronous (mysql_command_statement_done follows). */
int mysql_command_run_statement(struct mysql_conn *c, const char *sql, size_t len);
/* An asynchronous statement sent its answer (rc 0) or an error (rc -1):
 * runs the rest of its query, then takes input again. */
void mysql_command_statement_done(struct mysql_conn *c, int rc);

#endif
