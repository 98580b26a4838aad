#include <errno.h>

#include "protocol/mysql_handshake.h"
#include "protocol/mysql_packet.h"
#include "test.h"

static void test_greeting_matches_reference_bytes(void)
{
    /* The example of mysql-clients-compat.md §1.3, byte for byte. */
    unsigned char expect[128];
    size_t n =
        test_hex("55 00 00 00 0a 38 2e 30 2e 33 36 2d 73 74 61 67 65 70 72 6f 78 79 00 01 00 00 00"
                 "61 62 63 64 65 66 67 68 00 8f a6 ff 02 00 3e 01 15 00 00 00 00 00 00 00 00 00 00"
                 "69 6a 6b 6c 6d 6e 6f 70 71 72 73 74 00 63 61 63 68 69 6e 67 5f 73 68 61 32 5f 70"
                 "61 73 73 77 6f 72 64 00",
                 expect, sizeof(expect));
    struct mysql_greeting g = {.server_version = "8.0.36-stageproxy",
                               .connection_id = 1,
                               .capabilities = 0x013EA68F,
                               .charset = 255,
                               .status = 2,
                               .auth_plugin = "caching_sha2_password"};
    memcpy(g.scramble, "abcdefghijklmnopqrst", 20);
    struct buf payload = {0}, wire = {0};
    mysql_build_greeting(&payload, &g);
    uint8_t seq = 0;
    mysql_frame(&wire, payload.data, payload.len, &seq);
    CHECK_EQ(wire.len, n);
    CHECK_MEM(wire.data, expect, n);
    buf_free(&payload);
    buf_free(&wire);
}

static void test_scramble_sanitize(void)
{
    uint8_t s[20];
    for (int i = 0; i < 20; i++)
        s[i] = (uint8_t)(i * 37 + 0x80);
    s[3] = 0;
    s[4] = '$';
    s[5] = 0x80;
    mysql_scramble_sanitize(s);
    for (int i = 0; i < 20; i++)
        CHECK(s[i] != 0 && s[i] != '$' && s[i] < 0x80);
}

static size_t response(unsigned char *out, uint32_t flags, const char *user, const void *auth,
                       size_t auth_len, const char *db, const char *plugin, const char *attrs,
                       size_t attrs_len)
{
    struct buf b = {0};
    buf_put_u32le(&b, flags);
    buf_put_u32le(&b, 1 << 24);
    buf_put_u8(&b, 45);
    buf_put_zeros(&b, 23);
    buf_append(&b, user, strlen(user) + 1);
    if (flags & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA)
        mysql_put_lenenc_str(&b, auth, auth_len);
    else if (flags & CLIENT_SECURE_CONNECTION) {
        buf_put_u8(&b, (uint8_t)auth_len);
        buf_append(&b, auth, auth_len);
    } else {
        buf_append(&b, auth, auth_len);
        buf_put_u8(&b, 0);
    }
    if (flags & CLIENT_CONNECT_WITH_DB)
        buf_append(&b, db, strlen(db) + 1);
    if (flags & CLIENT_PLUGIN_AUTH)
        buf_append(&b, plugin, strlen(plugin) + 1);
    if (flags & CLIENT_CONNECT_ATTRS)
        mysql_put_lenenc_str(&b, attrs, attrs_len);
    memcpy(out, b.data, b.len);
    size_t n = b.len;
    buf_free(&b);
    return n;
}

static void test_handshake_response(void)
{
    unsigned char p[512];
    struct mysql_handshake_response r;
    uint32_t all = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH |
                   CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA | CLIENT_CONNECT_WITH_DB |
                   CLIENT_CONNECT_ATTRS;
    const char attrs[] = "\x0c_client_name\x08libmysql\x0cprogram_name\x05mysql";
    size_t n = response(p, all, "root", "0123456789abcdefghijABCDEFGHIJKL", 32, "stageproxy",
                        "caching_sha2_password", attrs, sizeof(attrs) - 1);
    CHECK_EQ(mysql_parse_handshake_response(p, n, &r), 0);
    CHECK_EQ(r.user_len, 4);
    CHECK_EQ(r.auth_len, 32);
    CHECK(r.database && r.database_len == 10 && memcmp(r.database, "stageproxy", 10) == 0);
    CHECK(r.plugin && r.plugin_len == 21);
    const uint8_t *v;
    size_t vl;
    CHECK_EQ(mysql_attr_get(r.attrs, r.attrs_len, "program_name", &v, &vl), 0);
    CHECK(vl == 5 && memcmp(v, "mysql", 5) == 0);
    CHECK_EQ(mysql_attr_get(r.attrs, r.attrs_len, "os_user", &v, &vl), -ENOENT);

    /* mysql2 sends CONNECT_WITH_DB with an empty name: no database */
    n = response(p, all & ~CLIENT_CONNECT_ATTRS, "u", "", 0, "", "mysql_native_password", NULL, 0);
    CHECK_EQ(mysql_parse_handshake_response(p, n, &r), 0);
    CHECK(r.database == NULL);
    CHECK_EQ(r.auth_len, 0);

    /* 1-byte auth length without LENENC, and no plugin name */
    n = response(p, CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION, "bob", "01234567890123456789",
                 20, NULL, NULL, NULL, 0);
    CHECK_EQ(mysql_parse_handshake_response(p, n, &r), 0);
    CHECK(r.plugin == NULL && r.auth_len == 20);

    /* SSLRequest: 32 bytes with CLIENT_SSL */
    memset(p, 0, 32);
    p[0] = 0x00;
    p[1] = (CLIENT_PROTOCOL_41 | CLIENT_SSL) >> 8;
    CHECK_EQ(mysql_parse_handshake_response(p, 32, &r), 0);
    CHECK(r.is_ssl_request);
    p[1] = CLIENT_PROTOCOL_41 >> 8;
    CHECK_EQ(mysql_parse_handshake_response(p, 32, &r), -EINVAL);

    /* every truncation of a valid packet is rejected or parsed, never overread */
    n = response(p, all, "root", "0123456789abcdefghijABCDEFGHIJKL", 32, "db",
                 "caching_sha2_password", attrs, sizeof(attrs) - 1);
    for (size_t cut = 0; cut < n; cut++) {
        unsigned char *copy = malloc(cut ? cut : 1);
        memcpy(copy, p, cut);
        int rc = mysql_parse_handshake_response(copy, cut, &r);
        CHECK(rc == 0 || rc == -EINVAL);
        free(copy);
    }
    /* pre-4.1 clients */
    n = response(p, CLIENT_SECURE_CONNECTION, "old", "", 0, NULL, NULL, NULL, 0);
    CHECK_EQ(mysql_parse_handshake_response(p, n, &r), -EPROTO);
}

static void test_auth_switch_and_change_user(void)
{
    struct buf b = {0};
    uint8_t scramble[20];
    memcpy(scramble, "abcdefghijklmnopqrst", 20);
    mysql_build_auth_switch(&b, "mysql_native_password", scramble);
    CHECK_EQ(b.len, 1 + 22 + 20 + 1);
    CHECK_EQ(b.data[0], 0xFE);
    CHECK_EQ(b.data[b.len - 1], 0);
    buf_reset(&b);
    buf_put_u8(&b, COM_CHANGE_USER);
    buf_append(&b, "eve", 4);
    buf_put_u8(&b, 3);
    buf_append(&b, "abc", 3);
    buf_append(&b, "db1", 4);
    buf_put_u16le(&b, 224);
    buf_append(&b, "mysql_native_password", 22);
    struct mysql_change_user cu;
    CHECK_EQ(
        mysql_parse_change_user(b.data, b.len, CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH, &cu),
        0);
    CHECK(cu.user_len == 3 && cu.auth_len == 3 && cu.database_len == 3 && cu.charset == 224);
    CHECK(cu.plugin_len == 21);
    CHECK_EQ(mysql_parse_change_user(b.data, 3, CLIENT_SECURE_CONNECTION, &cu), -EINVAL);
    buf_free(&b);
}

int main(void)
{
    test_greeting_matches_reference_bytes();
    test_scramble_sanitize();
    test_handshake_response();
    test_auth_switch_and_change_user();
    return test_finish("mysql_handshake");
}
