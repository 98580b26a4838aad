/* Two TLS filters wired back to back in memory: no sockets, no loop. */
#include <openssl/ssl.h>
#include <stdlib.h>
#include <unistd.h>

#include "protocol/tls_filter.h"
#include "server/tls_cert.h"
#include "test.h"

/* Moves ciphertext both ways until nothing moves; returns plaintext read by
 * `to` into `out`. */
static size_t pump(struct tls_filter *a, struct tls_filter *b, unsigned char *out_a, size_t cap_a,
                   size_t *got_a, unsigned char *out_b, size_t cap_b, size_t *got_b)
{
    unsigned char tmp[65536];
    size_t moved_total = 0;
    for (int round = 0; round < 1000; round++) {
        size_t moved = 0;
        size_t n;
        while ((n = tls_filter_take_output(a, tmp, sizeof(tmp))) > 0) {
            tls_filter_feed(b, tmp, n);
            moved += n;
        }
        while ((n = tls_filter_take_output(b, tmp, sizeof(tmp))) > 0) {
            tls_filter_feed(a, tmp, n);
            moved += n;
        }
        int r;
        while ((r = tls_filter_read(a, out_a + *got_a, cap_a - *got_a)) > 0)
            *got_a += (size_t)r;
        while ((r = tls_filter_read(b, out_b + *got_b, cap_b - *got_b)) > 0)
            *got_b += (size_t)r;
        moved_total += moved;
        if (moved == 0 && tls_filter_pending_output(a) == 0 && tls_filter_pending_output(b) == 0)
            break;
    }
    return moved_total;
}

int main(void)
{
    char dir[] = "/tmp/sp-tls-test-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    SSL_CTX *server_ctx = tls_cert_server_ctx("", "", dir);
    CHECK(server_ctx != NULL);
    char ca[512];
    snprintf(ca, sizeof(ca), "%s/tls/server.crt", dir);
    SSL_CTX *client_ctx = SSL_CTX_new(TLS_client_method());
    CHECK(SSL_CTX_load_verify_locations(client_ctx, ca, NULL) == 1);
    SSL_CTX_set_verify(client_ctx, SSL_VERIFY_PEER, NULL);

    struct tls_filter *srv = tls_filter_new(server_ctx, true);
    struct tls_filter *cli = tls_filter_new(client_ctx, false);
    SSL_set1_host(tls_filter_ssl(cli), "localhost");
    CHECK(tls_filter_handshake(cli) == TLS_FILTER_WANT_MORE);
    static unsigned char a[2 << 20], b[2 << 20];
    size_t got_a = 0, got_b = 0;
    pump(cli, srv, a, sizeof(a), &got_a, b, sizeof(b), &got_b);
    CHECK(tls_filter_established(cli));
    CHECK(tls_filter_established(srv));
    CHECK(SSL_get_verify_result(tls_filter_ssl(cli)) == X509_V_OK);

    /* 1 MiB each way, both directions at once */
    static unsigned char data[1 << 20];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char)(i * 31 + 7);
    CHECK_EQ(tls_filter_write(cli, data, sizeof(data)), 0);
    CHECK_EQ(tls_filter_write(srv, data, sizeof(data)), 0);
    pump(cli, srv, a, sizeof(a), &got_a, b, sizeof(b), &got_b);
    CHECK_EQ(got_a, sizeof(data));
    CHECK_EQ(got_b, sizeof(data));
    CHECK_MEM(a, data, sizeof(data));
    CHECK_MEM(b, data, sizeof(data));

    /* close_notify reaches the other side as CLOSED */
    tls_filter_shutdown(cli);
    unsigned char tmp[4096];
    size_t n = tls_filter_take_output(cli, tmp, sizeof(tmp));
    CHECK(n > 0);
    tls_filter_feed(srv, tmp, n);
    CHECK_EQ(tls_filter_read(srv, tmp, sizeof(tmp)), TLS_FILTER_CLOSED);
    tls_filter_free(cli);
    tls_filter_free(srv);

    /* garbage instead of a ClientHello is an error with a reason, not a crash */
    srv = tls_filter_new(server_ctx, true);
    tls_filter_feed(srv, "\x16\x03\x01\x00\x05hello garbage garbage", 27);
    CHECK_EQ(tls_filter_read(srv, tmp, sizeof(tmp)), TLS_FILTER_ERROR);
    CHECK(strlen(tls_filter_error(srv)) > 0);
    tls_filter_free(srv);

    /* a client that trusts another CA refuses the server */
    SSL_CTX *strict = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(strict, SSL_VERIFY_PEER, NULL);
    srv = tls_filter_new(server_ctx, true);
    cli = tls_filter_new(strict, false);
    tls_filter_handshake(cli);
    got_a = got_b = 0;
    pump(cli, srv, a, sizeof(a), &got_a, b, sizeof(b), &got_b);
    CHECK(!tls_filter_established(cli));
    tls_filter_free(cli);
    tls_filter_free(srv);

    SSL_CTX_free(strict);
    SSL_CTX_free(client_ctx);
    SSL_CTX_free(server_ctx);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    return test_finish("tls_filter");
}
