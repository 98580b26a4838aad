/* The users who may log in, each kept only as password verifiers. */
#ifndef SP_SERVER_USERS_H
#define SP_SERVER_USERS_H

#include <stdbool.h>
#include <stddef.h>

#include "protocol/mysql_auth.h"

struct user {
    char *name;
    struct mysql_verifier verifier;
    /* root without a configured password: empty password, loopback only */
    bool loopback_only_empty;
};

struct user_table {
    struct user *users;
    size_t n;
};

struct config;

int users_load(struct user_table *t, const struct config *cfg);
void users_free(struct user_table *t);
const struct user *users_find(const struct user_table *t, const char *name, size_t len);

/* Whether a login as `u` may be attempted from this peer at all. */
bool users_may_connect_from(const struct user *u, bool peer_is_loopback);

#endif
