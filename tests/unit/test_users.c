#include "server/config.h"
#include "server/users.h"
#include "test.h"

int main(void)
{
    struct config cfg = {0};
    struct user_table t;
    struct config_user u[] = {{"alice", "apw"}, {"root", "ignored-here"}};
    cfg.users = u;
    cfg.n_users = 2;

    /* no root password: empty password, loopback only */
    CHECK_EQ(users_load(&t, &cfg), 0);
    CHECK_EQ(t.n, 2);
    const struct user *root = users_find(&t, "root", 4);
    CHECK(root && root->verifier.empty && root->loopback_only_empty);
    CHECK(users_may_connect_from(root, true));
    CHECK(!users_may_connect_from(root, false));
    const struct user *alice = users_find(&t, "alice", 5);
    CHECK(alice && !alice->verifier.empty);
    CHECK(users_may_connect_from(alice, false));
    CHECK(users_find(&t, "alic", 4) == NULL);
    CHECK(users_find(&t, "Alice", 5) == NULL);
    users_free(&t);

    /* with a root password, root may come from anywhere but needs it */
    cfg.root_password = "s3cret";
    CHECK_EQ(users_load(&t, &cfg), 0);
    root = users_find(&t, "root", 4);
    CHECK(root && !root->verifier.empty && !root->loopback_only_empty);
    CHECK(users_may_connect_from(root, false));
    users_free(&t);
    return test_finish("users");
}
