#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "protocol/mysql_auth.h"
#include "protocol/mysql_login.h"
#include "protocol/mysql_packet.h"
#include "test.h"

/* A greeting as MariaDB 10.11 sends it (caps 0x81fff7fe: CLIENT_MYSQL clear). */
static size_t mariadb_greeting(uint8_t *out)
{
    struct buf b;
    buf_init(&b);
    buf_put_u8(&b, 10);
    buf_append_str(&b, "5.5.5-10.11.19-MariaDB-0+deb12u1");
    buf_put_u8(&b, 0);
    buf_put_u32le(&b, 42);
    buf_append(&b, "abcdefgh", 8);
    buf_put_u8(&b, 0);
    buf_put_u16le(&b, 0xf7fe);
    buf_put_u8(&b, 45);
    buf_put_u16le(&b, 0x0002);
    buf_put_u16le(&b, 0x81ff);
    buf_put_u8(&b, 21);
    buf_put_zeros(&b, 6);
    buf_put_u32le(&b, 0x1d); /* MariaDB extended capabilities */
    buf_append(&b, "ijklmnopqrst", 12);
    buf_put_u8(&b, 0);
    buf_append_str(&b, "mysql_native_password");
    buf_put_u8(&b, 0);
    memcpy(out, b.data, b.len);
    size_t n = b.len;
    buf_free(&b);
    return n;
}

static void test_greeting(void)
{
    uint8_t p[256];
    size_t n = mariadb_greeting(p);
    struct mysql_server_greeting g;
    CHECK_EQ(mysql_parse_greeting(p, n, &g), 0);
    CHECK_STR(g.version, "5.5.5-10.11.19-MariaDB-0+deb12u1");
    CHECK_EQ(g.thread_id, 42);
    CHECK_MEM(g.scramble, "abcdefghijklmnopqrst", 20);
    CHECK_EQ(g.caps, 0x81fff7fe);
    CHECK_EQ(g.charset, 45);
    CHECK_EQ(g.status, 2);
    CHECK_STR(g.plugin, "mysql_native_password");
    /* every truncation is refused, never read past */
    for (size_t cut = 0; cut < n - 23; cut++)
        CHECK(mysql_parse_greeting(p, cut, &g) < 0);
    p[0] = 9; /* an older protocol */
    CHECK_EQ(mysql_parse_greeting(p, n, &g), -EPROTO);
    p[0] = 10;
    /* no NUL after the plugin name: taken to the end */
    CHECK_EQ(mysql_parse_greeting(p, n - 1, &g), 0);
    CHECK_STR(g.plugin, "mysql_native_password");
}

static void test_err_and_auth_switch(void)
{
    struct mysql_err_info e;
    const uint8_t err41[] = "\xff\x15\x04#28000Access denied";
    CHECK_EQ(mysql_parse_err(err41, sizeof(err41) - 1, &e), 0);
    CHECK_EQ(e.code, 1045);
    CHECK_STR(e.sqlstate, "28000");
    CHECK_STR(e.message, "Access denied");
    const uint8_t err_plain[] = "\xff\x10\x04Too many connections"; /* before the handshake */
    CHECK_EQ(mysql_parse_err(err_plain, sizeof(err_plain) - 1, &e), 0);
    CHECK_EQ(e.code, 1040);
    CHECK_STR(e.sqlstate, "HY000");
    CHECK_STR(e.message, "Too many connections");
    CHECK(mysql_parse_err((const uint8_t *)"\xff\x10", 2, &e) < 0);
    CHECK(mysql_parse_err((const uint8_t *)"\x00\x10\x04", 3, &e) < 0);

    const char *plugin;
    const uint8_t *data;
    size_t plen, dlen;
    const uint8_t sw[] = "\xfe"
                         "caching_sha2_password\0"
                         "01234567890123456789";
    CHECK_EQ(mysql_parse_auth_switch(sw, sizeof(sw), &plugin, &plen, &data, &dlen), 0);
    CHECK_EQ(plen, 21);
    CHECK_EQ(dlen, 20); /* the trailing NUL is not data */
    CHECK_MEM(data, "01234567890123456789", 20);
    CHECK(mysql_parse_auth_switch(sw, 5, &plugin, &plen, &data, &dlen) < 0); /* no NUL */
    CHECK(mysql_parse_auth_switch((const uint8_t *)"\xfe\0", 2, &plugin, &plen, &data, &dlen) <
          0); /* no plugin name */
    CHECK(mysql_parse_auth_switch((const uint8_t *)"\x01\x03", 2, &plugin, &plen, &data, &dlen) <
          0);
}

/* What we send as a client, read back by our own server-side parser. */
static void test_login_round_trip(void)
{
    const uint8_t nonce[20] = "abcdefghijklmnopqrst";
    uint8_t auth[32];
    size_t auth_len;
    CHECK_EQ(mysql_auth_answer(MYSQL_PLUGIN_NATIVE, "pw", nonce, auth, &auth_len), 0);
    CHECK_EQ(auth_len, 20);
    struct mysql_verifier v;
    mysql_verifier_from_password(&v, "pw", 2);
    CHECK(mysql_native_verify(&v, nonce, auth, auth_len));
    struct mysql_login l = {.caps = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION |
                                    CLIENT_PLUGIN_AUTH | CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA |
                                    CLIENT_DEPRECATE_EOF,
                            .max_packet = 1 << 30,
                            .charset = 45,
                            .user = "test",
                            .auth = auth,
                            .auth_len = auth_len,
                            .database = "shop",
                            .plugin = MYSQL_PLUGIN_NATIVE};
    struct buf b;
    buf_init(&b);
    mysql_build_login(&b, &l);
    struct mysql_handshake_response r;
    CHECK_EQ(mysql_parse_handshake_response(b.data, b.len, &r), 0);
    CHECK(r.client_flags & CLIENT_CONNECT_WITH_DB);
    CHECK(r.user_len == 4 && memcmp(r.user, "test", 4) == 0);
    CHECK(r.database_len == 4 && memcmp(r.database, "shop", 4) == 0);
    CHECK_EQ(r.auth_len, 20);
    CHECK_EQ(r.charset, 45);
    buf_reset(&b);
    l.database = NULL; /* no database: the flag goes too */
    mysql_build_login(&b, &l);
    CHECK_EQ(mysql_parse_handshake_response(b.data, b.len, &r), 0);
    CHECK(!(r.client_flags & CLIENT_CONNECT_WITH_DB));
    buf_reset(&b);
    mysql_build_ssl_request(&b, l.caps, l.max_packet, 45);
    CHECK_EQ(mysql_parse_handshake_response(b.data, b.len, &r), 0);
    CHECK(r.is_ssl_request);
    buf_reset(&b);
    mysql_build_change_user(&b, &l, 45);
    struct mysql_change_user cu;
    CHECK_EQ(mysql_parse_change_user(b.data, b.len, l.caps, &cu), 0);
    CHECK(cu.user_len == 4 && cu.auth_len == 20 && cu.charset == 45);
    buf_free(&b);
    /* sha2, empty passwords, and plugins we cannot answer */
    CHECK_EQ(mysql_auth_answer(MYSQL_PLUGIN_SHA2, "pw", nonce, auth, &auth_len), 0);
    CHECK(auth_len == 32 && mysql_sha2_verify(&v, nonce, auth, auth_len));
    CHECK_EQ(mysql_auth_answer(MYSQL_PLUGIN_SHA2, "", nonce, auth, &auth_len), 0);
    CHECK_EQ(auth_len, 0);
    CHECK_EQ(mysql_auth_answer("client_ed25519", "pw", nonce, auth, &auth_len), -ENOTSUP);
}

static void test_rsa_password(void)
{
    const uint8_t nonce[20] = "abcdefghijklmnopqrst";
    EVP_PKEY *key = EVP_RSA_gen(2048);
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, key);
    char *pem;
    long pem_len = BIO_get_mem_data(bio, &pem);
    uint8_t enc[512], dec[512];
    size_t enc_len, dec_len = sizeof(dec);
    CHECK_EQ(
        mysql_sha2_rsa_password(pem, (size_t)pem_len, "secret", nonce, enc, sizeof(enc), &enc_len),
        0);
    CHECK_EQ(enc_len, 256);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
    CHECK(EVP_PKEY_decrypt_init(ctx) == 1);
    CHECK(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1);
    CHECK(EVP_PKEY_decrypt(ctx, dec, &dec_len, enc, enc_len) == 1);
    CHECK_EQ(dec_len, 7); /* "secret" and its NUL, each byte XORed with the nonce */
    for (size_t i = 0; i < dec_len; i++)
        CHECK_EQ(dec[i] ^ nonce[i % 20], (uint8_t) "secret"[i]);
    CHECK(mysql_sha2_rsa_password("not a key", 9, "secret", nonce, enc, sizeof(enc), &enc_len) < 0);
    CHECK(mysql_sha2_rsa_password(pem, (size_t)pem_len, "secret", nonce, enc, 16, &enc_len) < 0);
    EVP_PKEY_CTX_free(ctx);
    BIO_free(bio);
    EVP_PKEY_free(key);
}

int main(void)
{
    test_greeting();
    test_err_and_auth_switch();
    test_login_round_trip();
    test_rsa_password();
    return test_finish("mysql_login");
}
