/* Settings: defaults < INI file ([stageproxy] section) < environment
 * (STAGEPROXY_<KEY>) < command-line flags (--key-with-dashes). */
#ifndef SP_SERVER_CONFIG_H
#define SP_SERVER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config_upstream_user {
    char *name;
    char *user;
    char *password;
};

struct config_user {
    char *name;
    char *password;
};

struct config {
    int argc; /* what config_load read, for a reload (SIGHUP) */
    char **argv;
    char **envp;
    char *config_file;
    char *data_dir;
    char *mysql_listen;
    char *mysql_socket; /* empty: no unix socket */
    char *http_listen;
    char *upstream;
    char *upstream_user;
    char *upstream_password;
    char *tls_cert;
    char *tls_key;
    char *log_level;
    char *auth_plugin;
    char *tls;
    char *http_tls;
    long max_connections;
    long max_allowed_packet;
    long max_select_memory; /* MiB one stage SELECT may hold to sort or group */
    long handshake_timeout;
    long shutdown_timeout;
    long http_max_connections;
    long http_header_timeout;
    long http_idle_timeout;
    char *http_public_url;
    char *proxy_protocol_from; /* networks whose connections begin with a PROXY header */
    /* where internal and user stages live: "" for the data dir, or s3:// */
    char *storage;
    char *storage_endpoint;
    char *storage_region;
    char *storage_access_key_id;
    char *storage_secret_access_key;
    char *storage_session_token;
    char *storage_virtual_host;
    long s3_timeout;
    long s3_retries;
    long s3_part_size; /* MiB */
    long s3_parts_inflight;
    long s3_list_page;
    /* [users] of the file; root's password may also come from the environment. */
    struct config_user *users;
    size_t n_users;
    /* [upstream_users] name = upstream_user:password */
    struct config_upstream_user *upstream_users;
    size_t n_upstream_users;
    long upstream_connect_timeout;
    char *relay_threads; /* auto or a count */
    char *upstream_tls;  /* off, on, verify */
    char *upstream_tls_ca;
    char *root_password; /* NULL: none set */
};

enum config_result {
    CONFIG_OK = 0,
    CONFIG_EXIT_OK,    /* --help or --version was printed */
    CONFIG_EXIT_USAGE, /* a message was printed: exit with status 2 */
};

enum config_result config_load(struct config *cfg, int argc, char **argv, char **envp);
void config_free(struct config *cfg);
void config_print_help(const char *argv0);

/* Calls `cb` with the key of each setting whose value differs. */
void config_each_change(const struct config *a, const struct config *b,
                        void (*cb)(const char *key, void *arg), void *arg);

/* "host:port" or "[v6]:port"; port 0 asks the kernel for a free one. */
int config_parse_address(const char *s, char *host, size_t host_len, int *port);

/* An upstream given as an absolute path is a unix socket on this machine. */
bool config_upstream_is_socket(const char *upstream);

/* The upstream account for local user `name`: its [upstream_users] entry,
 * else --upstream-user and --upstream-password, else the same name with the
 * password [users] gives it (empty when none). */
void config_upstream_account(const struct config *cfg, const char *name, const char **user,
                             const char **password);

#endif
