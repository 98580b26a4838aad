#include "protocol/mysql_auth.h"
#include "test.h"

static const uint8_t nonce[20] = "abcdefghijklmnopqrst";

static void test_known_vectors(void)
{
    /* SHA1(SHA1('password')) is MySQL's *2470C0C0... hash; the scrambles were
     * computed independently (Python hashlib) for the nonce above. */
    unsigned char stage2[20], native[20], sha2_stage2[32], sha2[32];
    test_hex("2470c0c06dee42fd1618bb99005adca2ec9d1e19", stage2, 20);
    test_hex("bfdd49584b917d42c758edd2a7a541f721843041", native, 20);
    test_hex("73641c99f7719f57d8f4beb11a303afcd190243a51ced8782ca6d3dbe014d146", sha2_stage2, 32);
    test_hex("6584c404bc44a3d014cacc4fc823edc02991a53d5ae825ea0f91c7a0f1f26653", sha2, 32);
    struct mysql_verifier v;
    mysql_verifier_from_password(&v, "password", 8);
    CHECK_MEM(v.native, stage2, 20);
    CHECK_MEM(v.sha2, sha2_stage2, 32);
    uint8_t out[32];
    mysql_native_scramble(out, "password", 8, nonce);
    CHECK_MEM(out, native, 20);
    mysql_sha2_scramble(out, "password", 8, nonce);
    CHECK_MEM(out, sha2, 32);
    CHECK(mysql_native_verify(&v, nonce, native, 20));
    CHECK(mysql_sha2_verify(&v, nonce, sha2, 32));
}

static void test_rejections(void)
{
    struct mysql_verifier v, empty;
    mysql_verifier_from_password(&v, "secret", 6);
    mysql_verifier_from_password(&empty, "", 0);
    uint8_t a[32];
    mysql_native_scramble(a, "Secret", 6, nonce);
    CHECK(!mysql_native_verify(&v, nonce, a, 20));
    mysql_sha2_scramble(a, "secret", 6, (const uint8_t *)"tsrqponmlkjihgfedcba");
    CHECK(!mysql_sha2_verify(&v, nonce, a, 32)); /* another nonce */
    mysql_sha2_scramble(a, "secret", 6, nonce);
    CHECK(!mysql_sha2_verify(&v, nonce, a, 31)); /* wrong length */
    CHECK(!mysql_native_verify(&v, nonce, a, 32));
    /* empty answers: 0 bytes (PyMySQL, mysql2) or one NUL (Connector/J) */
    CHECK(mysql_native_verify(&empty, nonce, (const uint8_t *)"", 0));
    CHECK(mysql_sha2_verify(&empty, nonce, (const uint8_t *)"\0", 1));
    CHECK(!mysql_sha2_verify(&v, nonce, (const uint8_t *)"", 0));
    /* a non-empty answer never opens an account without a password */
    mysql_native_scramble(a, "x", 1, nonce);
    CHECK(!mysql_native_verify(&empty, nonce, a, 20));
    /* full authentication: cleartext with or without the NUL */
    CHECK(mysql_cleartext_verify(&v, (const uint8_t *)"secret\0", 7));
    CHECK(mysql_cleartext_verify(&v, (const uint8_t *)"secret", 6));
    CHECK(!mysql_cleartext_verify(&v, (const uint8_t *)"secre", 5));
    CHECK(!mysql_cleartext_verify(&v, (const uint8_t *)"", 0));
}

int main(void)
{
    test_known_vectors();
    test_rejections();
    return test_finish("mysql_auth");
}
