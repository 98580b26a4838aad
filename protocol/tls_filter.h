/* TLS as a byte filter over OpenSSL memory BIOs: ciphertext in and out,
 * plaintext in and out, no sockets and no event loop. The connection code
 * feeds what it reads, sends what the filter produces, and tests can wire
 * two filters back to back. */
#ifndef SP_PROTOCOL_TLS_FILTER_H
#define SP_PROTOCOL_TLS_FILTER_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

struct tls_filter;

#define TLS_FILTER_WANT_MORE 0
#define TLS_FILTER_CLOSED    (-1)
#define TLS_FILTER_ERROR     (-2)

struct tls_filter *tls_filter_new(SSL_CTX *ctx, bool is_server);
void tls_filter_free(struct tls_filter *f);

/* Hands ciphertext received from the peer to the filter. */
int tls_filter_feed(struct tls_filter *f, const void *data, size_t len);
/* Advances the handshake and decrypts: returns the number of plaintext bytes
 * (> 0), TLS_FILTER_WANT_MORE, TLS_FILTER_CLOSED (close_notify) or
 * TLS_FILTER_ERROR. Call until it returns <= 0; then send pending output. */
int tls_filter_read(struct tls_filter *f, void *plain, size_t cap);
/* Encrypts plaintext; the ciphertext waits in the filter's output. */
int tls_filter_write(struct tls_filter *f, const void *plain, size_t len);
/* Starts a client handshake or a close_notify. */
int tls_filter_handshake(struct tls_filter *f);
void tls_filter_shutdown(struct tls_filter *f);

bool tls_filter_established(const struct tls_filter *f);
size_t tls_filter_pending_output(const struct tls_filter *f);
/* Moves up to `cap` bytes of pending ciphertext into `out`. */
size_t tls_filter_take_output(struct tls_filter *f, void *out, size_t cap);
/* The reason for the last TLS_FILTER_ERROR, for logs. */
const char *tls_filter_error(const struct tls_filter *f);
const char *tls_filter_version(const struct tls_filter *f);
SSL *tls_filter_ssl(struct tls_filter *f);

#endif
