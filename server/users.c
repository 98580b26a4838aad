#include "server/users.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server/config.h"

static int add(struct user_table *t, const char *name, const char *password, bool loopback_only)
{
    struct user *u = realloc(t->users, (t->n + 1) * sizeof(*u));
    if (!u)
        return -ENOMEM;
    t->users = u;
    u = &t->users[t->n];
    memset(u, 0, sizeof(*u));
    u->name = strdup(name);
    if (!u->name)
        return -ENOMEM;
    mysql_verifier_from_password(&u->verifier, password, strlen(password));
    u->loopback_only_empty = loopback_only;
    t->n++;
    return 0;
}

int users_load(struct user_table *t, const struct config *cfg)
{
    memset(t, 0, sizeof(*t));
    int rc = add(t, "root", cfg->root_password ? cfg->root_password : "", !cfg->root_password);
    for (size_t i = 0; rc == 0 && i < cfg->n_users; i++) {
        if (strcmp(cfg->users[i].name, "root") == 0)
            continue;
        rc = add(t, cfg->users[i].name, cfg->users[i].password, false);
    }
    if (rc < 0)
        users_free(t);
    return rc;
}

void users_free(struct user_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->users[i].name);
    free(t->users);
    memset(t, 0, sizeof(*t));
}

const struct user *users_find(const struct user_table *t, const char *name, size_t len)
{
    for (size_t i = 0; i < t->n; i++)
        if (strlen(t->users[i].name) == len && memcmp(t->users[i].name, name, len) == 0)
            return &t->users[i];
    return NULL;
}

bool users_may_connect_from(const struct user *u, bool peer_is_loopback)
{
    return !u->loopback_only_empty || peer_is_loopback;
}
