/* HTTP Basic authentication against the same users as the MySQL side. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/http_internal.h"
#include "server/process.h"
#include "server/users.h"

static int refuse(struct http_conn *h, int code, const char *message)
{
    LOGH(LOG_INFO, h, "authentication failed from %s: %s", h->peer_ip, message);
    http_respond_error(h, 401, code, message);
    return -1;
}

/* "user:password" out of a Basic credential; -1 when malformed. */
static int decode_basic(const char *b64, char *out, size_t out_size, size_t *out_len)
{
    size_t len = strlen(b64);
    while (len > 0 && (b64[len - 1] == ' ' || b64[len - 1] == '\t'))
        len--;
    if (len == 0 || len % 4 != 0 || len / 4 * 3 >= out_size)
        return -1;
    int n = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)b64, (int)len);
    if (n < 0)
        return -1;
    /* EVP_DecodeBlock counts the padding as output bytes */
    for (size_t i = len; i > len - 2 && b64[i - 1] == '='; i--)
        n--;
    *out_len = (size_t)n;
    out[n] = 0;
    return 0;
}

int http_auth_set_user(struct http_conn *h, const char *name)
{
    free(h->req.user);
    h->req.user = strdup(name);
    if (h->req.user)
        return 0;
    http_conn_close(h, "out of memory");
    return -1;
}

int http_auth_request(struct http_conn *h)
{
    struct server *srv = h->srv;
    unsigned count = http_header_count(h, "authorization");
    const char *auth = http_header(h, "authorization");
    if (count > 1)
        return refuse(h, 5100, "Authentication error: more than one authorization header");
    if (!auth) {
        const struct user *root = users_find(&srv->users, "root", 4);
        /* as on the MySQL side: root without a password, from loopback only */
        if (root && root->loopback_only_empty && h->loopback) {
            return http_auth_set_user(h, root->name);
        }
        return refuse(h, 5100, "Authentication error: no authorization header provided");
    }
    while (*auth == ' ' || *auth == '\t')
        auth++;
    if (strncasecmp(auth, "Basic ", 6) != 0)
        return refuse(h, 5100, "Authentication error: unsupported authorization header format");
    char cred[1024];
    size_t len;
    const char *b64 = auth + 6;
    while (*b64 == ' ')
        b64++;
    if (decode_basic(b64, cred, sizeof(cred), &len) < 0 || memchr(cred, 0, len))
        return refuse(h, 5100, "Authentication error: malformed basic credentials");
    char *colon = memchr(cred, ':', len);
    if (!colon)
        return refuse(h, 5100, "Authentication error: malformed basic credentials");
    const struct user *u = users_find(&srv->users, cred, (size_t)(colon - cred));
    const char *pw = colon + 1;
    size_t pw_len = len - (size_t)(pw - cred);
    if (!u || !users_may_connect_from(u, h->loopback) ||
        !mysql_cleartext_verify(&u->verifier, (const uint8_t *)pw, pw_len)) {
        char msg[300];
        snprintf(msg, sizeof(msg),
                 "AuthenticateFailure. Code: 2201, Text = wrong password or unknown user "
                 "'%.*s'.",
                 (int)(colon - cred) > 64 ? 64 : (int)(colon - cred), cred);
        return refuse(h, 2201, msg);
    }
    return http_auth_set_user(h, u->name);
}
