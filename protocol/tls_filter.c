#include "protocol/tls_filter.h"

#include <limits.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tls_filter {
    SSL *ssl;
    BIO *rbio; /* ciphertext from the peer */
    BIO *wbio; /* ciphertext for the peer */
    bool established;
    char error[160];
};

struct tls_filter *tls_filter_new(SSL_CTX *ctx, bool is_server)
{
    struct tls_filter *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->ssl = SSL_new(ctx);
    f->rbio = BIO_new(BIO_s_mem());
    f->wbio = BIO_new(BIO_s_mem());
    if (!f->ssl || !f->rbio || !f->wbio) {
        SSL_free(f->ssl);
        BIO_free(f->rbio);
        BIO_free(f->wbio);
        free(f);
        return NULL;
    }
    /* An empty memory BIO means "try again", not end of file. */
    BIO_set_mem_eof_return(f->rbio, -1);
    BIO_set_mem_eof_return(f->wbio, -1);
    SSL_set_bio(f->ssl, f->rbio, f->wbio);
    if (is_server)
        SSL_set_accept_state(f->ssl);
    else
        SSL_set_connect_state(f->ssl);
    return f;
}

void tls_filter_free(struct tls_filter *f)
{
    if (!f)
        return;
    SSL_free(f->ssl); /* frees both BIOs */
    free(f);
}

int tls_filter_feed(struct tls_filter *f, const void *data, size_t len)
{
    while (len > 0) {
        int chunk = len > INT_MAX ? INT_MAX : (int)len;
        int n = BIO_write(f->rbio, data, chunk);
        if (n <= 0)
            return TLS_FILTER_ERROR;
        data = (const char *)data + n;
        len -= (size_t)n;
    }
    return 0;
}

static int classify(struct tls_filter *f, int ret)
{
    int e = SSL_get_error(f->ssl, ret);
    switch (e) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        return TLS_FILTER_WANT_MORE;
    case SSL_ERROR_ZERO_RETURN:
        return TLS_FILTER_CLOSED;
    default: {
        unsigned long code = ERR_peek_last_error();
        if (code)
            ERR_error_string_n(code, f->error, sizeof(f->error));
        else
            snprintf(f->error, sizeof(f->error), "TLS error %d", e);
        ERR_clear_error();
        return TLS_FILTER_ERROR;
    }
    }
}

int tls_filter_handshake(struct tls_filter *f)
{
    if (f->established)
        return 0;
    ERR_clear_error();
    int r = SSL_do_handshake(f->ssl);
    if (r == 1) {
        f->established = true;
        return 0;
    }
    return classify(f, r);
}

int tls_filter_read(struct tls_filter *f, void *plain, size_t cap)
{
    if (!f->established) {
        int r = tls_filter_handshake(f);
        if (r < 0 || !f->established)
            return r;
    }
    ERR_clear_error();
    int n = SSL_read(f->ssl, plain, cap > INT_MAX ? INT_MAX : (int)cap);
    if (n > 0)
        return n;
    return classify(f, n);
}

int tls_filter_write(struct tls_filter *f, const void *plain, size_t len)
{
    while (len > 0) {
        ERR_clear_error();
        int n = SSL_write(f->ssl, plain, len > INT_MAX ? INT_MAX : (int)len);
        /* Memory BIOs grow, so a write can only fail for real. */
        if (n <= 0) {
            classify(f, n);
            return TLS_FILTER_ERROR;
        }
        plain = (const char *)plain + n;
        len -= (size_t)n;
    }
    return 0;
}

void tls_filter_shutdown(struct tls_filter *f)
{
    ERR_clear_error();
    if (f->established)
        SSL_shutdown(f->ssl);
    ERR_clear_error();
}

bool tls_filter_established(const struct tls_filter *f)
{
    return f->established;
}

size_t tls_filter_pending_output(const struct tls_filter *f)
{
    return BIO_ctrl_pending(f->wbio);
}

size_t tls_filter_take_output(struct tls_filter *f, void *out, size_t cap)
{
    int n = BIO_read(f->wbio, out, cap > INT_MAX ? INT_MAX : (int)cap);
    return n > 0 ? (size_t)n : 0;
}

const char *tls_filter_error(const struct tls_filter *f)
{
    return f->error[0] ? f->error : "TLS error";
}

const char *tls_filter_version(const struct tls_filter *f)
{
    return SSL_get_version(f->ssl);
}

SSL *tls_filter_ssl(struct tls_filter *f)
{
    return f->ssl;
}
