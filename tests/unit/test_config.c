#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/config.h"
#include "test.h"

static enum config_result load(struct config *cfg, char **argv, char **envp)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    return config_load(cfg, argc, argv, envp);
}

int main(void)
{
    struct config cfg;
    char *no_env[] = {NULL};
    char *argv0[] = {"stageproxy", NULL};
    CHECK_EQ(load(&cfg, argv0, no_env), CONFIG_OK);
    CHECK_STR(cfg.mysql_listen, "127.0.0.1:3307");
    CHECK_STR(cfg.http_listen, "127.0.0.1:8000");
    CHECK_STR(cfg.data_dir, "./data");
    CHECK_STR(cfg.upstream, "");
    CHECK(cfg.root_password == NULL);
    config_free(&cfg);

    /* file < env < flags, key by key */
    char path[] = "/tmp/sp-config-test-XXXXXX";
    int fd = mkstemp(path);
    const char ini[] = "[stageproxy]\n"
                       "data_dir = /from/file\n"
                       "mysql_listen = 127.0.0.1:1111\n"
                       "http_listen = 127.0.0.1:2222\n"
                       "log_level = warn\n"
                       "[users]\n"
                       "alice = apw\n"
                       "root = rootfile\n"
                       "[upstream_users]\n"
                       "alice = app:s3:cr:et\n";
    CHECK(write(fd, ini, sizeof(ini) - 1) == (ssize_t)(sizeof(ini) - 1));
    close(fd);
    chmod(path, 0600);
    char cfgflag[64];
    snprintf(cfgflag, sizeof(cfgflag), "--config=%s", path);
    char *env[] = {"STAGEPROXY_MYSQL_LISTEN=127.0.0.1:3333",
                   "STAGEPROXY_HTTP_LISTEN=127.0.0.1:4444", "STAGEPROXY_ROOT_PASSWORD=rootenv",
                   NULL};
    char *argv1[] = {"stageproxy", cfgflag, "--http-listen", "127.0.0.1:5555", NULL};
    CHECK_EQ(load(&cfg, argv1, env), CONFIG_OK);
    CHECK_STR(cfg.data_dir, "/from/file");         /* file */
    CHECK_STR(cfg.mysql_listen, "127.0.0.1:3333"); /* env beats file */
    CHECK_STR(cfg.http_listen, "127.0.0.1:5555");  /* flag beats env */
    CHECK_STR(cfg.log_level, "warn");
    CHECK_EQ(cfg.n_users, 2);
    CHECK_STR(cfg.root_password, "rootenv"); /* env beats [users] root */
    const char *up_user, *up_pw;
    config_upstream_account(&cfg, "alice", &up_user, &up_pw); /* mapped */
    CHECK_STR(up_user, "app");
    CHECK_STR(up_pw, "s3:cr:et");                            /* the password may hold ':' */
    config_upstream_account(&cfg, "root", &up_user, &up_pw); /* same name, its password */
    CHECK_STR(up_user, "root");
    CHECK_STR(up_pw, "rootfile");
    config_upstream_account(&cfg, "bob", &up_user, &up_pw); /* unknown: no password */
    CHECK_STR(up_pw, "");
    config_free(&cfg);

    char *env_cfg[] = {NULL, NULL};
    char env_line[80];
    snprintf(env_line, sizeof(env_line), "STAGEPROXY_CONFIG=%s", path);
    env_cfg[0] = env_line;
    CHECK_EQ(load(&cfg, argv0, env_cfg), CONFIG_OK);
    CHECK_STR(cfg.root_password, "rootfile");
    CHECK_STR(cfg.mysql_listen, "127.0.0.1:1111");
    config_free(&cfg);

    /* bad values */
    char *bad1[] = {"stageproxy", "--mysql-listen", "nonsense", NULL};
    CHECK_EQ(load(&cfg, bad1, no_env), CONFIG_EXIT_USAGE);
    config_free(&cfg);
    char *bad2[] = {"stageproxy", "--max-connections=0", NULL};
    CHECK_EQ(load(&cfg, bad2, no_env), CONFIG_EXIT_USAGE);
    config_free(&cfg);
    char *bad3[] = {"stageproxy", "--no-such-flag", "1", NULL};
    CHECK_EQ(load(&cfg, bad3, no_env), CONFIG_EXIT_USAGE);
    config_free(&cfg);
    char *bad_env[] = {"STAGEPROXY_LOG_LEVEL=chatty", NULL};
    CHECK_EQ(load(&cfg, argv0, bad_env), CONFIG_EXIT_USAGE);
    config_free(&cfg);
    char *bad4[] = {"stageproxy", "--tls-cert", "/a.pem", NULL};
    CHECK_EQ(load(&cfg, bad4, no_env), CONFIG_EXIT_USAGE);
    config_free(&cfg);
    /* an upstream on a unix socket: a path that fits sun_path, without TLS */
    char *sock_ok[] = {"stageproxy", "--upstream", "/run/mysqld/mysqld.sock", NULL};
    CHECK_EQ(load(&cfg, sock_ok, no_env), CONFIG_OK);
    CHECK(config_upstream_is_socket(cfg.upstream));
    config_free(&cfg);
    CHECK(!config_upstream_is_socket("db:3306") && !config_upstream_is_socket(""));
    char long_sock[120] = "--upstream=/";
    memset(long_sock + 12, 'd', sizeof(long_sock) - 13);
    long_sock[sizeof(long_sock) - 1] = 0;
    char *sock_long[] = {"stageproxy", long_sock, NULL};
    CHECK_EQ(load(&cfg, sock_long, no_env), CONFIG_EXIT_USAGE);
    config_free(&cfg);
    char *sock_tls[] = {"stageproxy", "--upstream", "/s.sock", "--upstream-tls", "on", NULL};
    CHECK_EQ(load(&cfg, sock_tls, no_env), CONFIG_EXIT_USAGE);
    config_free(&cfg);
    /* an [upstream_users] entry without "user:password" */
    char bad_path[] = "/tmp/sp-config-test-XXXXXX";
    int bfd = mkstemp(bad_path);
    const char bad_ini[] = "[upstream_users]\nalice = app\n";
    CHECK(write(bfd, bad_ini, sizeof(bad_ini) - 1) == (ssize_t)(sizeof(bad_ini) - 1));
    close(bfd);
    char bad_flag[64];
    snprintf(bad_flag, sizeof(bad_flag), "--config=%s", bad_path);
    char *bad5[] = {"stageproxy", bad_flag, NULL};
    CHECK_EQ(load(&cfg, bad5, no_env), CONFIG_EXIT_USAGE);
    config_free(&cfg);
    unlink(bad_path);

    char host[64];
    int port;
    CHECK_EQ(config_parse_address("[::1]:3307", host, sizeof(host), &port), 0);
    CHECK(strcmp(host, "::1") == 0 && port == 3307);
    CHECK_EQ(config_parse_address("localhost:0", host, sizeof(host), &port), 0);
    CHECK_EQ(config_parse_address("::1:3307", host, sizeof(host), &port), -1);
    CHECK_EQ(config_parse_address("127.0.0.1:65536", host, sizeof(host), &port), -1);
    CHECK_EQ(config_parse_address("127.0.0.1:", host, sizeof(host), &port), -1);
    CHECK_EQ(config_parse_address(":80", host, sizeof(host), &port), -1);
    unlink(path);
    return test_finish("config");
}
