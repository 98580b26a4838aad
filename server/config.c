#include "server/config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "server/log.h"
#include "server/proxy_protocol.h"

enum opt_type { OPT_STRING, OPT_LONG };

typedef int (*opt_check_fn)(const char *value);

struct option_def {
    const char *key;
    enum opt_type type;
    size_t offset;
    const char *def;
    const char *expect; /* shown when a value is rejected */
    opt_check_fn check;
    long min, max;
    const char *help;
};

static int check_address(const char *v)
{
    char host[256];
    int port;
    return config_parse_address(v, host, sizeof(host), &port);
}

static int check_log_level(const char *v)
{
    enum log_level l;
    return log_level_parse(v, &l);
}

static int check_auth_plugin(const char *v)
{
    return strcmp(v, "caching_sha2_password") == 0 || strcmp(v, "mysql_native_password") == 0 ? 0
                                                                                              : -1;
}

static int check_on_off(const char *v)
{
    return strcasecmp(v, "on") == 0 || strcasecmp(v, "off") == 0 ? 0 : -1;
}

static int check_relay_threads(const char *v)
{
    if (strcmp(v, "auto") == 0)
        return 0;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    return *v && !*end && !errno && n >= 0 && n <= 64 ? 0 : -1;
}

static int check_upstream_tls(const char *v)
{
    return strcmp(v, "off") == 0 || strcmp(v, "on") == 0 || strcmp(v, "verify") == 0 ? 0 : -1;
}

static int check_socket_path(const char *v)
{
    return strlen(v) < sizeof(((struct sockaddr_un *)0)->sun_path) ? 0 : -1;
}

static int check_upstream(const char *v)
{
    if (config_upstream_is_socket(v))
        return check_socket_path(v);
    return *v == 0 ? 0 : check_address(v);
}

static int check_storage(const char *v)
{
    return *v == 0 || strncmp(v, "s3://", 5) == 0 ? 0 : -1;
}

static int check_networks(const char *v)
{
    struct proxy_protocol_nets nets;
    int rc = proxy_protocol_parse_nets(v, &nets);
    proxy_protocol_free_nets(&nets);
    return rc;
}

static int check_nonempty(const char *v)
{
    return *v ? 0 : -1;
}

#define OFF(field) offsetof(struct config, field)

static const struct option_def options[] = {
    {"data_dir", OPT_STRING, OFF(data_dir), "./data", "a directory path", check_nonempty, 0, 0,
     "directory for the catalog, stages and the TLS certificate"},
    {"mysql_listen", OPT_STRING, OFF(mysql_listen), "127.0.0.1:3307", "ADDR:PORT", check_address, 0,
     0, "MySQL protocol listener"},
    {"mysql_socket", OPT_STRING, OFF(mysql_socket), "", "a unix socket path", check_socket_path, 0,
     0, "also a MySQL listener on this unix socket (its clients count as loopback)"},
    {"http_listen", OPT_STRING, OFF(http_listen), "127.0.0.1:8000", "ADDR:PORT", check_address, 0,
     0, "HTTP listener"},
    {"upstream", OPT_STRING, OFF(upstream), "", "HOST:PORT or a socket path", check_upstream, 0, 0,
     "upstream MySQL/MariaDB at HOST:PORT or on a unix socket (empty: stage-only mode)"},
    {"upstream_user", OPT_STRING, OFF(upstream_user), "", "a user name", NULL, 0, 0,
     "user for the upstream"},
    {"upstream_password", OPT_STRING, OFF(upstream_password), "", "a password", NULL, 0, 0,
     "password for the upstream"},
    {"upstream_connect_timeout", OPT_LONG, OFF(upstream_connect_timeout), "10", "seconds 1..300",
     NULL, 1, 300, "deadline to reach and log in to the upstream"},
    {"relay_threads", OPT_STRING, OFF(relay_threads), "auto", "auto or an integer 0..64",
     check_relay_threads, 0, 0,
     "threads that relay proxied sessions (auto: one per CPU, at most 16; 0: the main thread)"},
    {"upstream_tls", OPT_STRING, OFF(upstream_tls), "off", "off, on or verify", check_upstream_tls,
     0, 0, "TLS to the upstream: on encrypts, verify also checks its certificate and name"},
    {"upstream_tls_ca", OPT_STRING, OFF(upstream_tls_ca), "", "a PEM file", NULL, 0, 0,
     "CAs for upstream_tls = verify; none: the system's"},
    {"tls_cert", OPT_STRING, OFF(tls_cert), "", "a PEM file", NULL, 0, 0,
     "TLS certificate (default: self-signed, generated into the data dir)"},
    {"tls_key", OPT_STRING, OFF(tls_key), "", "a PEM file", NULL, 0, 0, "TLS private key"},
    {"tls", OPT_STRING, OFF(tls), "on", "on or off", check_on_off, 0, 0,
     "offer TLS on the MySQL port"},
    {"http_tls", OPT_STRING, OFF(http_tls), "off", "on or off", check_on_off, 0, 0,
     "serve HTTPS instead of HTTP on the HTTP listener, with the same certificate"},
    {"log_level", OPT_STRING, OFF(log_level), "info", "error, warn, info or debug", check_log_level,
     0, 0, "log verbosity"},
    {"auth_plugin", OPT_STRING, OFF(auth_plugin), "caching_sha2_password",
     "caching_sha2_password or mysql_native_password", check_auth_plugin, 0, 0,
     "authentication plugin offered and required"},
    {"max_connections", OPT_LONG, OFF(max_connections), "10000", "an integer 1..1000000", NULL, 1,
     1000000, "MySQL connections accepted at once"},
    {"max_allowed_packet", OPT_LONG, OFF(max_allowed_packet), "67108864",
     "an integer 1024..1073741824", NULL, 1024, 1073741824, "largest MySQL packet accepted"},
    {"max_select_memory", OPT_LONG, OFF(max_select_memory), "256", "MiB 1..65536", NULL, 1, 65536,
     "rows, groups and DISTINCT values a SELECT on LIST_STAGE may hold"},
    {"handshake_timeout", OPT_LONG, OFF(handshake_timeout), "10", "seconds 1..3600", NULL, 1, 3600,
     "time a client has to log in"},
    {"shutdown_timeout", OPT_LONG, OFF(shutdown_timeout), "30", "seconds 0..3600", NULL, 0, 3600,
     "time in-flight work gets on SIGINT/SIGTERM"},
    {"http_max_connections", OPT_LONG, OFF(http_max_connections), "1024", "an integer 1..100000",
     NULL, 1, 100000, "HTTP connections accepted at once"},
    {"http_header_timeout", OPT_LONG, OFF(http_header_timeout), "10", "seconds 1..3600", NULL, 1,
     3600, "time an HTTP client has to send a request's headers"},
    {"http_idle_timeout", OPT_LONG, OFF(http_idle_timeout), "60", "seconds 1..86400", NULL, 1,
     86400, "time an HTTP connection may stay quiet (between requests or in a body)"},
    {"http_public_url", OPT_STRING, OFF(http_public_url), "", "a URL", NULL, 0, 0,
     "how clients reach the HTTP listener, for presigned URLs (default: its address)"},
    {"proxy_protocol_from", OPT_STRING, OFF(proxy_protocol_from), "", "ADDR[/BITS][,...]",
     check_networks, 0, 0,
     "load balancers whose connections begin with a PROXY protocol header (v1 or v2)"},
    {"storage", OPT_STRING, OFF(storage), "", "s3://BUCKET[/PREFIX/]", check_storage, 0, 0,
     "keep internal and user stages in S3 instead of the data dir"},
    {"storage_endpoint", OPT_STRING, OFF(storage_endpoint), "", "a URL", NULL, 0, 0,
     "S3 endpoint of --storage (default https://s3.amazonaws.com)"},
    {"storage_region", OPT_STRING, OFF(storage_region), "us-east-1", "a region", NULL, 0, 0,
     "S3 region of --storage"},
    {"storage_access_key_id", OPT_STRING, OFF(storage_access_key_id), "", "a key id", NULL, 0, 0,
     "S3 access key of --storage"},
    {"storage_secret_access_key", OPT_STRING, OFF(storage_secret_access_key), "", "a secret", NULL,
     0, 0, "S3 secret key of --storage"},
    {"storage_session_token", OPT_STRING, OFF(storage_session_token), "", "a token", NULL, 0, 0,
     "S3 session token of --storage"},
    {"storage_virtual_host", OPT_STRING, OFF(storage_virtual_host), "off", "on or off",
     check_on_off, 0, 0, "virtual-hosted addressing (bucket.host) for --storage"},
    {"s3_timeout", OPT_LONG, OFF(s3_timeout), "30", "seconds 1..3600", NULL, 1, 3600,
     "S3 connect timeout, and how long a transfer may make no progress"},
    {"s3_retries", OPT_LONG, OFF(s3_retries), "4", "an integer 0..20", NULL, 0, 20,
     "retries of an S3 request after 5xx, SlowDown or a timeout"},
    {"s3_part_size", OPT_LONG, OFF(s3_part_size), "8", "MiB 5..1024", NULL, 5, 1024,
     "part size of S3 multipart uploads"},
    {"s3_parts_inflight", OPT_LONG, OFF(s3_parts_inflight), "3", "an integer 1..16", NULL, 1, 16,
     "parts of one S3 upload sent at once"},
    {"s3_list_page", OPT_LONG, OFF(s3_list_page), "1000", "an integer 1..1000", NULL, 1, 1000,
     "keys asked for per ListObjectsV2 request"},
};

#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

static const struct option_def *find_option(const char *key)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (strcmp(options[i].key, key) == 0)
            return &options[i];
    return NULL;
}

static int bad_value(const struct option_def *o, const char *value, const char *source)
{
    fprintf(stderr, "stageproxy: invalid value '%s' for %s (%s): expected %s\n", value, o->key,
            source, o->expect);
    return -1;
}

static int set_option(struct config *cfg, const struct option_def *o, const char *value,
                      const char *source)
{
    void *field = (char *)cfg + o->offset;
    if (o->type == OPT_LONG) {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (!*value || *end || errno || v < o->min || v > o->max)
            return bad_value(o, value, source);
        *(long *)field = v;
        return 0;
    }
    if (o->check && o->check(value) < 0)
        return bad_value(o, value, source);
    char **s = field;
    char *dup = strdup(value);
    if (!dup)
        return -1;
    free(*s);
    *s = dup;
    return 0;
}

struct ini_ctx {
    struct config *cfg;
    int failed;
};

static int add_mapping(struct config *cfg, const char *name, const char *value)
{
    const char *colon = strchr(value, ':'); /* the password may hold ':' too */
    struct config_upstream_user *u =
        realloc(cfg->upstream_users, (cfg->n_upstream_users + 1) * sizeof(*u));
    if (!u)
        return -1;
    cfg->upstream_users = u;
    u += cfg->n_upstream_users++;
    u->name = strdup(name);
    u->user = strndup(value, (size_t)(colon - value));
    u->password = strdup(colon + 1);
    return u->name && u->user && u->password ? 0 : -1;
}

void config_upstream_account(const struct config *cfg, const char *name, const char **user,
                             const char **password)
{
    for (size_t i = 0; i < cfg->n_upstream_users; i++) {
        const struct config_upstream_user *u = &cfg->upstream_users[i];
        if (strcmp(u->name, name) == 0) {
            *user = u->user;
            *password = u->password;
            return;
        }
    }
    if (cfg->upstream_user[0]) {
        *user = cfg->upstream_user;
        *password = cfg->upstream_password;
        return;
    }
    *user = name;
    *password = "";
    for (size_t i = 0; i < cfg->n_users; i++)
        if (strcmp(cfg->users[i].name, name) == 0)
            *password = cfg->users[i].password;
}

static int add_user(struct config *cfg, const char *name, const char *password)
{
    for (size_t i = 0; i < cfg->n_users; i++) {
        if (strcmp(cfg->users[i].name, name) == 0) {
            free(cfg->users[i].password);
            cfg->users[i].password = strdup(password);
            return cfg->users[i].password ? 0 : -1;
        }
    }
    struct config_user *u = realloc(cfg->users, (cfg->n_users + 1) * sizeof(*u));
    if (!u)
        return -1;
    cfg->users = u;
    u[cfg->n_users].name = strdup(name);
    u[cfg->n_users].password = strdup(password);
    cfg->n_users++;
    return 0;
}

static int valid_user_name(const char *name)
{
    size_t n = strlen(name);
    /* The name becomes a directory of the user stage: it starts with a
     * letter, digit or '_', so "." and ".." are impossible. */
    if (n == 0 || n > 32 || !(isalnum((unsigned char)name[0]) || name[0] == '_'))
        return 0;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
            return 0;
    return 1;
}

static int config_ini_cb(void *user, const char *section, const char *name, const char *value)
{
    struct ini_ctx *ctx = user;
    if (strcmp(section, "stageproxy") == 0) {
        const struct option_def *o = find_option(name);
        if (!o) {
            fprintf(stderr, "stageproxy: unknown key %s in [stageproxy] of %s\n", name,
                    ctx->cfg->config_file);
            ctx->failed = 1;
            return 0;
        }
        if (set_option(ctx->cfg, o, value, "config file") < 0)
            ctx->failed = 1;
        return ctx->failed ? 0 : 1;
    }
    if (strcmp(section, "users") == 0) {
        if (!valid_user_name(name)) {
            fprintf(stderr, "stageproxy: invalid user name '%s' in [users] of %s\n", name,
                    ctx->cfg->config_file);
            ctx->failed = 1;
            return 0;
        }
        if (add_user(ctx->cfg, name, value) < 0)
            ctx->failed = 1;
        return ctx->failed ? 0 : 1;
    }
    if (strcmp(section, "upstream_users") == 0) {
        if (!valid_user_name(name) || !strchr(value, ':')) {
            fprintf(stderr,
                    "stageproxy: [upstream_users] of %s: '%s' needs the form "
                    "name = upstream_user:password\n",
                    ctx->cfg->config_file, name);
            ctx->failed = 1;
            return 0;
        }
        if (add_mapping(ctx->cfg, name, value) < 0)
            ctx->failed = 1;
        return ctx->failed ? 0 : 1;
    }
    fprintf(stderr, "stageproxy: unknown section [%s] in %s\n", section, ctx->cfg->config_file);
    ctx->failed = 1;
    return 0;
}

static int load_file(struct config *cfg)
{
    struct ini_ctx ctx = {cfg, 0};
    struct stat st;
    if (stat(cfg->config_file, &st) < 0) {
        fprintf(stderr, "stageproxy: cannot read config file %s: %s\n", cfg->config_file,
                strerror(errno));
        return -1;
    }
    int rc = ini_parse(cfg->config_file, config_ini_cb, &ctx);
    if (ctx.failed)
        return -1;
    if (rc < 0) {
        fprintf(stderr, "stageproxy: cannot read config file %s\n", cfg->config_file);
        return -1;
    }
    if (rc > 0) {
        fprintf(stderr, "stageproxy: syntax error in %s line %d\n", cfg->config_file, rc);
        return -1;
    }
    if ((cfg->n_users > 0 || cfg->n_upstream_users > 0) && (st.st_mode & 077))
        log_warn("config file %s holds passwords but is readable by others (mode %o): chmod 600 it",
                 cfg->config_file, (unsigned)(st.st_mode & 0777));
    return 0;
}

static void env_name(const char *key, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "STAGEPROXY_");
    for (const char *p = key; *p && n + 1 < cap; p++)
        out[n++] = (char)toupper((unsigned char)*p);
    out[n] = 0;
}

static const char *env_get(char **envp, const char *name)
{
    size_t n = strlen(name);
    for (char **e = envp; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

static int load_env(struct config *cfg, char **envp)
{
    for (size_t i = 0; i < N_OPTIONS; i++) {
        char name[64];
        env_name(options[i].key, name, sizeof(name));
        const char *v = env_get(envp, name);
        if (v && set_option(cfg, &options[i], v, name) < 0)
            return -1;
    }
    return 0;
}

/* Turns "--data-dir" into "data_dir"; NULL if it is not a known option. */
static const struct option_def *flag_option(const char *flag, size_t len)
{
    char key[64];
    if (len >= sizeof(key))
        return NULL;
    for (size_t i = 0; i < len; i++)
        key[i] = flag[i] == '-' ? '_' : flag[i];
    key[len] = 0;
    return find_option(key);
}

static int usage_error(const char *argv0, const char *msg, const char *arg)
{
    fprintf(stderr, "stageproxy: %s %s (see %s --help)\n", msg, arg, argv0);
    return -1;
}

/* Walks the flags; `apply` false only locates --config, --help, --version. */
static int load_flags(struct config *cfg, int argc, char **argv, bool apply, int *special)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            *special = 'h';
            return 0;
        }
        if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
            *special = 'v';
            return 0;
        }
        if (strncmp(a, "--", 2) != 0)
            return apply ? usage_error(argv[0], "unexpected argument", a) : 0;
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
        const char *value = eq ? eq + 1 : NULL;
        if (!value) {
            if (i + 1 >= argc)
                return apply ? usage_error(argv[0], "missing value for", a) : 0;
            value = argv[++i];
        }
        if (name_len == 6 && strncmp(name, "config", 6) == 0) {
            if (!apply) {
                free(cfg->config_file);
                cfg->config_file = strdup(value);
            }
            continue;
        }
        const struct option_def *o = flag_option(name, name_len);
        if (!o)
            return apply ? usage_error(argv[0], "unknown option", a) : 0;
        if (apply && set_option(cfg, o, value, "command line") < 0)
            return -1;
    }
    return 0;
}

static int set_defaults(struct config *cfg)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (set_option(cfg, &options[i], options[i].def, "default") < 0)
            return -1;
    return 0;
}

enum config_result config_load(struct config *cfg, int argc, char **argv, char **envp)
{
    int special = 0;
    memset(cfg, 0, sizeof(*cfg));
    cfg->argc = argc; /* kept for a reload, which reads them again */
    cfg->argv = argv;
    cfg->envp = envp;
    if (set_defaults(cfg) < 0)
        return CONFIG_EXIT_USAGE;
    const char *env_cfg = env_get(envp, "STAGEPROXY_CONFIG");
    if (env_cfg && *env_cfg)
        cfg->config_file = strdup(env_cfg);
    load_flags(cfg, argc, argv, false, &special);
    if (special == 'h') {
        config_print_help(argv[0]);
        return CONFIG_EXIT_OK;
    }
    if (special == 'v') {
        printf("stageproxy %s\n", STAGEPROXY_VERSION);
        return CONFIG_EXIT_OK;
    }
    if (cfg->config_file && load_file(cfg) < 0)
        return CONFIG_EXIT_USAGE;
    if (load_env(cfg, envp) < 0 || load_flags(cfg, argc, argv, true, &special) < 0)
        return CONFIG_EXIT_USAGE;
    const char *root_pw = env_get(envp, "STAGEPROXY_ROOT_PASSWORD");
    for (size_t i = 0; i < cfg->n_users && !root_pw; i++)
        if (strcmp(cfg->users[i].name, "root") == 0)
            root_pw = cfg->users[i].password;
    if (root_pw && *root_pw)
        cfg->root_password = strdup(root_pw);
    if ((*cfg->tls_cert != 0) != (*cfg->tls_key != 0)) {
        fprintf(stderr, "stageproxy: invalid value for %s: tls_cert and tls_key go together\n",
                *cfg->tls_cert ? "tls_key" : "tls_cert");
        return CONFIG_EXIT_USAGE;
    }
    if (config_upstream_is_socket(cfg->upstream) && strcmp(cfg->upstream_tls, "off") != 0) {
        fprintf(stderr, "stageproxy: invalid value for upstream_tls: an upstream on a unix socket "
                        "is on this machine and takes no TLS\n");
        return CONFIG_EXIT_USAGE;
    }
    return CONFIG_OK;
}

void config_each_change(const struct config *a, const struct config *b,
                        void (*cb)(const char *key, void *arg), void *arg)
{
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct option_def *o = &options[i];
        const char *pa = (const char *)a + o->offset, *pb = (const char *)b + o->offset;
        bool same = o->type == OPT_STRING ? strcmp(*(char *const *)pa, *(char *const *)pb) == 0
                                          : *(const long *)pa == *(const long *)pb;
        if (!same)
            cb(o->key, arg);
    }
}

bool config_upstream_is_socket(const char *upstream)
{
    return upstream[0] == '/';
}

void config_free(struct config *cfg)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (options[i].type == OPT_STRING)
            free(*(char **)((char *)cfg + options[i].offset));
    for (size_t i = 0; i < cfg->n_users; i++) {
        free(cfg->users[i].name);
        free(cfg->users[i].password);
    }
    free(cfg->users);
    for (size_t i = 0; i < cfg->n_upstream_users; i++) {
        free(cfg->upstream_users[i].name);
        free(cfg->upstream_users[i].user);
        free(cfg->upstream_users[i].password);
    }
    free(cfg->upstream_users);
    free(cfg->config_file);
    free(cfg->root_password);
    memset(cfg, 0, sizeof(*cfg));
}

void config_print_help(const char *argv0)
{
    printf(
        "Usage: %s [options]\n\n"
        "stageproxy serves the MySQL protocol with Databend-style stages.\n\n"
        "Options (each also a key of [stageproxy] in the config file and an\n"
        "environment variable STAGEPROXY_<KEY>; flags > env > file > defaults):\n"
        "  --config FILE               INI file ([stageproxy] settings, [users] name = password)\n",
        argv0);
    for (size_t i = 0; i < N_OPTIONS; i++) {
        char flag[64];
        size_t n = 0;
        for (const char *p = options[i].key; *p && n + 1 < sizeof(flag); p++)
            flag[n++] = *p == '_' ? '-' : *p;
        flag[n] = 0;
        printf("  --%-25s %s (default: %s)\n", flag, options[i].help,
               *options[i].def ? options[i].def : "none");
    }
    printf("  --help                      this text\n"
           "  --version                   the version\n\n"
           "root's password comes from STAGEPROXY_ROOT_PASSWORD or [users] root = ...;\n"
           "with none set, root logs in with an empty password from loopback only.\n");
}

int config_parse_address(const char *s, char *host, size_t host_len, int *port)
{
    const char *colon;
    const char *h = s;
    size_t hl;
    if (*s == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return -1;
        h = s + 1;
        hl = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || memchr(s, ':', (size_t)(colon - s)))
            return -1;
        hl = (size_t)(colon - s);
    }
    if (hl == 0 || hl >= host_len)
        return -1;
    char *end;
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || errno || p < 0 || p > 65535)
        return -1;
    memcpy(host, h, hl);
    host[hl] = 0;
    *port = (int)p;
    return 0;
}
