#include "protocol/mysql_login.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <string.h>

#include "protocol/mysql_auth.h"
#include "protocol/mysql_packet.h"

static void copy_str(char *dst, size_t cap, const void *src, size_t len)
{
    size_t n = len < cap - 1 ? len : cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

int mysql_parse_greeting(const uint8_t *p, size_t len, struct mysql_server_greeting *g)
{
    struct mysql_rd r;
    size_t n;
    memset(g, 0, sizeof(*g));
    mysql_rd_init(&r, p, len);
    if (mysql_rd_u8(&r) != 10)
        return r.err ? -EINVAL : -EPROTO;
    const char *version = mysql_rd_nul_str(&r, &n);
    if (r.err)
        return -EINVAL;
    copy_str(g->version, sizeof(g->version), version, n);
    g->thread_id = mysql_rd_u32(&r);
    const uint8_t *part1 = mysql_rd_bytes(&r, 8);
    mysql_rd_skip(&r, 1);
    g->caps = mysql_rd_u16(&r);
    if (r.err)
        return -EINVAL;
    memcpy(g->scramble, part1, 8);
    g->charset = mysql_rd_u8(&r);
    g->status = mysql_rd_u16(&r);
    g->caps |= (uint32_t)mysql_rd_u16(&r) << 16;
    size_t data_len = mysql_rd_u8(&r);
    mysql_rd_skip(&r, 10);
    if (r.err || !(g->caps & CLIENT_PROTOCOL_41) || !(g->caps & CLIENT_SECURE_CONNECTION))
        return -EINVAL; /* no server we relay to is older than 4.1 */
    size_t part2_len = data_len > 8 ? data_len - 8 : 13;
    if (part2_len < 13)
        part2_len = 13;
    const uint8_t *part2 = mysql_rd_bytes(&r, part2_len);
    if (r.err)
        return -EINVAL;
    memcpy(g->scramble + 8, part2, MYSQL_SCRAMBLE_LEN - 8);
    if (g->caps & CLIENT_PLUGIN_AUTH) {
        size_t left = mysql_rd_left(&r);
        const uint8_t *name = r.p + r.pos;
        const uint8_t *nul = memchr(name, 0, left);
        copy_str(g->plugin, sizeof(g->plugin), name, nul ? (size_t)(nul - name) : left);
    }
    return 0;
}

int mysql_parse_err(const uint8_t *p, size_t len, struct mysql_err_info *e)
{
    if (len < 3 || p[0] != 0xFF)
        return -EINVAL;
    e->code = (uint16_t)(p[1] | p[2] << 8);
    size_t pos = 3;
    if (len >= 9 && p[3] == '#') {
        copy_str(e->sqlstate, sizeof(e->sqlstate), p + 4, 5);
        pos = 9;
    } else {
        strcpy(e->sqlstate, "HY000");
    }
    copy_str(e->message, sizeof(e->message), p + pos, len - pos);
    return 0;
}

static void put_fixed_start(struct buf *b, uint32_t caps, uint32_t max_packet, uint8_t charset)
{
    buf_put_u32le(b, caps);
    buf_put_u32le(b, max_packet);
    buf_put_u8(b, charset);
    buf_put_zeros(b, 23);
}

void mysql_build_ssl_request(struct buf *b, uint32_t caps, uint32_t max_packet, uint8_t charset)
{
    put_fixed_start(b, caps | CLIENT_SSL, max_packet, charset);
}

static void put_auth(struct buf *b, uint32_t caps, const uint8_t *auth, size_t len)
{
    if (caps & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA) {
        mysql_put_lenenc_str(b, auth, len);
    } else {
        buf_put_u8(b, (uint8_t)(len > 255 ? 255 : len));
        buf_append(b, auth, len > 255 ? 255 : len);
    }
}

static void put_tail(struct buf *b, const struct mysql_login *l)
{
    if (l->caps & CLIENT_PLUGIN_AUTH)
        buf_append(b, l->plugin, strlen(l->plugin) + 1);
    if (l->caps & CLIENT_CONNECT_ATTRS) {
        mysql_put_lenenc(b, l->attrs_len);
        buf_append(b, l->attrs, l->attrs_len);
    }
}

void mysql_build_login(struct buf *b, const struct mysql_login *l)
{
    uint32_t caps = l->caps;
    if (l->database && *l->database)
        caps |= CLIENT_CONNECT_WITH_DB;
    else
        caps &= ~CLIENT_CONNECT_WITH_DB;
    put_fixed_start(b, caps, l->max_packet, l->charset);
    buf_append(b, l->user, strlen(l->user) + 1);
    put_auth(b, caps, l->auth, l->auth_len);
    if (caps & CLIENT_CONNECT_WITH_DB)
        buf_append(b, l->database, strlen(l->database) + 1);
    struct mysql_login tail = *l;
    tail.caps = caps;
    put_tail(b, &tail);
}

void mysql_build_change_user(struct buf *b, const struct mysql_login *l, uint16_t charset)
{
    buf_put_u8(b, COM_CHANGE_USER);
    buf_append(b, l->user, strlen(l->user) + 1);
    buf_put_u8(b, (uint8_t)(l->auth_len > 255 ? 255 : l->auth_len));
    buf_append(b, l->auth, l->auth_len > 255 ? 255 : l->auth_len);
    const char *db = l->database ? l->database : "";
    buf_append(b, db, strlen(db) + 1);
    buf_put_u16le(b, charset);
    put_tail(b, l);
}

int mysql_parse_auth_switch(const uint8_t *p, size_t len, const char **plugin, size_t *plugin_len,
                            const uint8_t **data, size_t *data_len)
{
    struct mysql_rd r;
    mysql_rd_init(&r, p, len);
    if (mysql_rd_u8(&r) != 0xFE)
        return -EINVAL;
    *plugin = mysql_rd_nul_str(&r, plugin_len);
    if (r.err || *plugin_len == 0)
        return -EINVAL;
    *data = r.p + r.pos;
    *data_len = mysql_rd_left(&r);
    if (*data_len > 0 && (*data)[*data_len - 1] == 0)
        (*data_len)--;
    return 0;
}

int mysql_auth_answer(const char *plugin, const char *pw, const uint8_t nonce[MYSQL_SCRAMBLE_LEN],
                      uint8_t out[32], size_t *out_len)
{
    size_t n = strlen(pw);
    *out_len = 0;
    if (strcmp(plugin, MYSQL_PLUGIN_NATIVE) == 0) {
        if (n > 0) {
            mysql_native_scramble(out, pw, n, nonce);
            *out_len = 20;
        }
        return 0;
    }
    if (strcmp(plugin, MYSQL_PLUGIN_SHA2) == 0) {
        if (n > 0) {
            mysql_sha2_scramble(out, pw, n, nonce);
            *out_len = 32;
        }
        return 0;
    }
    return -ENOTSUP;
}

int mysql_sha2_rsa_password(const char *pem, size_t pem_len, const char *pw,
                            const uint8_t nonce[MYSQL_SCRAMBLE_LEN], uint8_t *out, size_t cap,
                            size_t *out_len)
{
    uint8_t plain[512];
    size_t n = strlen(pw) + 1;
    if (n > sizeof(plain))
        return -EINVAL;
    for (size_t i = 0; i < n; i++)
        plain[i] = (uint8_t)pw[i] ^ nonce[i % MYSQL_SCRAMBLE_LEN];
    BIO *bio = BIO_new_mem_buf(pem, (int)pem_len);
    EVP_PKEY *key = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
    EVP_PKEY_CTX *ctx = key ? EVP_PKEY_CTX_new(key, NULL) : NULL;
    size_t len = cap;
    int rc = ctx && EVP_PKEY_encrypt_init(ctx) == 1 &&
                     EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1 &&
                     EVP_PKEY_encrypt(ctx, out, &len, plain, n) == 1
                 ? 0
                 : -EINVAL;
    OPENSSL_cleanse(plain, sizeof(plain));
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
    BIO_free(bio);
    *out_len = rc == 0 ? len : 0;
    return rc;
}
