#include "server/presign.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/http_conn.h"
#include "server/http_internal.h"
#include "server/log.h"
#include "server/process.h"
#include "storage/s3_sigv4.h"

int presign_key_load(struct server *srv)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/presign.key", srv->cfg->data_dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        unsigned char key[PRESIGN_KEY_LEN];
        char tmp[4200];
        snprintf(tmp, sizeof(tmp), "%s.new", path);
        int w = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        bool ok = w >= 0 && RAND_bytes(key, sizeof(key)) == 1 &&
                  write(w, key, sizeof(key)) == (ssize_t)sizeof(key) && fsync(w) == 0;
        if (w >= 0)
            close(w);
        if (!ok || rename(tmp, path) < 0) {
            log_error("cannot create %s: %s", path, strerror(errno));
            return -1;
        }
        OPENSSL_cleanse(key, sizeof(key));
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    ssize_t n = fd >= 0 ? read(fd, srv->presign_key, PRESIGN_KEY_LEN) : -1;
    if (fd >= 0)
        close(fd);
    if (n != PRESIGN_KEY_LEN) {
        log_error("cannot read %s: %s", path, n < 0 ? strerror(errno) : "too short");
        return -1;
    }
    return 0;
}

/* hex HMAC-SHA256 over the fields a URL grants, NUL-separated so that no
 * field can run into the next. */
static void mac(const struct server *srv, const char *method, const char *stage, const char *user,
                const char *path, const char *expires, char out[65])
{
    const char *f[] = {method, stage, user, path, expires};
    unsigned char msg[4096], d[32];
    unsigned int dl = 0;
    size_t used = 0;
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        size_t n = strlen(f[i]) + 1;
        if (used + n > sizeof(msg)) /* route fields are bounded well below this */
            n = sizeof(msg) - used;
        memcpy(msg + used, f[i], n);
        used += n;
    }
    HMAC(EVP_sha256(), srv->presign_key, PRESIGN_KEY_LEN, msg, used, d, &dl);
    for (unsigned i = 0; i < dl; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

int presign_local_url(struct server *srv, const char *method, const char *stage, const char *user,
                      const char *path, int64_t expires, char *out, size_t cap)
{
    char exp[24], sig[65], e_stage[800], e_path[3200], e_user[400];
    snprintf(exp, sizeof(exp), "%" PRId64, expires);
    mac(srv, method, stage, user, path, exp, sig);
    if (s3_uri_encode(stage, strlen(stage), false, e_stage, sizeof(e_stage)) >= sizeof(e_stage) ||
        s3_uri_encode(path, strlen(path), true, e_path, sizeof(e_path)) >= sizeof(e_path) ||
        s3_uri_encode(user, strlen(user), false, e_user, sizeof(e_user)) >= sizeof(e_user))
        return -ENAMETOOLONG;
    const char *base = srv->cfg->http_public_url;
    char derived[128];
    if (!*base) {
        snprintf(derived, sizeof(derived), "%s://%s", srv->http_tls_ctx ? "https" : "http",
                 srv->http_addr);
        base = derived;
    }
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/')
        bl--;
    int n = snprintf(out, cap, "%.*s/v1/stages/%s/files/%s?expires=%s&user=%s&signature=%s",
                     (int)bl, base, e_stage, e_path, exp, e_user, sig);
    return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

static int forbid(struct http_conn *h, const char *why)
{
    LOGH(LOG_INFO, h, "presigned URL refused: %s", why);
    http_respond_error(h, 403, 403, why);
    return -1;
}

int presign_check_request(struct http_conn *h)
{
    const struct http_route *r = &h->req.route;
    const char *method = h->req.method == HTTP_PUT                                 ? "PUT"
                         : h->req.method == HTTP_GET || h->req.method == HTTP_HEAD ? "GET"
                                                                                   : NULL;
    if (!method)
        return forbid(h, "a presigned URL allows GET, HEAD or PUT only");
    char *end = NULL;
    long long expires = strtoll(r->expires, &end, 10);
    if (!*r->expires || *end || !*r->signer || strlen(r->signature) != 64)
        return forbid(h, "malformed presigned URL");
    char want[65];
    mac(h->srv, method, r->stage, r->signer, r->path, r->expires, want);
    if (CRYPTO_memcmp(want, r->signature, 64) != 0)
        return forbid(h, "the presigned URL's signature does not match");
    if ((long long)time(NULL) > expires)
        return forbid(h, "the presigned URL has expired");
    const struct user *u = users_find(&h->srv->users, r->signer, strlen(r->signer));
    if (!u)
        return forbid(h, "the presigned URL's user no longer exists");
    return http_auth_set_user(h, u->name);
}
