/* The grammar of stage statements (Databend v1.2, "Gen B"), parsed from
 * tokens into a statement struct. I/O-free; errors carry Databend's code
 * and name. */
#ifndef SP_PROTOCOL_STAGE_SQL_H
#define SP_PROTOCOL_STAGE_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum stage_stmt_kind {
    STAGE_STMT_CREATE,
    STAGE_STMT_DROP,
    STAGE_STMT_DESC,
    STAGE_STMT_SHOW,
    STAGE_STMT_LIST,
    STAGE_STMT_REMOVE,
    STAGE_STMT_LIST_STAGE, /* SELECT ... FROM LIST_STAGE(...) */
    STAGE_STMT_PRESIGN,
};

struct stage_option {
    char *key; /* lower case */
    char *value;
};

struct stage_stmt {
    enum stage_stmt_kind kind;
    bool or_replace, if_not_exists, if_exists;
    char *name; /* stage name; "~" for the user stage */
    char *url;
    struct stage_option *connection; /* CONNECTION and legacy CREDENTIALS */
    size_t n_connection;
    struct stage_option *file_format;
    size_t n_file_format;
    char *comment;
    char *like;         /* SHOW STAGES LIKE */
    int64_t limit;      /* SHOW STAGES LIMIT; -1 none */
    char *path;         /* LIST/REMOVE/LIST_STAGE: path after the stage name, no leading '/' */
    char *pattern;      /* NULL: none */
    size_t select_end;  /* LIST_STAGE: offset just after the closing ')' */
    size_t func_start;  /* LIST_STAGE: offset of the function name */
    bool upload;        /* PRESIGN UPLOAD (else DOWNLOAD) */
    int64_t expire;     /* PRESIGN EXPIRE, seconds */
    char *content_type; /* PRESIGN CONTENT_TYPE; NULL: none */
    /* on error */
    int err_code;
    const char *err_name;
    char err_msg[256];
};

/* 0, or -1 with err_* set. `st` must be freed either way. */
int stage_sql_parse(const char *sql, size_t len, enum stage_stmt_kind kind, struct stage_stmt *st);
void stage_stmt_free(struct stage_stmt *st);

/* Splits "@name/path" (without the @) into name and path. 0 or -1. */
int stage_location_split(const char *loc, size_t len, char **name, char **path);

/* A plain identifier as Databend accepts for stage names. */
bool stage_name_valid(const char *name);

#endif
