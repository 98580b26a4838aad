/* The server's TLS context: the configured certificate, or a self-signed one
 * generated into the data dir on first start. */
#ifndef SP_SERVER_TLS_CERT_H
#define SP_SERVER_TLS_CERT_H

#include <openssl/ssl.h>
#include <stdbool.h>

/* Returns NULL after logging why. */
SSL_CTX *tls_cert_server_ctx(const char *cert_file, const char *key_file, const char *data_dir);
/* A client context for the upstream: TLS 1.2 or later; with `verify`, the
 * chain is checked against `ca_file` (or the system's CAs when empty).
 * Returns NULL after logging why. */
SSL_CTX *tls_cert_client_ctx(bool verify, const char *ca_file);

#endif
