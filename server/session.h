/* The session layer of stage-only mode: one session per authenticated MySQL
 * connection, holding the current user and database, session and user
 * variables, the transaction flags and prepared statements, and answering
 * every statement that is not a stage statement when there is no upstream. */
#ifndef SP_SERVER_SESSION_H
#define SP_SERVER_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/buf.h"

struct mysql_conn;
struct server;

/* The database that stands for the stage namespace. */
#define SESSION_STAGE_DB "stageproxy"

enum sysvar_type { SYSVAR_BOOL, SYSVAR_INT, SYSVAR_STR };

#define SYSVAR_GLOBAL_ONLY  0x01
#define SYSVAR_READONLY     0x02
#define SYSVAR_NULLABLE     0x04
#define SYSVAR_SESSION_ONLY 0x08

struct sysvar_def {
    const char *name;
    enum sysvar_type type;
    const char *def; /* NULL: computed from the configuration */
    unsigned flags;
};

struct sysvar_override {
    const struct sysvar_def *def;
    char *value; /* NULL: SQL NULL */
};

struct user_var {
    char *name;
    char *value; /* NULL: SQL NULL */
    bool is_int;
};

struct prepared_stmt;

struct session {
    struct mysql_conn *conn;
    char *user;
    char *database; /* NULL: none selected */
    struct sysvar_override *vars;
    size_t n_vars;
    struct user_var *uvars;
    size_t n_uvars;
    struct prepared_stmt *stmts; /* linked list */
    uint32_t next_stmt_id;
    uint32_t last_stmt_id; /* the last one prepared; 0 when that failed */
    bool in_trans;
    bool multi_statements; /* COM_SET_OPTION can change what the handshake said */
    uint16_t collation;    /* for text columns we send */
    uint16_t more_results; /* SERVER_MORE_RESULTS_EXISTS while a multi-statement runs */
    uint16_t last_error_code;
    char *last_error;
};

struct session *session_new(struct mysql_conn *c, const char *user, const char *db,
                            uint16_t collation);
void session_free(struct session *s);
/* COM_RESET_CONNECTION: variables and statements back to defaults; db kept. */
void session_reset(struct session *s);
uint16_t session_status_flags(const struct session *s);
uint16_t session_charset(const struct session *s);
void session_note_error(struct session *s, uint16_t code, const char *msg);
bool session_database_exists(struct server *srv, const char *db);
int session_use_database(struct session *s, const char *db);

/* Variables (session_vars.c). */
const struct sysvar_def *sysvar_find(const char *name, size_t len);
const struct sysvar_def *sysvar_at(size_t i);
/* The value as SELECT @@x shows it; NULL for SQL NULL. `global` ignores
 * session overrides. The result stays valid until the variable changes. */
const char *session_var_get(struct session *s, const struct sysvar_def *d, bool global);
/* The value as SHOW VARIABLES shows it (ON/OFF for booleans). */
const char *session_var_show(struct session *s, const struct sysvar_def *d, bool global, char *tmp,
                             size_t tmp_len);
/* Assigns a session variable; NULL value for SQL NULL, is_default for DEFAULT.
 * On failure sends nothing and returns the error to report. */
int session_var_set(struct session *s, const struct sysvar_def *d, const char *value,
                    bool is_default);
int session_set_names(struct session *s, const char *charset, const char *collation);
const char *session_user_var_get(struct session *s, const char *name, size_t len, bool *is_int);
int session_user_var_set(struct session *s, const char *name, size_t len, const char *value,
                         bool is_int);

/* Collations and character sets we know about. */
struct collation_def {
    uint16_t id;
    const char *name;
    const char *charset;
    bool is_default;
    unsigned maxlen;
};
const struct collation_def *collation_by_id(uint16_t id);
const struct collation_def *collation_by_name(const char *name);
const struct collation_def *collation_default_for(const char *charset);
const struct collation_def *collation_at(size_t i);

/* Runs one statement of COM_QUERY (or of an executed prepared statement) in
 * stage-only mode and sends its complete answer. Returns 0 when it answered
 * with OK or a result set, -1 when it answered with an error (a
 * multi-statement stops there). */
int session_execute(struct session *s, const char *sql, size_t len);
/* KILL [QUERY] id and COM_PROCESS_KILL; sends the answer. */
int session_kill(struct session *s, uint32_t id, bool query_only);

#endif
