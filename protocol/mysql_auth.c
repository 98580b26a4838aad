#include "protocol/mysql_auth.h"

#include <openssl/evp.h>
#include <string.h>

static void digest2(const EVP_MD *md, uint8_t *out, const void *a, size_t alen, const void *b,
                    size_t blen)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned int n = 0;
    /* Allocation failure leaves a zero digest, which never matches a verifier. */
    if (!c || !EVP_DigestInit_ex(c, md, NULL) || !EVP_DigestUpdate(c, a, alen) ||
        (blen && !EVP_DigestUpdate(c, b, blen)) || !EVP_DigestFinal_ex(c, out, &n))
        memset(out, 0, (size_t)EVP_MD_get_size(md));
    EVP_MD_CTX_free(c);
}

static void sha1_2(uint8_t out[20], const void *a, size_t alen, const void *b, size_t blen)
{
    digest2(EVP_sha1(), out, a, alen, b, blen);
}

static void sha256_2(uint8_t out[32], const void *a, size_t alen, const void *b, size_t blen)
{
    digest2(EVP_sha256(), out, a, alen, b, blen);
}

bool mysql_bytes_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
    uint8_t d = 0;
    for (size_t i = 0; i < len; i++)
        d |= a[i] ^ b[i];
    return d == 0;
}

void mysql_verifier_from_password(struct mysql_verifier *v, const char *pw, size_t len)
{
    uint8_t h1[32];
    memset(v, 0, sizeof(*v));
    v->empty = len == 0;
    sha1_2(h1, pw, len, NULL, 0);
    sha1_2(v->native, h1, 20, NULL, 0);
    sha256_2(h1, pw, len, NULL, 0);
    sha256_2(v->sha2, h1, 32, NULL, 0);
}

void mysql_native_scramble(uint8_t out[20], const char *pw, size_t len, const uint8_t nonce[20])
{
    uint8_t s1[20], s2[20], x[20];
    sha1_2(s1, pw, len, NULL, 0);
    sha1_2(s2, s1, 20, NULL, 0);
    sha1_2(x, nonce, 20, s2, 20);
    for (int i = 0; i < 20; i++)
        out[i] = s1[i] ^ x[i];
}

void mysql_sha2_scramble(uint8_t out[32], const char *pw, size_t len, const uint8_t nonce[20])
{
    uint8_t s1[32], s2[32], x[32];
    sha256_2(s1, pw, len, NULL, 0);
    sha256_2(s2, s1, 32, NULL, 0);
    sha256_2(x, s2, 32, nonce, 20);
    for (int i = 0; i < 32; i++)
        out[i] = s1[i] ^ x[i];
}

static bool is_empty_answer(const uint8_t *resp, size_t len)
{
    return len == 0 || (len == 1 && resp[0] == 0);
}

bool mysql_native_verify(const struct mysql_verifier *v, const uint8_t nonce[20],
                         const uint8_t *resp, size_t len)
{
    if (is_empty_answer(resp, len))
        return v->empty;
    if (len != 20 || v->empty)
        return false;
    uint8_t x[20], cand[20], check[20];
    sha1_2(x, nonce, 20, v->native, 20);
    for (int i = 0; i < 20; i++)
        cand[i] = resp[i] ^ x[i];
    sha1_2(check, cand, 20, NULL, 0);
    return mysql_bytes_equal(check, v->native, 20);
}

bool mysql_sha2_verify(const struct mysql_verifier *v, const uint8_t nonce[20], const uint8_t *resp,
                       size_t len)
{
    if (is_empty_answer(resp, len))
        return v->empty;
    if (len != 32 || v->empty)
        return false;
    uint8_t x[32], cand[32], check[32];
    sha256_2(x, v->sha2, 32, nonce, 20);
    for (int i = 0; i < 32; i++)
        cand[i] = resp[i] ^ x[i];
    sha256_2(check, cand, 32, NULL, 0);
    return mysql_bytes_equal(check, v->sha2, 32);
}

bool mysql_cleartext_verify(const struct mysql_verifier *v, const uint8_t *pw, size_t len)
{
    if (len > 0 && pw[len - 1] == 0)
        len--;
    struct mysql_verifier c;
    mysql_verifier_from_password(&c, (const char *)pw, len);
    return mysql_bytes_equal(c.sha2, v->sha2, 32) && c.empty == v->empty;
}
