/* Session state: system and user variables, character sets and the
 * session's lifecycle. One store: SET writes it, SELECT @@x and SHOW
 * VARIABLES read it. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "protocol/mysql_packet.h"
#include "server/mysql_conn.h"
#include "server/mysql_stmt.h"
#include "server/process.h"
#include "server/session.h"

#define DEFAULT_SQL_MODE                                                                         \
    "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_" \
    "ZERO,NO_ENGINE_SUBSTITUTION"

/* Sorted by name: SHOW VARIABLES lists them in this order. */
static const struct sysvar_def sysvars[] = {
    {"auto_increment_increment", SYSVAR_INT, "1", 0},
    {"auto_increment_offset", SYSVAR_INT, "1", 0},
    {"autocommit", SYSVAR_BOOL, "1", 0},
    {"big_tables", SYSVAR_BOOL, "0", 0},
    {"character_set_client", SYSVAR_STR, "utf8mb4", 0},
    {"character_set_connection", SYSVAR_STR, "utf8mb4", 0},
    {"character_set_database", SYSVAR_STR, "utf8mb4", 0},
    {"character_set_filesystem", SYSVAR_STR, "binary", 0},
    {"character_set_results", SYSVAR_STR, "utf8mb4", SYSVAR_NULLABLE},
    {"character_set_server", SYSVAR_STR, "utf8mb4", 0},
    {"character_set_system", SYSVAR_STR, "utf8mb3", SYSVAR_READONLY | SYSVAR_GLOBAL_ONLY},
    {"collation_connection", SYSVAR_STR, "utf8mb4_0900_ai_ci", 0},
    {"collation_database", SYSVAR_STR, "utf8mb4_0900_ai_ci", 0},
    {"collation_server", SYSVAR_STR, "utf8mb4_0900_ai_ci", 0},
    {"connect_timeout", SYSVAR_INT, "10", SYSVAR_GLOBAL_ONLY},
    {"default_authentication_plugin", SYSVAR_STR, NULL, SYSVAR_READONLY | SYSVAR_GLOBAL_ONLY},
    {"default_storage_engine", SYSVAR_STR, "InnoDB", 0},
    {"default_week_format", SYSVAR_INT, "0", 0},
    {"div_precision_increment", SYSVAR_INT, "4", 0},
    {"foreign_key_checks", SYSVAR_BOOL, "1", 0},
    {"group_concat_max_len", SYSVAR_INT, "1024", 0},
    {"have_ssl", SYSVAR_STR, NULL, SYSVAR_READONLY | SYSVAR_GLOBAL_ONLY},
    {"hostname", SYSVAR_STR, "localhost", SYSVAR_READONLY | SYSVAR_GLOBAL_ONLY},
    {"init_connect", SYSVAR_STR, "", SYSVAR_GLOBAL_ONLY},
    {"innodb_read_only", SYSVAR_BOOL, "0", SYSVAR_READONLY | SYSVAR_GLOBAL_ONLY},
    {"interactive_timeout", SYSVAR_INT, "28800", 0},
    {"lc_messages", SYSVAR_STR, "en_US", 0},
    {"lc_time_names", SYSVAR_STR, "en_US", 0},
    {"license", SYSVAR_STR, "GPL", SYSVAR_READONLY | SYSVAR_GLOBAL_ONLY},
    {"local_infile", SYSVAR_BOOL, "0", SYSVAR_GLOBAL_ONLY},
    {"lock_wait_timeout", SYSVAR_INT, "31536000", 0},
    {"log_bin", SYSVAR_BOOL, "0", SYSVAR_READONLY | SYSVAR_GLOBAL_ONLY},
    {"lower_case_table_names", SYSVAR_INT, "0", SYSVAR_READONLY | SYSVAR_GLOBAL_ONLY},
    {"max_allowed_packet", SYSVAR_INT, NULL, 0},
    {"max_connections", SYSVAR_INT, NULL, SYSVAR_GLOBAL_ONLY},
    {"max_execution_time", SYSVAR_INT, "0", 0},
    {"max_join_size", SYSVAR_INT, "18446744073709551615", 0},
    {"net_buffer_length", SYSVAR_INT, "16384", 0},
    {"net_read_timeout", SYSVAR_INT, "30", 0},
    {"net_write_timeout", SYSVAR_INT, "60", 0},
    {"partial_revokes", SYSVAR_BOOL, "0", SYSVAR_GLOBAL_ONLY},
    {"performance_schema", SYSVAR_BOOL, "0", SYSVAR_READONLY | SYSVAR_GLOBAL_ONLY},
    {"port", SYSVAR_INT, NULL, SYSVAR_READONLY | SYSVAR_GLOBAL_ONLY},
    {"protocol_version", SYSVAR_INT, "10", SYSVAR_READONLY | SYSVAR_GLOBAL_ONLY},
    {"query_cache_size", SYSVAR_INT, "1048576", SYSVAR_GLOBAL_ONLY},
    {"query_cache_type", SYSVAR_STR, "OFF", 0},
    {"read_only", SYSVAR_BOOL, "0", SYSVAR_GLOBAL_ONLY},
    {"server_id", SYSVAR_INT, "1", SYSVAR_GLOBAL_ONLY},
    {"session_track_schema", SYSVAR_BOOL, "1", 0},
    {"session_track_state_change", SYSVAR_BOOL, "0", 0},
    {"session_track_system_variables", SYSVAR_STR,
     "time_zone,autocommit,character_set_client,"
     "character_set_results,character_set_connection",
     0},
    {"session_track_transaction_info", SYSVAR_STR, "OFF", 0},
    {"sql_auto_is_null", SYSVAR_BOOL, "0", SYSVAR_SESSION_ONLY},
    {"sql_big_selects", SYSVAR_BOOL, "1", 0},
    {"sql_log_bin", SYSVAR_BOOL, "1", SYSVAR_SESSION_ONLY},
    {"sql_mode", SYSVAR_STR, DEFAULT_SQL_MODE, 0},
    {"sql_notes", SYSVAR_BOOL, "1", 0},
    {"sql_quote_show_create", SYSVAR_BOOL, "1", 0},
    {"sql_safe_updates", SYSVAR_BOOL, "0", 0},
    {"sql_select_limit", SYSVAR_INT, "18446744073709551615", 0},
    {"sql_warnings", SYSVAR_BOOL, "0", 0},
    {"ssl_cipher", SYSVAR_STR, "", SYSVAR_READONLY | SYSVAR_SESSION_ONLY},
    {"system_time_zone", SYSVAR_STR, "UTC", SYSVAR_READONLY | SYSVAR_GLOBAL_ONLY},
    {"time_zone", SYSVAR_STR, "SYSTEM", 0},
    {"transaction_isolation", SYSVAR_STR, "REPEATABLE-READ", 0},
    {"transaction_read_only", SYSVAR_BOOL, "0", 0},
    {"tx_isolation", SYSVAR_STR, "REPEATABLE-READ", 0},
    {"tx_read_only", SYSVAR_BOOL, "0", 0},
    {"unique_checks", SYSVAR_BOOL, "1", 0},
    {"version", SYSVAR_STR, NULL, SYSVAR_READONLY | SYSVAR_GLOBAL_ONLY},
    {"version_comment", SYSVAR_STR, "stageproxy - Databend-style stages for MySQL",
     SYSVAR_READONLY | SYSVAR_GLOBAL_ONLY},
    {"version_compile_machine", SYSVAR_STR, "x86_64", SYSVAR_READONLY | SYSVAR_GLOBAL_ONLY},
    {"version_compile_os", SYSVAR_STR, "Linux", SYSVAR_READONLY | SYSVAR_GLOBAL_ONLY},
    {"wait_timeout", SYSVAR_INT, "28800", 0},
};

#define N_SYSVARS (sizeof(sysvars) / sizeof(sysvars[0]))

static const struct collation_def collations[] = {
    {8, "latin1_swedish_ci", "latin1", true, 1},
    {11, "ascii_general_ci", "ascii", true, 1},
    {33, "utf8_general_ci", "utf8", true, 3},
    {45, "utf8mb4_general_ci", "utf8mb4", false, 4},
    {46, "utf8mb4_bin", "utf8mb4", false, 4},
    {47, "latin1_bin", "latin1", false, 1},
    {63, "binary", "binary", true, 1},
    {65, "ascii_bin", "ascii", false, 1},
    {83, "utf8_bin", "utf8", false, 3},
    {192, "utf8_unicode_ci", "utf8", false, 3},
    {224, "utf8mb4_unicode_ci", "utf8mb4", false, 4},
    {255, "utf8mb4_0900_ai_ci", "utf8mb4", true, 4},
};

#define N_COLLATIONS (sizeof(collations) / sizeof(collations[0]))

const struct collation_def *collation_at(size_t i)
{
    return i < N_COLLATIONS ? &collations[i] : NULL;
}

const struct collation_def *collation_by_id(uint16_t id)
{
    for (size_t i = 0; i < N_COLLATIONS; i++)
        if (collations[i].id == id)
            return &collations[i];
    return NULL;
}

static const char *charset_alias(const char *cs)
{
    return strcasecmp(cs, "utf8mb3") == 0 ? "utf8" : cs;
}

const struct collation_def *collation_by_name(const char *name)
{
    /* utf8mb3_* is MySQL 8.0.30's name for utf8_*. */
    char tmp[64];
    if (strncasecmp(name, "utf8mb3_", 8) == 0) {
        snprintf(tmp, sizeof(tmp), "utf8_%s", name + 8);
        name = tmp;
    }
    for (size_t i = 0; i < N_COLLATIONS; i++)
        if (strcasecmp(collations[i].name, name) == 0)
            return &collations[i];
    return NULL;
}

const struct collation_def *collation_default_for(const char *charset)
{
    charset = charset_alias(charset);
    for (size_t i = 0; i < N_COLLATIONS; i++)
        if (collations[i].is_default && strcasecmp(collations[i].charset, charset) == 0)
            return &collations[i];
    return NULL;
}

const struct sysvar_def *sysvar_at(size_t i)
{
    return i < N_SYSVARS ? &sysvars[i] : NULL;
}

const struct sysvar_def *sysvar_find(const char *name, size_t len)
{
    for (size_t i = 0; i < N_SYSVARS; i++)
        if (strlen(sysvars[i].name) == len && strncasecmp(sysvars[i].name, name, len) == 0)
            return &sysvars[i];
    return NULL;
}

static const char *dynamic_default(struct session *s, const struct sysvar_def *d)
{
    static char tmp[64];
    struct server *srv = s->conn->srv;
    if (strcmp(d->name, "version") == 0)
        return srv->server_version;
    if (strcmp(d->name, "default_authentication_plugin") == 0)
        return srv->cfg->auth_plugin;
    if (strcmp(d->name, "have_ssl") == 0)
        return srv->tls_ctx ? "YES" : "DISABLED";
    if (strcmp(d->name, "max_allowed_packet") == 0)
        snprintf(tmp, sizeof(tmp), "%ld", srv->cfg->max_allowed_packet);
    else if (strcmp(d->name, "max_connections") == 0)
        snprintf(tmp, sizeof(tmp), "%ld", srv->cfg->max_connections);
    else if (strcmp(d->name, "port") == 0) {
        const char *colon = strrchr(srv->mysql_addr, ':');
        snprintf(tmp, sizeof(tmp), "%s", colon ? colon + 1 : "0");
    } else
        return "";
    return tmp;
}

static struct sysvar_override *find_override(struct session *s, const struct sysvar_def *d)
{
    for (size_t i = 0; i < s->n_vars; i++)
        if (s->vars[i].def == d)
            return &s->vars[i];
    return NULL;
}

const char *session_var_get(struct session *s, const struct sysvar_def *d, bool global)
{
    if (strcmp(d->name, "ssl_cipher") == 0 && !global && s->conn->tls)
        return SSL_get_cipher_name(tls_filter_ssl(s->conn->tls));
    if (!global) {
        struct sysvar_override *o = find_override(s, d);
        if (o)
            return o->value;
    }
    return d->def ? d->def : dynamic_default(s, d);
}

const char *session_var_show(struct session *s, const struct sysvar_def *d, bool global, char *tmp,
                             size_t tmp_len)
{
    const char *v = session_var_get(s, d, global);
    if (v && d->type == SYSVAR_BOOL)
        return strcmp(v, "0") == 0 ? "OFF" : "ON";
    if (!v) {
        snprintf(tmp, tmp_len, "%s", "");
        return tmp;
    }
    return v;
}

static int store(struct session *s, const struct sysvar_def *d, const char *value)
{
    struct sysvar_override *o = find_override(s, d);
    char *copy = NULL;
    if (value && !(copy = strdup(value)))
        return -ENOMEM;
    if (!o) {
        struct sysvar_override *v = realloc(s->vars, (s->n_vars + 1) * sizeof(*v));
        if (!v) {
            free(copy);
            return -ENOMEM;
        }
        s->vars = v;
        o = &s->vars[s->n_vars++];
        o->def = d;
    } else {
        free(o->value);
    }
    o->value = copy;
    return 0;
}

static int normalize_bool(const char *v, char out[2])
{
    if (!strcasecmp(v, "1") || !strcasecmp(v, "ON") || !strcasecmp(v, "TRUE")) {
        strcpy(out, "1");
        return 0;
    }
    if (!strcasecmp(v, "0") || !strcasecmp(v, "OFF") || !strcasecmp(v, "FALSE")) {
        strcpy(out, "0");
        return 0;
    }
    return -EINVAL;
}

static int valid_isolation(const char *v, char *out, size_t out_len)
{
    static const char *const levels[] = {"READ-UNCOMMITTED", "READ-COMMITTED", "REPEATABLE-READ",
                                         "SERIALIZABLE"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(v, levels[i]) == 0) {
            snprintf(out, out_len, "%s", levels[i]);
            return 0;
        }
    }
    return -EINVAL;
}

static int set_charset_var(struct session *s, const struct sysvar_def *d, const char *v)
{
    if (!v)
        return (d->flags & SYSVAR_NULLABLE) ? store(s, d, NULL) : -EINVAL;
    if (strncmp(d->name, "collation_", 10) == 0) {
        const struct collation_def *c = collation_by_name(v);
        if (!c)
            return -ENOENT;
        if (strcmp(d->name, "collation_connection") == 0) {
            s->collation = c->id;
            store(s, sysvar_find("character_set_connection", 24), c->charset);
        }
        return store(s, d, c->name);
    }
    const struct collation_def *c = collation_default_for(v);
    if (!c)
        return -ENOENT;
    if (strcmp(d->name, "character_set_connection") == 0) {
        s->collation = c->id;
        store(s, sysvar_find("collation_connection", 20), c->name);
    }
    return store(s, d, charset_alias(v));
}

/* sql_mode is a set: upper case, no empty items, no duplicates. */
static int store_sql_mode(struct session *s, const struct sysvar_def *d, const char *value)
{
    struct buf out;
    buf_init(&out);
    const char *p = value;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        while (n > 0 && (*p == ' ')) {
            p++;
            n--;
        }
        while (n > 0 && p[n - 1] == ' ')
            n--;
        bool dup = false;
        for (size_t i = 0; n > 0 && i + n <= out.len && !dup; i++) {
            bool at_item = i == 0 || out.data[i - 1] == ',';
            bool ends = i + n == out.len || out.data[i + n] == ',';
            dup = at_item && ends && strncasecmp((const char *)out.data + i, p, n) == 0;
        }
        if (n > 0 && !dup) {
            if (out.len)
                buf_put_u8(&out, ',');
            for (size_t i = 0; i < n; i++)
                buf_put_u8(&out, (uint8_t)toupper((unsigned char)p[i]));
        }
        p += comma ? (size_t)(comma - p) + 1 : strlen(p);
    }
    buf_put_u8(&out, 0);
    int rc = out.oom ? -ENOMEM : store(s, d, (const char *)out.data);
    buf_free(&out);
    return rc;
}

/* Aliases that must stay in step with each other. */
static const struct sysvar_def *twin_of(const struct sysvar_def *d)
{
    static const char *const twins[][2] = {{"transaction_isolation", "tx_isolation"},
                                           {"transaction_read_only", "tx_read_only"}};
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 2; j++)
            if (strcmp(d->name, twins[i][j]) == 0)
                return sysvar_find(twins[i][1 - j], strlen(twins[i][1 - j]));
    }
    return NULL;
}

int session_var_set(struct session *s, const struct sysvar_def *d, const char *value,
                    bool is_default)
{
    char norm[64];
    if (is_default) {
        struct sysvar_override *o = find_override(s, d);
        if (o) {
            free(o->value);
            *o = s->vars[--s->n_vars];
        }
        if (strcmp(d->name, "autocommit") == 0)
            s->in_trans = false;
        if (strncmp(d->name, "collation_connection", 20) == 0 ||
            strcmp(d->name, "character_set_connection") == 0)
            s->collation = 255;
        return 0;
    }
    if (!value && !(d->flags & SYSVAR_NULLABLE))
        return -EINVAL;
    if (strncmp(d->name, "character_set_", 14) == 0 || strncmp(d->name, "collation_", 10) == 0)
        return set_charset_var(s, d, value);
    switch (d->type) {
    case SYSVAR_BOOL:
        if (normalize_bool(value, norm) < 0)
            return -EINVAL;
        value = norm;
        if (strcmp(d->name, "autocommit") == 0 && norm[0] == '1')
            s->in_trans = false; /* autocommit=1 commits */
        break;
    case SYSVAR_INT: {
        char *end;
        errno = 0;
        strtoull(value, &end, 10);
        if (!*value || *end || errno || value[0] == '-')
            return -EINVAL;
        break;
    }
    case SYSVAR_STR:
        if (strcmp(d->name, "sql_mode") == 0)
            return store_sql_mode(s, d, value);
        if (strcmp(d->name, "transaction_isolation") == 0 || strcmp(d->name, "tx_isolation") == 0) {
            if (valid_isolation(value, norm, sizeof(norm)) < 0)
                return -EINVAL;
            value = norm;
        }
        break;
    }
    const struct sysvar_def *twin = twin_of(d);
    if (twin && store(s, twin, value) < 0)
        return -ENOMEM;
    return store(s, d, value);
}

int session_set_names(struct session *s, const char *charset, const char *collation)
{
    const struct collation_def *c =
        collation ? collation_by_name(collation) : collation_default_for(charset);
    if (!c)
        return -ENOENT;
    if (collation && strcasecmp(charset_alias(charset), c->charset) != 0)
        return -EINVAL;
    const char *cs = charset_alias(charset);
    store(s, sysvar_find("character_set_client", 20), cs);
    store(s, sysvar_find("character_set_results", 21), cs);
    store(s, sysvar_find("character_set_connection", 24), cs);
    s->collation = c->id;
    return store(s, sysvar_find("collation_connection", 20), c->name);
}

static struct user_var *find_user_var(struct session *s, const char *name, size_t len)
{
    for (size_t i = 0; i < s->n_uvars; i++)
        if (strlen(s->uvars[i].name) == len && strncasecmp(s->uvars[i].name, name, len) == 0)
            return &s->uvars[i];
    return NULL;
}

const char *session_user_var_get(struct session *s, const char *name, size_t len, bool *is_int)
{
    struct user_var *v = find_user_var(s, name, len);
    *is_int = v && v->is_int;
    return v ? v->value : NULL;
}

int session_user_var_set(struct session *s, const char *name, size_t len, const char *value,
                         bool is_int)
{
    struct user_var *v = find_user_var(s, name, len);
    char *copy = value ? strdup(value) : NULL;
    if (value && !copy)
        return -ENOMEM;
    if (!v) {
        if (s->n_uvars >= 1024) {
            free(copy);
            return -ENOSPC;
        }
        struct user_var *a = realloc(s->uvars, (s->n_uvars + 1) * sizeof(*a));
        char *n = strndup(name, len);
        if (!a || !n) {
            if (a)
                s->uvars = a;
            free(n);
            free(copy);
            return -ENOMEM;
        }
        s->uvars = a;
        v = &s->uvars[s->n_uvars++];
        v->name = n;
    } else {
        free(v->value);
    }
    v->value = copy;
    v->is_int = is_int;
    return 0;
}

static void apply_handshake_charset(struct session *s, uint16_t collation)
{
    const struct collation_def *c = collation_by_id(collation);
    if (!c || c->id == 63)
        c = collation_by_id(255);
    if (c->id != 255)
        session_set_names(s, c->charset, c->name);
    s->collation = c->id;
}

struct session *session_new(struct mysql_conn *c, const char *user, const char *db,
                            uint16_t collation)
{
    struct session *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->conn = c;
    s->user = strdup(user);
    s->database = db ? strdup(db) : NULL;
    s->multi_statements = (c->caps & CLIENT_MULTI_STATEMENTS) != 0;
    s->next_stmt_id = 1;
    if (!s->user || (db && !s->database)) {
        session_free(s);
        return NULL;
    }
    apply_handshake_charset(s, collation);
    return s;
}

static void clear_vars(struct session *s)
{
    for (size_t i = 0; i < s->n_vars; i++)
        free(s->vars[i].value);
    free(s->vars);
    s->vars = NULL;
    s->n_vars = 0;
    for (size_t i = 0; i < s->n_uvars; i++) {
        free(s->uvars[i].name);
        free(s->uvars[i].value);
    }
    free(s->uvars);
    s->uvars = NULL;
    s->n_uvars = 0;
}

void session_reset(struct session *s)
{
    uint16_t collation = s->collation;
    clear_vars(s);
    stmt_close_all(s);
    s->in_trans = false;
    free(s->last_error);
    s->last_error = NULL;
    s->last_error_code = 0;
    apply_handshake_charset(s, collation);
}

void session_free(struct session *s)
{
    if (!s)
        return;
    clear_vars(s);
    stmt_close_all(s);
    free(s->user);
    free(s->database);
    free(s->last_error);
    free(s);
}

uint16_t session_status_flags(const struct session *s)
{
    const char *ac = NULL;
    for (size_t i = 0; i < s->n_vars; i++)
        if (strcmp(s->vars[i].def->name, "autocommit") == 0)
            ac = s->vars[i].value;
    uint16_t st = (!ac || strcmp(ac, "0") != 0) ? SERVER_STATUS_AUTOCOMMIT : 0;
    if (s->in_trans)
        st |= SERVER_STATUS_IN_TRANS;
    return st | s->more_results;
}

uint16_t session_charset(const struct session *s)
{
    return s ? s->collation : 255;
}

void session_note_error(struct session *s, uint16_t code, const char *msg)
{
    free(s->last_error);
    s->last_error = strdup(msg);
    s->last_error_code = code;
}

bool session_database_exists(struct server *srv, const char *db)
{
    (void)srv;
    return strcasecmp(db, "information_schema") == 0 || strcmp(db, SESSION_STAGE_DB) == 0;
}

int session_use_database(struct session *s, const char *db)
{
    if (!session_database_exists(s->conn->srv, db))
        return -ENOENT;
    char *copy = strdup(db);
    if (!copy)
        return -ENOMEM;
    free(s->database);
    s->database = copy;
    return 0;
}
