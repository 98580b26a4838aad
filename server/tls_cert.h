/* The server's TLS context: the configured certificate, or a self-signed one
 * generated into the data dir on first start. */
#ifndef SP_SERVER_TLS_CERT_H
#define SP_SERVER_TLS_CERT_H

#include <openssl/ssl.h>

/* Returns NULL after logging why. */
SSL_CTX *tls_cert_server_ctx(const char *cert_file, const char *key_file, const char *data_dir);

#endif
