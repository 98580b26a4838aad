/* SIGHUP: the configuration is read again, as at start (the same flags and
 * environment over the file), and what can change under running sessions
 * takes effect: the users and their passwords, the upstream accounts, the
 * TLS certificates and the log level. Logged-in sessions keep going as
 * they are; new logins and handshakes see the new values. A file with
 * errors changes nothing; any other setting that changed is named in a
 * warning and waits for the next start. */
#include <stdlib.h>
#include <string.h>

#include "server/config.h"
#include "server/log.h"
#include "server/mysql_conn.h"
#include "server/process.h"
#include "server/tls_cert.h"
#include "server/users.h"

/* Settings taken over by a reload (the [users] and [upstream_users]
 * sections always are). */
static const char *const reloadable[] = {
    "log_level", "upstream_user", "upstream_password", "tls_cert", "tls_key", "upstream_tls_ca",
};

/* What a reload builds before it changes anything. */
struct reload {
    struct config next;
    struct user_table users;
    SSL_CTX *tls_ctx;
    SSL_CTX *upstream_tls_ctx;
};

static void warn_if_fixed(const char *key, void *arg)
{
    (void)arg;
    for (size_t i = 0; i < sizeof(reloadable) / sizeof(reloadable[0]); i++)
        if (strcmp(key, reloadable[i]) == 0)
            return;
    log_warn("reload: %s changed; it takes effect at the next start", key);
}

static int prepare(struct server *srv, struct reload *r)
{
    const struct config *cfg = srv->cfg;
    if (config_load(&r->next, cfg->argc, cfg->argv, cfg->envp) != CONFIG_OK)
        return -1;
    if (users_load(&r->users, &r->next) < 0)
        return -1;
    if (srv->tls_ctx || srv->http_tls_ctx) {
        r->tls_ctx = tls_cert_server_ctx(r->next.tls_cert, r->next.tls_key, cfg->data_dir);
        if (!r->tls_ctx)
            return -1;
    }
    if (srv->upstream_tls_ctx) {
        r->upstream_tls_ctx =
            tls_cert_client_ctx(strcmp(cfg->upstream_tls, "verify") == 0, r->next.upstream_tls_ca);
        if (!r->upstream_tls_ctx)
            return -1;
    }
    return 0;
}

#define SWAP(a, b)              \
    do {                        \
        __typeof__(a) tmp_ = a; \
        a = b;                  \
        b = tmp_;               \
    } while (0)

/* The new values go into the running configuration; `next` keeps the old
 * ones, to be freed with it. */
static void take_settings(struct config *cfg, struct config *next)
{
    SWAP(cfg->users, next->users);
    SWAP(cfg->n_users, next->n_users);
    SWAP(cfg->upstream_users, next->upstream_users);
    SWAP(cfg->n_upstream_users, next->n_upstream_users);
    SWAP(cfg->root_password, next->root_password);
    SWAP(cfg->log_level, next->log_level);
    SWAP(cfg->upstream_user, next->upstream_user);
    SWAP(cfg->upstream_password, next->upstream_password);
    SWAP(cfg->tls_cert, next->tls_cert);
    SWAP(cfg->tls_key, next->tls_key);
    SWAP(cfg->upstream_tls_ca, next->upstream_tls_ca);
}

/* A listener that offers TLS takes a reference to `ctx`; existing sessions
 * hold references of their own to the old one. */
static void replace_ctx(SSL_CTX **slot, SSL_CTX *ctx)
{
    if (!*slot || !ctx)
        return;
    SSL_CTX_free(*slot);
    SSL_CTX_up_ref(ctx);
    *slot = ctx;
}

static void take_tls(struct server *srv, struct reload *r)
{
    replace_ctx(&srv->tls_ctx, r->tls_ctx);
    replace_ctx(&srv->http_tls_ctx, r->tls_ctx);
    replace_ctx(&srv->upstream_tls_ctx, r->upstream_tls_ctx);
    SSL_CTX_free(r->tls_ctx); /* the references prepare() made */
    SSL_CTX_free(r->upstream_tls_ctx);
}

static void take_users(struct server *srv, struct reload *r)
{
    SWAP(srv->users, r->users);
    struct list_node *n, *tmp;
    LIST_FOREACH_SAFE (n, tmp, &srv->mysql_conns) /* logins halfway through their exchange */
        mysql_handshake_users_replaced(LIST_CONTAINER(n, struct mysql_conn, node));
    users_free(&r->users); /* now the old table */
}

void server_reload(struct server *srv)
{
    struct reload r;
    memset(&r, 0, sizeof(r));
    if (prepare(srv, &r) < 0) {
        log_error("reload: the configuration was not taken over; the running one stays");
        users_free(&r.users);
        SSL_CTX_free(r.tls_ctx);
        SSL_CTX_free(r.upstream_tls_ctx);
        config_free(&r.next);
        return;
    }
    config_each_change(srv->cfg, &r.next, warn_if_fixed, NULL);
    enum log_level level;
    log_level_parse(r.next.log_level, &level);
    log_set_level(level);
    take_settings(srv->cfg, &r.next);
    take_tls(srv, &r);
    take_users(srv, &r);
    config_free(&r.next);
    log_info("configuration reloaded: %zu users", srv->users.n);
}
