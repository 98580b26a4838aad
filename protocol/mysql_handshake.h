/* Connection phase packets: the server greeting (HandshakeV10), the client's
 * SSLRequest and HandshakeResponse41, AuthSwitchRequest and COM_CHANGE_USER. */
#ifndef SP_PROTOCOL_MYSQL_HANDSHAKE_H
#define SP_PROTOCOL_MYSQL_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/buf.h"

#define MYSQL_SCRAMBLE_LEN  20
#define MYSQL_PLUGIN_NATIVE "mysql_native_password"
#define MYSQL_PLUGIN_SHA2   "caching_sha2_password"

struct mysql_greeting {
    const char *server_version;
    uint32_t connection_id;
    uint8_t scramble[MYSQL_SCRAMBLE_LEN];
    uint32_t capabilities;
    uint8_t charset;
    uint16_t status;
    const char *auth_plugin;
};

void mysql_build_greeting(struct buf *b, const struct mysql_greeting *g);

/* Fills `scramble` from `random` (any bytes) the way MySQL does: 7-bit, never
 * NUL or '$', because some drivers read the scramble as a C string. */
void mysql_scramble_sanitize(uint8_t scramble[MYSQL_SCRAMBLE_LEN]);

/* Pointers in the parsed structs point into the payload they were parsed from. */
struct mysql_handshake_response {
    uint32_t client_flags;
    uint32_t max_packet;
    uint8_t charset;
    bool is_ssl_request; /* the 32-byte SSLRequest: TLS starts next */
    const char *user;
    size_t user_len;
    const uint8_t *auth;
    size_t auth_len;
    const char *database; /* NULL when absent or empty */
    size_t database_len;
    const char *plugin; /* NULL when absent */
    size_t plugin_len;
    const uint8_t *attrs; /* raw key/value pairs, lenenc each */
    size_t attrs_len;
};

/* Returns 0, or -EINVAL for a malformed packet. Pre-4.1 clients are refused
 * with -EPROTO: every client we serve speaks PROTOCOL_41. */
int mysql_parse_handshake_response(const uint8_t *p, size_t len,
                                   struct mysql_handshake_response *out);

/* Looks up one connection attribute (e.g. "program_name"); 0 when found. */
int mysql_attr_get(const uint8_t *attrs, size_t attrs_len, const char *key, const uint8_t **val,
                   size_t *val_len);

void mysql_build_auth_switch(struct buf *b, const char *plugin,
                             const uint8_t scramble[MYSQL_SCRAMBLE_LEN]);

/* COM_CHANGE_USER (including the command byte). `caps` are the negotiated
 * capabilities: they decide how the auth data is encoded. */
struct mysql_change_user {
    const char *user;
    size_t user_len;
    const uint8_t *auth;
    size_t auth_len;
    const char *database;
    size_t database_len;
    uint16_t charset;
    const char *plugin;
    size_t plugin_len;
};
int mysql_parse_change_user(const uint8_t *p, size_t len, uint32_t caps,
                            struct mysql_change_user *out);

#endif
