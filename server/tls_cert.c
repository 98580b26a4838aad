#include "server/tls_cert.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/log.h"

static void log_ssl_error(const char *what)
{
    char msg[256];
    unsigned long e = ERR_get_error();
    ERR_error_string_n(e, msg, sizeof(msg));
    log_error("%s: %s", what, e ? msg : "unknown error");
    ERR_clear_error();
}

static int add_ext(X509 *cert, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
    X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ex)
        return -1;
    int ok = X509_add_ext(cert, ex, -1);
    X509_EXTENSION_free(ex);
    return ok ? 0 : -1;
}

static X509 *make_self_signed(EVP_PKEY *key)
{
    X509 *cert = X509_new();
    if (!cert)
        return NULL;
    unsigned char serial[16];
    FILE *r = fopen("/dev/urandom", "rb");
    if (!r || fread(serial, 1, sizeof(serial), r) != sizeof(serial)) {
        if (r)
            fclose(r);
        X509_free(cert);
        return NULL;
    }
    fclose(r);
    serial[0] &= 0x7F;
    BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);
    X509_set_version(cert, 2);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 10L * 365 * 24 * 3600);
    X509_set_pubkey(cert, key);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"stageproxy", -1, -1,
                               0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1,
                               0);
    X509_set_issuer_name(cert, name);
    /* Self-signed and usable as its own CA, so clients can pin it. */
    if (add_ext(cert, NID_basic_constraints, "critical,CA:TRUE") < 0 ||
        add_ext(cert, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1") < 0 ||
        add_ext(cert, NID_subject_key_identifier, "hash") < 0 ||
        !X509_sign(cert, key, EVP_sha256())) {
        X509_free(cert);
        return NULL;
    }
    return cert;
}

static int write_pem(const char *path, int mode, int (*writer)(FILE *, void *), void *obj)
{
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0)
        return -errno;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        return -errno;
    }
    int ok = writer(f, obj);
    ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
    if (fclose(f) != 0)
        ok = 0;
    if (!ok || rename(tmp, path) < 0) {
        unlink(tmp);
        return -EIO;
    }
    return 0;
}

static int pem_key(FILE *f, void *k)
{
    return PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
}

static int pem_cert(FILE *f, void *c)
{
    return PEM_write_X509(f, c);
}

/* Generates DATA/tls/server.{key,crt} unless both exist. */
static int ensure_self_signed(const char *data_dir, char *cert_path, char *key_path, size_t cap)
{
    char dir[4096];
    int n = snprintf(dir, sizeof(dir), "%s/tls", data_dir);
    if (n < 0 || (size_t)n + sizeof("/server.crt") > cap) {
        log_error("data dir path too long: %s", data_dir);
        return -1;
    }
    memcpy(cert_path, dir, (size_t)n);
    memcpy(cert_path + n, "/server.crt", sizeof("/server.crt"));
    memcpy(key_path, dir, (size_t)n);
    memcpy(key_path + n, "/server.key", sizeof("/server.key"));
    if (access(cert_path, R_OK) == 0 && access(key_path, R_OK) == 0)
        return 0;
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        log_error("cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = key ? make_self_signed(key) : NULL;
    int rc = -1;
    if (!cert)
        log_ssl_error("cannot generate a self-signed certificate");
    else if (write_pem(key_path, 0600, pem_key, key) < 0 ||
             write_pem(cert_path, 0644, pem_cert, cert) < 0)
        log_error("cannot write the certificate into %s", dir);
    else
        rc = 0;
    if (rc == 0)
        log_info("generated a self-signed TLS certificate: %s", cert_path);
    X509_free(cert);
    EVP_PKEY_free(key);
    return rc;
}

/* What both sides share: TLS 1.2 or later, no renegotiation. */
static SSL_CTX *new_ctx(const SSL_METHOD *method)
{
    SSL_CTX *ctx = SSL_CTX_new(method);
    if (!ctx) {
        log_ssl_error("cannot create a TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* Idle TLS connections should not keep 2 x 16 KiB record buffers. */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    /* MySQL sessions are not resumed: a session cache would only hold
     * memory for every connection ever made. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    return ctx;
}

SSL_CTX *tls_cert_server_ctx(const char *cert_file, const char *key_file, const char *data_dir)
{
    char cert_path[4096], key_path[4096];
    if (!*cert_file) {
        if (ensure_self_signed(data_dir, cert_path, key_path, sizeof(cert_path)) < 0)
            return NULL;
        cert_file = cert_path;
        key_file = key_path;
    }
    SSL_CTX *ctx = new_ctx(TLS_server_method());
    if (!ctx)
        return NULL;
    SSL_CTX_set_num_tickets(ctx, 0);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
        log_ssl_error("cannot load the TLS certificate");
        log_error("certificate file: %s", cert_file);
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        log_ssl_error("cannot load the TLS private key");
        log_error("key file: %s", key_file);
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

SSL_CTX *tls_cert_client_ctx(bool verify, const char *ca_file)
{
    SSL_CTX *ctx = new_ctx(TLS_client_method());
    if (!ctx || !verify)
        return ctx;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    int ok = *ca_file ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL)
                      : SSL_CTX_set_default_verify_paths(ctx);
    if (ok != 1) {
        log_ssl_error("cannot load the CAs for the upstream");
        if (*ca_file)
            log_error("CA file: %s", ca_file);
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}
