/* Password verification for mysql_native_password and caching_sha2_password.
 * The server only keeps the double hashes: SHA1(SHA1(pw)) and
 * SHA256(SHA256(pw)). Both are enough to check a scrambled answer. */
#ifndef SP_PROTOCOL_MYSQL_AUTH_H
#define SP_PROTOCOL_MYSQL_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MYSQL_NATIVE_HASH_LEN 20
#define MYSQL_SHA2_HASH_LEN   32

struct mysql_verifier {
    bool empty;                            /* the password is the empty string */
    uint8_t native[MYSQL_NATIVE_HASH_LEN]; /* SHA1(SHA1(pw)) */
    uint8_t sha2[MYSQL_SHA2_HASH_LEN];     /* SHA256(SHA256(pw)) */
};

void mysql_verifier_from_password(struct mysql_verifier *v, const char *pw, size_t len);

/* Client side computations; the server uses them only in tests. */
void mysql_native_scramble(uint8_t out[20], const char *pw, size_t len, const uint8_t nonce[20]);
void mysql_sha2_scramble(uint8_t out[32], const char *pw, size_t len, const uint8_t nonce[20]);

/* Answers of length 0 mean "empty password" (a single NUL byte too, as
 * Connector/J sends it for caching_sha2_password). */
bool mysql_native_verify(const struct mysql_verifier *v, const uint8_t nonce[20],
                         const uint8_t *resp, size_t len);
bool mysql_sha2_verify(const struct mysql_verifier *v, const uint8_t nonce[20], const uint8_t *resp,
                       size_t len);
/* Full authentication: the cleartext password sent over TLS (NUL optional). */
bool mysql_cleartext_verify(const struct mysql_verifier *v, const uint8_t *pw, size_t len);

/* Constant-time comparison. */
bool mysql_bytes_equal(const uint8_t *a, const uint8_t *b, size_t len);

#endif
