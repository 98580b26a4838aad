/* TLS to the upstream over the memory-BIO filter: what the handshake and
 * encryption produce is sent as it is, and what arrives is decrypted into
 * read buffers that the login or the relay then own, as on plain TCP. */
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include "server/config.h"
#include "server/upstream.h"

static int flush_output(struct upstream *up)
{
    size_t n = tls_filter_pending_output(up->tls);
    if (n == 0)
        return 0;
    uint8_t *out = malloc(n);
    if (!out)
        return -ENOMEM;
    n = tls_filter_take_output(up->tls, out, n);
    return upstream_send_wire(up, out, n);
}

/* The name the certificate must carry: the upstream's host, by name (also
 * sent as SNI) or by IP address. Checked only when the context verifies. */
static int expect_name(SSL *ssl, const char *addr)
{
    char host[256];
    int port;
    unsigned char ip[16];
    if (config_parse_address(addr, host, sizeof(host), &port) < 0)
        return -EINVAL;
    if (inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1)
        return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1 ? 0 : -EINVAL;
    if (SSL_set_tlsext_host_name(ssl, host) != 1 || SSL_set1_host(ssl, host) != 1)
        return -EINVAL;
    return 0;
}

int upstream_tls_begin(struct upstream *up, SSL_CTX *ctx, const char *addr)
{
    up->tls = tls_filter_new(ctx, false);
    if (!up->tls || expect_name(tls_filter_ssl(up->tls), addr) < 0)
        return -EINVAL;
    if (tls_filter_handshake(up->tls) < 0)
        return -EPROTO;
    return flush_output(up);
}

int upstream_tls_send(struct upstream *up, const uint8_t *plain, size_t len)
{
    if (tls_filter_write(up->tls, plain, len) < 0)
        return -EPROTO;
    return flush_output(up);
}

int upstream_tls_received(struct upstream *up, const uint8_t *cipher, size_t len)
{
    if (tls_filter_feed(up->tls, cipher, len) < 0)
        return -EPROTO;
    for (;;) {
        if (up->state == UPSTREAM_CLOSING)
            return 0;
        uint8_t *base = upstream_buf_get(up);
        if (!base)
            return -ENOMEM;
        int n = tls_filter_read(up->tls, base + UPSTREAM_HEADROOM, UPSTREAM_READ_SIZE);
        if (n <= 0) {
            upstream_buf_put(up, base);
            if (n == TLS_FILTER_ERROR)
                return -EPROTO;
            if (n == TLS_FILTER_CLOSED)
                return -ECONNRESET;
            break;
        }
        upstream_deliver(up, base, base + UPSTREAM_HEADROOM, (size_t)n);
    }
    if (flush_output(up) < 0) /* handshake messages, alerts */
        return -ENOMEM;
    if (up->state == UPSTREAM_TLS && tls_filter_established(up->tls))
        upstream_tls_ready(up);
    return 0;
}
