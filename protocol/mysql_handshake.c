#include "protocol/mysql_handshake.h"

#include <errno.h>
#include <string.h>

#include "protocol/mysql_packet.h"

void mysql_build_greeting(struct buf *b, const struct mysql_greeting *g)
{
    buf_put_u8(b, 0x0a);
    buf_append(b, g->server_version, strlen(g->server_version) + 1);
    buf_put_u32le(b, g->connection_id);
    buf_append(b, g->scramble, 8);
    buf_put_u8(b, 0);
    buf_put_u16le(b, (uint16_t)g->capabilities);
    buf_put_u8(b, g->charset);
    buf_put_u16le(b, g->status);
    buf_put_u16le(b, (uint16_t)(g->capabilities >> 16));
    buf_put_u8(b, (g->capabilities & CLIENT_PLUGIN_AUTH) ? MYSQL_SCRAMBLE_LEN + 1 : 0);
    buf_put_zeros(b, 10);
    buf_append(b, g->scramble + 8, MYSQL_SCRAMBLE_LEN - 8);
    buf_put_u8(b, 0);
    if (g->capabilities & CLIENT_PLUGIN_AUTH)
        buf_append(b, g->auth_plugin, strlen(g->auth_plugin) + 1);
}

void mysql_scramble_sanitize(uint8_t scramble[MYSQL_SCRAMBLE_LEN])
{
    for (int i = 0; i < MYSQL_SCRAMBLE_LEN; i++) {
        scramble[i] &= 0x7F;
        if (scramble[i] == 0 || scramble[i] == '$')
            scramble[i]++;
    }
}

static void take_nul_or_rest(struct mysql_rd *r, const char **s, size_t *len)
{
    /* Some clients omit the final NUL of the last string field. */
    const uint8_t *start = r->p + r->pos;
    size_t left = mysql_rd_left(r);
    const uint8_t *nul = memchr(start, 0, left);
    size_t n = nul ? (size_t)(nul - start) : left;
    *s = (const char *)start;
    *len = n;
    mysql_rd_skip(r, nul ? n + 1 : n);
}

static int parse_auth_data(struct mysql_rd *r, uint32_t flags, const uint8_t **auth,
                           size_t *auth_len)
{
    if (flags & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA) {
        *auth = mysql_rd_lenenc_str(r, auth_len);
    } else if (flags & CLIENT_SECURE_CONNECTION) {
        *auth_len = mysql_rd_u8(r);
        *auth = mysql_rd_bytes(r, *auth_len);
    } else {
        const char *s;
        s = mysql_rd_nul_str(r, auth_len);
        *auth = (const uint8_t *)s;
    }
    return r->err ? -EINVAL : 0;
}

int mysql_parse_handshake_response(const uint8_t *p, size_t len,
                                   struct mysql_handshake_response *out)
{
    struct mysql_rd r;
    memset(out, 0, sizeof(*out));
    mysql_rd_init(&r, p, len);
    if (len < 4)
        return -EINVAL;
    uint32_t flags = mysql_rd_u32(&r);
    if (!(flags & CLIENT_PROTOCOL_41))
        return -EPROTO;
    out->client_flags = flags;
    out->max_packet = mysql_rd_u32(&r);
    out->charset = mysql_rd_u8(&r);
    mysql_rd_skip(&r, 23);
    if (r.err)
        return -EINVAL;
    if (len == 32) {
        if (!(flags & CLIENT_SSL))
            return -EINVAL;
        out->is_ssl_request = true;
        return 0;
    }
    out->user = mysql_rd_nul_str(&r, &out->user_len);
    if (r.err)
        return -EINVAL;
    if (parse_auth_data(&r, flags, &out->auth, &out->auth_len) < 0)
        return -EINVAL;
    if ((flags & CLIENT_CONNECT_WITH_DB) && mysql_rd_left(&r) > 0) {
        take_nul_or_rest(&r, &out->database, &out->database_len);
        if (out->database_len == 0)
            out->database = NULL;
    }
    if ((flags & CLIENT_PLUGIN_AUTH) && mysql_rd_left(&r) > 0)
        take_nul_or_rest(&r, &out->plugin, &out->plugin_len);
    if ((flags & CLIENT_CONNECT_ATTRS) && mysql_rd_left(&r) > 0) {
        out->attrs = mysql_rd_lenenc_str(&r, &out->attrs_len);
        if (r.err)
            return -EINVAL;
    }
    return r.err ? -EINVAL : 0;
}

int mysql_attr_get(const uint8_t *attrs, size_t attrs_len, const char *key, const uint8_t **val,
                   size_t *val_len)
{
    struct mysql_rd r;
    size_t klen = strlen(key);
    mysql_rd_init(&r, attrs, attrs_len);
    while (mysql_rd_left(&r) > 0) {
        size_t kl, vl;
        const uint8_t *k = mysql_rd_lenenc_str(&r, &kl);
        const uint8_t *v = mysql_rd_lenenc_str(&r, &vl);
        if (r.err)
            return -EINVAL;
        if (kl == klen && memcmp(k, key, klen) == 0) {
            *val = v;
            *val_len = vl;
            return 0;
        }
    }
    return -ENOENT;
}

void mysql_build_auth_switch(struct buf *b, const char *plugin,
                             const uint8_t scramble[MYSQL_SCRAMBLE_LEN])
{
    buf_put_u8(b, 0xFE);
    buf_append(b, plugin, strlen(plugin) + 1);
    buf_append(b, scramble, MYSQL_SCRAMBLE_LEN);
    /* Drivers disagree on whether the NUL belongs to the data; send it. */
    buf_put_u8(b, 0);
}

int mysql_parse_change_user(const uint8_t *p, size_t len, uint32_t caps,
                            struct mysql_change_user *out)
{
    struct mysql_rd r;
    memset(out, 0, sizeof(*out));
    mysql_rd_init(&r, p, len);
    if (mysql_rd_u8(&r) != COM_CHANGE_USER)
        return -EINVAL;
    out->user = mysql_rd_nul_str(&r, &out->user_len);
    if (r.err)
        return -EINVAL;
    if (caps & CLIENT_SECURE_CONNECTION) {
        out->auth_len = mysql_rd_u8(&r);
        out->auth = mysql_rd_bytes(&r, out->auth_len);
    } else {
        const char *s = mysql_rd_nul_str(&r, &out->auth_len);
        out->auth = (const uint8_t *)s;
    }
    if (r.err)
        return -EINVAL;
    if (mysql_rd_left(&r) > 0) {
        take_nul_or_rest(&r, &out->database, &out->database_len);
        if (out->database_len == 0)
            out->database = NULL;
    }
    if (mysql_rd_left(&r) >= 2)
        out->charset = mysql_rd_u16(&r);
    if ((caps & CLIENT_PLUGIN_AUTH) && mysql_rd_left(&r) > 0)
        take_nul_or_rest(&r, &out->plugin, &out->plugin_len);
    /* Connection attributes may follow; they are not needed here. */
    return r.err ? -EINVAL : 0;
}
