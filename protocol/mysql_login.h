/* The client's side of the connection phase, for logging in to an upstream
 * server: its greeting, our SSLRequest and HandshakeResponse41, the
 * server's AuthSwitchRequest and ERR, COM_CHANGE_USER, and the RSA step of
 * caching_sha2_password's full authentication. No I/O. */
#ifndef SP_PROTOCOL_MYSQL_LOGIN_H
#define SP_PROTOCOL_MYSQL_LOGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/buf.h"
#include "protocol/mysql_handshake.h"

struct mysql_server_greeting {
    char version[64];
    uint32_t thread_id;
    uint8_t scramble[MYSQL_SCRAMBLE_LEN];
    uint32_t caps; /* CLIENT_LONG_PASSWORD clear: a MariaDB server */
    uint8_t charset;
    uint16_t status;
    char plugin[64]; /* "" when the server names none */
};

/* 0, or -EINVAL for a malformed greeting, -EPROTO for another protocol
 * version. An ERR in its place is the caller's to read (mysql_parse_err). */
int mysql_parse_greeting(const uint8_t *p, size_t len, struct mysql_server_greeting *g);

struct mysql_err_info {
    uint16_t code;
    char sqlstate[6]; /* "HY000" when the packet has none */
    char message[512];
};
/* 0, or -EINVAL when the payload is not an ERR packet. */
int mysql_parse_err(const uint8_t *p, size_t len, struct mysql_err_info *e);

struct mysql_login {
    uint32_t caps;
    uint32_t max_packet;
    uint8_t charset;
    const char *user;
    const uint8_t *auth;
    size_t auth_len;
    const char *database; /* NULL: none */
    const char *plugin;
    const uint8_t *attrs; /* lenenc key/value pairs, when CLIENT_CONNECT_ATTRS */
    size_t attrs_len;
};

void mysql_build_ssl_request(struct buf *b, uint32_t caps, uint32_t max_packet, uint8_t charset);
void mysql_build_login(struct buf *b, const struct mysql_login *l);
/* COM_CHANGE_USER, command byte included; `caps` are the session's. */
void mysql_build_change_user(struct buf *b, const struct mysql_login *l, uint16_t charset);

/* AuthSwitchRequest (0xFE, plugin name, data): 0 or -EINVAL. The data's
 * trailing NUL, when present, is not part of it. */
int mysql_parse_auth_switch(const uint8_t *p, size_t len, const char **plugin, size_t *plugin_len,
                            const uint8_t **data, size_t *data_len);

/* The answer for `plugin` to `nonce`: 20 bytes (native), 32 (sha2), or none
 * for an empty password. -ENOTSUP for a plugin we cannot answer. */
int mysql_auth_answer(const char *plugin, const char *pw, const uint8_t nonce[MYSQL_SCRAMBLE_LEN],
                      uint8_t out[32], size_t *out_len);

/* caching_sha2_password full authentication without TLS: the password and
 * its NUL, XORed with the nonce, encrypted with the server's PEM public key
 * (RSA OAEP). 0 or -EINVAL; *out_len is the key size. */
int mysql_sha2_rsa_password(const char *pem, size_t pem_len, const char *pw,
                            const uint8_t nonce[MYSQL_SCRAMBLE_LEN], uint8_t *out, size_t cap,
                            size_t *out_len);

#endif
