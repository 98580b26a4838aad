#include "server/session_tables.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "protocol/mysql_packet.h"
#include "server/mysql_conn.h"
#include "server/process.h"
#include "server/session.h"

#define S       MYSQL_TYPE_VAR_STRING
#define I       MYSQL_TYPE_LONGLONG
#define D       MYSQL_TYPE_DATETIME
#define COLS(a) a, sizeof(a) / sizeof(a[0])

/* ---- information_schema ---- */

static const struct vtable_col schemata_cols[] = {
    {"CATALOG_NAME", S, 0},           {"SCHEMA_NAME", S, 0}, {"DEFAULT_CHARACTER_SET_NAME", S, 0},
    {"DEFAULT_COLLATION_NAME", S, 0}, {"SQL_PATH", S, 0},    {"DEFAULT_ENCRYPTION", S, 0}};
static const struct vtable_col tables_cols[] = {
    {"TABLE_CATALOG", S, 0}, {"TABLE_SCHEMA", S, 0},    {"TABLE_NAME", S, 0},
    {"TABLE_TYPE", S, 0},    {"ENGINE", S, 0},          {"VERSION", I, 0},
    {"ROW_FORMAT", S, 0},    {"TABLE_ROWS", I, 0},      {"AVG_ROW_LENGTH", I, 0},
    {"DATA_LENGTH", I, 0},   {"MAX_DATA_LENGTH", I, 0}, {"INDEX_LENGTH", I, 0},
    {"DATA_FREE", I, 0},     {"AUTO_INCREMENT", I, 0},  {"CREATE_TIME", D, 0},
    {"UPDATE_TIME", D, 0},   {"CHECK_TIME", D, 0},      {"TABLE_COLLATION", S, 0},
    {"CHECKSUM", I, 0},      {"CREATE_OPTIONS", S, 0},  {"TABLE_COMMENT", S, 0}};
static const struct vtable_col columns_cols[] = {{"TABLE_CATALOG", S, 0},
                                                 {"TABLE_SCHEMA", S, 0},
                                                 {"TABLE_NAME", S, 0},
                                                 {"COLUMN_NAME", S, 0},
                                                 {"ORDINAL_POSITION", I, 0},
                                                 {"COLUMN_DEFAULT", S, 0},
                                                 {"IS_NULLABLE", S, 0},
                                                 {"DATA_TYPE", S, 0},
                                                 {"CHARACTER_MAXIMUM_LENGTH", I, 0},
                                                 {"CHARACTER_OCTET_LENGTH", I, 0},
                                                 {"NUMERIC_PRECISION", I, 0},
                                                 {"NUMERIC_SCALE", I, 0},
                                                 {"DATETIME_PRECISION", I, 0},
                                                 {"CHARACTER_SET_NAME", S, 0},
                                                 {"COLLATION_NAME", S, 0},
                                                 {"COLUMN_TYPE", S, 0},
                                                 {"COLUMN_KEY", S, 0},
                                                 {"EXTRA", S, 0},
                                                 {"PRIVILEGES", S, 0},
                                                 {"COLUMN_COMMENT", S, 0},
                                                 {"GENERATION_EXPRESSION", S, 0},
                                                 {"SRS_ID", I, 0}};
static const struct vtable_col collations_cols[] = {
    {"COLLATION_NAME", S, 0}, {"CHARACTER_SET_NAME", S, 0}, {"ID", I, 0},
    {"IS_DEFAULT", S, 0},     {"IS_COMPILED", S, 0},        {"SORTLEN", I, 0},
    {"PAD_ATTRIBUTE", S, 0}};
static const struct vtable_col charsets_cols[] = {{"CHARACTER_SET_NAME", S, 0},
                                                  {"DEFAULT_COLLATE_NAME", S, 0},
                                                  {"DESCRIPTION", S, 0},
                                                  {"MAXLEN", I, 0}};
static const struct vtable_col keywords_cols[] = {{"WORD", S, 0}, {"RESERVED", I, 0}};
static const struct vtable_col engines_cols[] = {{"ENGINE", S, 0},  {"SUPPORT", S, 0},
                                                 {"COMMENT", S, 0}, {"TRANSACTIONS", S, 0},
                                                 {"XA", S, 0},      {"SAVEPOINTS", S, 0}};
static const struct vtable_col plugins_cols[] = {
    {"PLUGIN_NAME", S, 0}, {"PLUGIN_VERSION", S, 0}, {"PLUGIN_STATUS", S, 0},
    {"PLUGIN_TYPE", S, 0}, {"PLUGIN_LIBRARY", S, 0}, {"PLUGIN_LICENSE", S, 0}};
static const struct vtable_col processlist_cols[] = {
    {"ID", I, 0},      {"USER", S, 0}, {"HOST", S, 0},  {"DB", S, 0},
    {"COMMAND", S, 0}, {"TIME", I, 0}, {"STATE", S, 0}, {"INFO", S, 0}};
static const struct vtable_col key_column_usage_cols[] = {{"CONSTRAINT_CATALOG", S, 0},
                                                          {"CONSTRAINT_SCHEMA", S, 0},
                                                          {"CONSTRAINT_NAME", S, 0},
                                                          {"TABLE_CATALOG", S, 0},
                                                          {"TABLE_SCHEMA", S, 0},
                                                          {"TABLE_NAME", S, 0},
                                                          {"COLUMN_NAME", S, 0},
                                                          {"ORDINAL_POSITION", I, 0},
                                                          {"POSITION_IN_UNIQUE_CONSTRAINT", I, 0},
                                                          {"REFERENCED_TABLE_SCHEMA", S, 0},
                                                          {"REFERENCED_TABLE_NAME", S, 0},
                                                          {"REFERENCED_COLUMN_NAME", S, 0}};
static const struct vtable_col table_constraints_cols[] = {{"CONSTRAINT_CATALOG", S, 0},
                                                           {"CONSTRAINT_SCHEMA", S, 0},
                                                           {"CONSTRAINT_NAME", S, 0},
                                                           {"TABLE_SCHEMA", S, 0},
                                                           {"TABLE_NAME", S, 0},
                                                           {"CONSTRAINT_TYPE", S, 0},
                                                           {"ENFORCED", S, 0}};
static const struct vtable_col statistics_cols[] = {
    {"TABLE_CATALOG", S, 0}, {"TABLE_SCHEMA", S, 0}, {"TABLE_NAME", S, 0},
    {"NON_UNIQUE", I, 0},    {"INDEX_SCHEMA", S, 0}, {"INDEX_NAME", S, 0},
    {"SEQ_IN_INDEX", I, 0},  {"COLUMN_NAME", S, 0},  {"COLLATION", S, 0},
    {"CARDINALITY", I, 0},   {"SUB_PART", I, 0},     {"PACKED", S, 0},
    {"NULLABLE", S, 0},      {"INDEX_TYPE", S, 0},   {"COMMENT", S, 0},
    {"INDEX_COMMENT", S, 0}, {"IS_VISIBLE", S, 0},   {"EXPRESSION", S, 0}};
static const struct vtable_col routines_cols[] = {
    {"SPECIFIC_NAME", S, 0},   {"ROUTINE_CATALOG", S, 0},
    {"ROUTINE_SCHEMA", S, 0},  {"ROUTINE_NAME", S, 0},
    {"ROUTINE_TYPE", S, 0},    {"DATA_TYPE", S, 0},
    {"ROUTINE_BODY", S, 0},    {"ROUTINE_DEFINITION", S, 0},
    {"EXTERNAL_NAME", S, 0},   {"IS_DETERMINISTIC", S, 0},
    {"SQL_DATA_ACCESS", S, 0}, {"SECURITY_TYPE", S, 0},
    {"CREATED", D, 0},         {"LAST_ALTERED", D, 0},
    {"SQL_MODE", S, 0},        {"ROUTINE_COMMENT", S, 0},
    {"DEFINER", S, 0}};
static const struct vtable_col views_cols[] = {{"TABLE_CATALOG", S, 0},
                                               {"TABLE_SCHEMA", S, 0},
                                               {"TABLE_NAME", S, 0},
                                               {"VIEW_DEFINITION", S, 0},
                                               {"CHECK_OPTION", S, 0},
                                               {"IS_UPDATABLE", S, 0},
                                               {"DEFINER", S, 0},
                                               {"SECURITY_TYPE", S, 0},
                                               {"CHARACTER_SET_CLIENT", S, 0},
                                               {"COLLATION_CONNECTION", S, 0}};
static const struct vtable_col triggers_cols[] = {{"TRIGGER_CATALOG", S, 0},
                                                  {"TRIGGER_SCHEMA", S, 0},
                                                  {"TRIGGER_NAME", S, 0},
                                                  {"EVENT_MANIPULATION", S, 0},
                                                  {"EVENT_OBJECT_SCHEMA", S, 0},
                                                  {"EVENT_OBJECT_TABLE", S, 0},
                                                  {"ACTION_STATEMENT", S, 0},
                                                  {"ACTION_TIMING", S, 0},
                                                  {"CREATED", D, 0},
                                                  {"DEFINER", S, 0}};
static const struct vtable_col events_cols[] = {
    {"EVENT_CATALOG", S, 0}, {"EVENT_SCHEMA", S, 0}, {"EVENT_NAME", S, 0}, {"DEFINER", S, 0},
    {"EVENT_TYPE", S, 0},    {"STATUS", S, 0},       {"CREATED", D, 0}};
static const struct vtable_col parameters_cols[] = {
    {"SPECIFIC_CATALOG", S, 0}, {"SPECIFIC_SCHEMA", S, 0}, {"SPECIFIC_NAME", S, 0},
    {"ORDINAL_POSITION", I, 0}, {"PARAMETER_MODE", S, 0},  {"PARAMETER_NAME", S, 0},
    {"DATA_TYPE", S, 0},        {"DTD_IDENTIFIER", S, 0},  {"ROUTINE_TYPE", S, 0}};
static const struct vtable_col referential_cols[] = {{"CONSTRAINT_CATALOG", S, 0},
                                                     {"CONSTRAINT_SCHEMA", S, 0},
                                                     {"CONSTRAINT_NAME", S, 0},
                                                     {"UNIQUE_CONSTRAINT_CATALOG", S, 0},
                                                     {"UNIQUE_CONSTRAINT_SCHEMA", S, 0},
                                                     {"UNIQUE_CONSTRAINT_NAME", S, 0},
                                                     {"MATCH_OPTION", S, 0},
                                                     {"UPDATE_RULE", S, 0},
                                                     {"DELETE_RULE", S, 0},
                                                     {"TABLE_NAME", S, 0},
                                                     {"REFERENCED_TABLE_NAME", S, 0}};
static const struct vtable_col check_constraints_cols[] = {{"CONSTRAINT_CATALOG", S, 0},
                                                           {"CONSTRAINT_SCHEMA", S, 0},
                                                           {"CONSTRAINT_NAME", S, 0},
                                                           {"CHECK_CLAUSE", S, 0}};
static const struct vtable_col partitions_cols[] = {{"TABLE_CATALOG", S, 0},
                                                    {"TABLE_SCHEMA", S, 0},
                                                    {"TABLE_NAME", S, 0},
                                                    {"PARTITION_NAME", S, 0},
                                                    {"TABLE_ROWS", I, 0}};
static const struct vtable_col privileges_cols[] = {
    {"GRANTEE", S, 0}, {"TABLE_CATALOG", S, 0}, {"PRIVILEGE_TYPE", S, 0}, {"IS_GRANTABLE", S, 0}};

typedef int (*table_fill_fn)(struct session *s, struct vtable_rows *t);

static int fill_schemata(struct session *s, struct vtable_rows *t)
{
    (void)s;
    static const char *const dbs[] = {"information_schema", SESSION_STAGE_DB};
    for (int i = 0; i < 2; i++) {
        const char *row[] = {"def", dbs[i], "utf8mb4", "utf8mb4_0900_ai_ci", NULL, "NO"};
        if (vtable_rows_add(t, row) < 0)
            return -ENOMEM;
    }
    return 0;
}

static int fill_collations(struct session *s, struct vtable_rows *t)
{
    (void)s;
    const struct collation_def *c;
    for (size_t i = 0; (c = collation_at(i)); i++) {
        char id[8], maxlen[8];
        snprintf(id, sizeof(id), "%u", c->id);
        snprintf(maxlen, sizeof(maxlen), "%u", c->id == 255 ? 0 : 1);
        const char *row[] = {c->name,
                             c->charset,
                             id,
                             c->is_default ? "Yes" : "",
                             "Yes",
                             maxlen,
                             c->id == 255 ? "NO PAD" : "PAD SPACE"};
        if (vtable_rows_add(t, row) < 0)
            return -ENOMEM;
    }
    return 0;
}

static const char *charset_description(const char *cs)
{
    if (!strcmp(cs, "utf8mb4"))
        return "UTF-8 Unicode";
    if (!strcmp(cs, "utf8"))
        return "UTF-8 Unicode";
    if (!strcmp(cs, "latin1"))
        return "cp1252 West European";
    if (!strcmp(cs, "ascii"))
        return "US ASCII";
    return "Binary pseudo charset";
}

static int fill_charsets(struct session *s, struct vtable_rows *t)
{
    (void)s;
    const struct collation_def *c;
    for (size_t i = 0; (c = collation_at(i)); i++) {
        if (!c->is_default)
            continue;
        char maxlen[8];
        snprintf(maxlen, sizeof(maxlen), "%u", c->maxlen);
        const char *row[] = {c->charset, c->name, charset_description(c->charset), maxlen};
        if (vtable_rows_add(t, row) < 0)
            return -ENOMEM;
    }
    return 0;
}

static const char *command_name(const struct mysql_conn *c)
{
    return c->state == MYSQL_CONN_COMMAND ? "Sleep" : "Connect";
}

static int fill_processlist(struct session *s, struct vtable_rows *t)
{
    struct server *srv = s->conn->srv;
    struct list_node *n, *tmp;
    bool all = strcmp(s->user, "root") == 0;
    LIST_FOREACH_SAFE (n, tmp, &srv->mysql_conns) {
        struct mysql_conn *c = LIST_CONTAINER(n, struct mysql_conn, node);
        if (!c->sess || (!all && strcmp(c->sess->user, s->user) != 0))
            continue;
        char id[16], secs[24];
        snprintf(id, sizeof(id), "%u", c->id);
        snprintf(secs, sizeof(secs), "%llu",
                 (unsigned long long)((uv_now(srv->loop) - c->command_started_ms) / 1000));
        bool self = c == s->conn;
        const char *row[] = {id,
                             c->sess->user,
                             c->peer_ip,
                             c->sess->database,
                             self ? "Query" : command_name(c),
                             secs,
                             self ? "executing" : "",
                             NULL};
        if (vtable_rows_add(t, row) < 0)
            return -ENOMEM;
    }
    return 0;
}

struct is_table {
    const char *name;
    const struct vtable_col *cols;
    size_t ncols;
    table_fill_fn fill;
};

static const struct is_table info_schema[] = {
    {"SCHEMATA", COLS(schemata_cols), fill_schemata},
    {"TABLES", COLS(tables_cols), NULL},
    {"COLUMNS", COLS(columns_cols), NULL},
    {"COLLATIONS", COLS(collations_cols), fill_collations},
    {"CHARACTER_SETS", COLS(charsets_cols), fill_charsets},
    {"KEYWORDS", COLS(keywords_cols), NULL},
    {"ENGINES", COLS(engines_cols), NULL},
    {"PLUGINS", COLS(plugins_cols), NULL},
    {"PROCESSLIST", COLS(processlist_cols), fill_processlist},
    {"KEY_COLUMN_USAGE", COLS(key_column_usage_cols), NULL},
    {"TABLE_CONSTRAINTS", COLS(table_constraints_cols), NULL},
    {"STATISTICS", COLS(statistics_cols), NULL},
    {"ROUTINES", COLS(routines_cols), NULL},
    {"VIEWS", COLS(views_cols), NULL},
    {"TRIGGERS", COLS(triggers_cols), NULL},
    {"EVENTS", COLS(events_cols), NULL},
    {"PARAMETERS", COLS(parameters_cols), NULL},
    {"REFERENTIAL_CONSTRAINTS", COLS(referential_cols), NULL},
    {"CHECK_CONSTRAINTS", COLS(check_constraints_cols), NULL},
    {"PARTITIONS", COLS(partitions_cols), NULL},
    {"USER_PRIVILEGES", COLS(privileges_cols), NULL},
    {"SCHEMA_PRIVILEGES", COLS(privileges_cols), NULL},
    {"TABLE_PRIVILEGES", COLS(privileges_cols), NULL},
    {"COLUMN_PRIVILEGES", COLS(privileges_cols), NULL},
};

int vtable_load(struct session *s, const char *schema, const char *table, struct vtable_rows *out)
{
    if (strcasecmp(schema, "information_schema") != 0)
        return -ENOENT;
    for (size_t i = 0; i < sizeof(info_schema) / sizeof(info_schema[0]); i++) {
        const struct is_table *it = &info_schema[i];
        if (strcasecmp(it->name, table) != 0)
            continue;
        vtable_rows_init(out, it->cols, it->ncols);
        int rc = it->fill ? it->fill(s, out) : 0;
        if (rc < 0)
            vtable_rows_free(out);
        return rc;
    }
    return -ENOENT;
}

/* ---- SHOW ---- */

static const struct vtable_col variables_cols[] = {{"Variable_name", S, MYSQL_FLAG_NOT_NULL},
                                                   {"Value", S, 0}};
static const struct vtable_col databases_cols[] = {{"Database", S, MYSQL_FLAG_NOT_NULL}};
static const struct vtable_col show_collation_cols[] = {
    {"Collation", S, MYSQL_FLAG_NOT_NULL},
    {"Charset", S, MYSQL_FLAG_NOT_NULL},
    {"Id", I, MYSQL_FLAG_NOT_NULL | MYSQL_FLAG_UNSIGNED},
    {"Default", S, MYSQL_FLAG_NOT_NULL},
    {"Compiled", S, MYSQL_FLAG_NOT_NULL},
    {"Sortlen", I, MYSQL_FLAG_NOT_NULL | MYSQL_FLAG_UNSIGNED},
    {"Pad_attribute", S, MYSQL_FLAG_NOT_NULL}};
static const struct vtable_col show_charset_cols[] = {{"Charset", S, MYSQL_FLAG_NOT_NULL},
                                                      {"Description", S, MYSQL_FLAG_NOT_NULL},
                                                      {"Default collation", S, MYSQL_FLAG_NOT_NULL},
                                                      {"Maxlen", I, MYSQL_FLAG_NOT_NULL}};
static const struct vtable_col show_engines_cols[] = {{"Engine", S, 0},  {"Support", S, 0},
                                                      {"Comment", S, 0}, {"Transactions", S, 0},
                                                      {"XA", S, 0},      {"Savepoints", S, 0}};
static const struct vtable_col show_plugins_cols[] = {
    {"Name", S, 0}, {"Status", S, 0}, {"Type", S, 0}, {"Library", S, 0}, {"License", S, 0}};
static const struct vtable_col warnings_cols[] = {
    {"Level", S, MYSQL_FLAG_NOT_NULL},
    {"Code", I, MYSQL_FLAG_NOT_NULL | MYSQL_FLAG_UNSIGNED},
    {"Message", S, MYSQL_FLAG_NOT_NULL}};
static const struct vtable_col show_processlist_cols[] = {
    {"Id", I, MYSQL_FLAG_NOT_NULL | MYSQL_FLAG_UNSIGNED},
    {"User", S, 0},
    {"Host", S, 0},
    {"db", S, 0},
    {"Command", S, 0},
    {"Time", I, 0},
    {"State", S, 0},
    {"Info", S, 0}};
static const struct vtable_col table_status_cols[] = {
    {"Name", S, 0},           {"Engine", S, 0},
    {"Version", I, 0},        {"Row_format", S, 0},
    {"Rows", I, 0},           {"Avg_row_length", I, 0},
    {"Data_length", I, 0},    {"Max_data_length", I, 0},
    {"Index_length", I, 0},   {"Data_free", I, 0},
    {"Auto_increment", I, 0}, {"Create_time", D, 0},
    {"Update_time", D, 0},    {"Check_time", D, 0},
    {"Collation", S, 0},      {"Checksum", I, 0},
    {"Create_options", S, 0}, {"Comment", S, 0}};
static const struct vtable_col show_privileges_cols[] = {
    {"Privilege", S, 0}, {"Context", S, 0}, {"Comment", S, 0}};
static const struct vtable_col show_triggers_cols[] = {{"Trigger", S, 0},
                                                       {"Event", S, 0},
                                                       {"Table", S, 0},
                                                       {"Statement", S, 0},
                                                       {"Timing", S, 0},
                                                       {"Created", D, 0},
                                                       {"sql_mode", S, 0},
                                                       {"Definer", S, 0},
                                                       {"character_set_client", S, 0},
                                                       {"collation_connection", S, 0},
                                                       {"Database Collation", S, 0}};
static const struct vtable_col show_events_cols[] = {{"Db", S, 0},
                                                     {"Name", S, 0},
                                                     {"Definer", S, 0},
                                                     {"Time zone", S, 0},
                                                     {"Type", S, 0},
                                                     {"Execute at", D, 0},
                                                     {"Interval value", S, 0},
                                                     {"Interval field", S, 0},
                                                     {"Starts", D, 0},
                                                     {"Ends", D, 0},
                                                     {"Status", S, 0},
                                                     {"Originator", I, 0},
                                                     {"character_set_client", S, 0},
                                                     {"collation_connection", S, 0},
                                                     {"Database Collation", S, 0}};
static const struct vtable_col routine_status_cols[] = {{"Db", S, 0},
                                                        {"Name", S, 0},
                                                        {"Type", S, 0},
                                                        {"Definer", S, 0},
                                                        {"Modified", D, 0},
                                                        {"Created", D, 0},
                                                        {"Security_type", S, 0},
                                                        {"Comment", S, 0},
                                                        {"character_set_client", S, 0},
                                                        {"collation_connection", S, 0},
                                                        {"Database Collation", S, 0}};
static const struct vtable_col replication_cols[] = {{"File", S, 0},
                                                     {"Position", I, 0},
                                                     {"Binlog_Do_DB", S, 0},
                                                     {"Binlog_Ignore_DB", S, 0},
                                                     {"Executed_Gtid_Set", S, 0}};
static const struct vtable_col create_db_cols[] = {{"Database", S, 0}, {"Create Database", S, 0}};

static struct vtable_col grants_cols[1];
static struct vtable_col show_tables_cols[2];

static int fill_variables(struct session *s, struct vtable_rows *t, bool global)
{
    const struct sysvar_def *d;
    for (size_t i = 0; (d = sysvar_at(i)); i++) {
        char tmp[8];
        if (global && (d->flags & SYSVAR_SESSION_ONLY))
            continue;
        const char *row[] = {d->name, session_var_show(s, d, global, tmp, sizeof(tmp))};
        if (vtable_rows_add(t, row) < 0)
            return -ENOMEM;
    }
    return 0;
}

static int fill_status(struct session *s, struct vtable_rows *t)
{
    struct server *srv = s->conn->srv;
    struct metrics m;
    server_metrics(srv, &m);
    char up[32], threads[32], questions[32], conns[32];
    snprintf(up, sizeof(up), "%llu",
             (unsigned long long)((uv_now(srv->loop) - srv->start_ms) / 1000));
    snprintf(threads, sizeof(threads), "%zu", srv->n_mysql_conns);
    snprintf(questions, sizeof(questions), "%llu", (unsigned long long)m.questions);
    snprintf(conns, sizeof(conns), "%u", srv->next_conn_id);
    const char *rows[][2] = {{"Connections", conns},
                             {"Questions", questions},
                             {"Threads_connected", threads},
                             {"Uptime", up}};
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (vtable_rows_add(t, rows[i]) < 0)
            return -ENOMEM;
    return 0;
}

static int fill_show_collation(struct session *s, struct vtable_rows *t)
{
    struct vtable_rows is;
    vtable_rows_init(&is, COLS(collations_cols));
    int rc = fill_collations(s, &is);
    for (size_t r = 0; rc == 0 && r < is.nrows; r++)
        rc = vtable_rows_add(t, is.cells + r * is.ncols);
    vtable_rows_free(&is);
    return rc;
}

static int fill_show_charset(struct session *s, struct vtable_rows *t)
{
    struct vtable_rows is;
    vtable_rows_init(&is, COLS(charsets_cols));
    int rc = fill_charsets(s, &is);
    for (size_t r = 0; rc == 0 && r < is.nrows; r++) {
        const char *const *c = is.cells + r * is.ncols;
        const char *row[] = {c[0], c[2], c[1], c[3]};
        rc = vtable_rows_add(t, row);
    }
    vtable_rows_free(&is);
    return rc;
}

static int fill_warnings(struct session *s, struct vtable_rows *t)
{
    if (!s->last_error)
        return 0;
    char code[8];
    snprintf(code, sizeof(code), "%u", s->last_error_code);
    const char *row[] = {"Error", code, s->last_error};
    return vtable_rows_add(t, row);
}

static int fill_grants(struct session *s, struct vtable_rows *t, char *name, size_t len)
{
    char grant[160];
    snprintf(name, len, "Grants for %s@%%", s->user);
    grants_cols[0] = (struct vtable_col){name, S, MYSQL_FLAG_NOT_NULL};
    t->cols = grants_cols;
    snprintf(grant, sizeof(grant), "GRANT %s ON *.* TO `%s`@`%%`",
             strcmp(s->user, "root") == 0 ? "ALL PRIVILEGES" : "USAGE", s->user);
    const char *row[] = {grant};
    return vtable_rows_add(t, row);
}

static int fill_create_database(struct session *s, struct vtable_rows *t, const char *db)
{
    char ddl[256];
    if (!db || !session_database_exists(s->conn->srv, db))
        return -ENOENT;
    snprintf(ddl, sizeof(ddl),
             "CREATE DATABASE `%s` /*!40100 DEFAULT CHARACTER SET utf8mb4 COLLATE "
             "utf8mb4_0900_ai_ci */ /*!80016 DEFAULT ENCRYPTION='N' */",
             db);
    const char *row[] = {db, ddl};
    return vtable_rows_add(t, row);
}

int show_table_build(struct session *s, enum show_kind kind, const struct show_args *args,
                     struct vtable_rows *out, char *name_buf, size_t name_len)
{
    switch (kind) {
    case SHOW_VARIABLES:
        vtable_rows_init(out, COLS(variables_cols));
        return fill_variables(s, out, args->global);
    case SHOW_STATUS:
        vtable_rows_init(out, COLS(variables_cols));
        return fill_status(s, out);
    case SHOW_DATABASES: {
        vtable_rows_init(out, COLS(databases_cols));
        static const char *const dbs[] = {"information_schema", SESSION_STAGE_DB};
        for (int i = 0; i < 2; i++)
            if (vtable_rows_add(out, &dbs[i]) < 0)
                return -ENOMEM;
        return 0;
    }
    case SHOW_TABLES:
        snprintf(name_buf, name_len, "Tables_in_%s", args->db);
        show_tables_cols[0] = (struct vtable_col){name_buf, S, MYSQL_FLAG_NOT_NULL};
        show_tables_cols[1] = (struct vtable_col){"Table_type", S, MYSQL_FLAG_NOT_NULL};
        vtable_rows_init(out, show_tables_cols, args->full ? 2 : 1);
        return 0;
    case SHOW_COLLATION:
        vtable_rows_init(out, COLS(show_collation_cols));
        return fill_show_collation(s, out);
    case SHOW_CHARSET:
        vtable_rows_init(out, COLS(show_charset_cols));
        return fill_show_charset(s, out);
    case SHOW_ENGINES:
        vtable_rows_init(out, COLS(show_engines_cols));
        return 0;
    case SHOW_PLUGINS:
        vtable_rows_init(out, COLS(show_plugins_cols));
        return 0;
    case SHOW_WARNINGS:
        vtable_rows_init(out, COLS(warnings_cols));
        return fill_warnings(s, out);
    case SHOW_GRANTS:
        vtable_rows_init(out, grants_cols, 1);
        return fill_grants(s, out, name_buf, name_len);
    case SHOW_PROCESSLIST:
        vtable_rows_init(out, COLS(show_processlist_cols));
        return fill_processlist(s, out);
    case SHOW_TABLE_STATUS:
        vtable_rows_init(out, COLS(table_status_cols));
        return 0;
    case SHOW_PRIVILEGES:
        vtable_rows_init(out, COLS(show_privileges_cols));
        return 0;
    case SHOW_TRIGGERS:
        vtable_rows_init(out, COLS(show_triggers_cols));
        return 0;
    case SHOW_EVENTS:
        vtable_rows_init(out, COLS(show_events_cols));
        return 0;
    case SHOW_ROUTINE_STATUS:
        vtable_rows_init(out, COLS(routine_status_cols));
        return 0;
    case SHOW_REPLICATION_STATUS:
        vtable_rows_init(out, COLS(replication_cols));
        return 0;
    case SHOW_CREATE_DATABASE:
        vtable_rows_init(out, COLS(create_db_cols));
        return fill_create_database(s, out, args->db);
    }
    return -EINVAL;
}
