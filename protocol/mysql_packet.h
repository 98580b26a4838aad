/* MySQL client/server protocol: constants, packet framing and the basic
 * types (length-encoded integers and strings), and the OK/ERR/EOF packets.
 * No I/O: the caller feeds bytes in and takes bytes out. */
#ifndef SP_PROTOCOL_MYSQL_PACKET_H
#define SP_PROTOCOL_MYSQL_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/buf.h"

#define MYSQL_MAX_PACKET_CHUNK 0xFFFFFFu
#define MYSQL_HEADER_SIZE      4

/* Capability flags. */
#define CLIENT_LONG_PASSWORD                  0x00000001u
#define CLIENT_FOUND_ROWS                     0x00000002u
#define CLIENT_LONG_FLAG                      0x00000004u
#define CLIENT_CONNECT_WITH_DB                0x00000008u
#define CLIENT_NO_SCHEMA                      0x00000010u
#define CLIENT_COMPRESS                       0x00000020u
#define CLIENT_ODBC                           0x00000040u
#define CLIENT_LOCAL_FILES                    0x00000080u
#define CLIENT_IGNORE_SPACE                   0x00000100u
#define CLIENT_PROTOCOL_41                    0x00000200u
#define CLIENT_INTERACTIVE                    0x00000400u
#define CLIENT_SSL                            0x00000800u
#define CLIENT_IGNORE_SIGPIPE                 0x00001000u
#define CLIENT_TRANSACTIONS                   0x00002000u
#define CLIENT_RESERVED                       0x00004000u
#define CLIENT_SECURE_CONNECTION              0x00008000u
#define CLIENT_MULTI_STATEMENTS               0x00010000u
#define CLIENT_MULTI_RESULTS                  0x00020000u
#define CLIENT_PS_MULTI_RESULTS               0x00040000u
#define CLIENT_PLUGIN_AUTH                    0x00080000u
#define CLIENT_CONNECT_ATTRS                  0x00100000u
#define CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA 0x00200000u
#define CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS   0x00400000u
#define CLIENT_SESSION_TRACK                  0x00800000u
#define CLIENT_DEPRECATE_EOF                  0x01000000u
#define CLIENT_OPTIONAL_RESULTSET_METADATA    0x02000000u
#define CLIENT_ZSTD_COMPRESSION_ALGORITHM     0x04000000u
#define CLIENT_QUERY_ATTRIBUTES               0x08000000u

/* Server status flags. */
#define SERVER_STATUS_IN_TRANS     0x0001
#define SERVER_STATUS_AUTOCOMMIT   0x0002
#define SERVER_MORE_RESULTS_EXISTS 0x0008
#define SERVER_STATUS_DB_DROPPED   0x0100

/* Commands. */
enum mysql_command {
    COM_SLEEP = 0x00,
    COM_QUIT = 0x01,
    COM_INIT_DB = 0x02,
    COM_QUERY = 0x03,
    COM_FIELD_LIST = 0x04,
    COM_REFRESH = 0x07,
    COM_STATISTICS = 0x09,
    COM_PROCESS_INFO = 0x0A,
    COM_PROCESS_KILL = 0x0C,
    COM_DEBUG = 0x0D,
    COM_PING = 0x0E,
    COM_CHANGE_USER = 0x11,
    COM_STMT_PREPARE = 0x16,
    COM_STMT_EXECUTE = 0x17,
    COM_STMT_SEND_LONG_DATA = 0x18,
    COM_STMT_CLOSE = 0x19,
    COM_STMT_RESET = 0x1A,
    COM_SET_OPTION = 0x1B,
    COM_STMT_FETCH = 0x1C,
    COM_RESET_CONNECTION = 0x1F,
};

/* Column types. */
enum mysql_type {
    MYSQL_TYPE_DECIMAL = 0x00,
    MYSQL_TYPE_TINY = 0x01,
    MYSQL_TYPE_SHORT = 0x02,
    MYSQL_TYPE_LONG = 0x03,
    MYSQL_TYPE_FLOAT = 0x04,
    MYSQL_TYPE_DOUBLE = 0x05,
    MYSQL_TYPE_NULL = 0x06,
    MYSQL_TYPE_TIMESTAMP = 0x07,
    MYSQL_TYPE_LONGLONG = 0x08,
    MYSQL_TYPE_INT24 = 0x09,
    MYSQL_TYPE_DATE = 0x0A,
    MYSQL_TYPE_TIME = 0x0B,
    MYSQL_TYPE_DATETIME = 0x0C,
    MYSQL_TYPE_YEAR = 0x0D,
    MYSQL_TYPE_VARCHAR = 0x0F,
    MYSQL_TYPE_BIT = 0x10,
    MYSQL_TYPE_JSON = 0xF5,
    MYSQL_TYPE_NEWDECIMAL = 0xF6,
    MYSQL_TYPE_ENUM = 0xF7,
    MYSQL_TYPE_SET = 0xF8,
    MYSQL_TYPE_TINY_BLOB = 0xF9,
    MYSQL_TYPE_MEDIUM_BLOB = 0xFA,
    MYSQL_TYPE_LONG_BLOB = 0xFB,
    MYSQL_TYPE_BLOB = 0xFC,
    MYSQL_TYPE_VAR_STRING = 0xFD,
    MYSQL_TYPE_STRING = 0xFE,
    MYSQL_TYPE_GEOMETRY = 0xFF,
};

/* Column flags. */
#define MYSQL_FLAG_NOT_NULL 0x0001
#define MYSQL_FLAG_BLOB     0x0010
#define MYSQL_FLAG_UNSIGNED 0x0020
#define MYSQL_FLAG_BINARY   0x0080
#define MYSQL_FLAG_NUM      0x8000

#define MYSQL_CHARSET_BINARY 63

/* A read cursor over one payload. Errors are sticky: after a short read every
 * later read returns zeros and `err` stays set, so a parser checks once. */
struct mysql_rd {
    const uint8_t *p;
    size_t len;
    size_t pos;
    int err;
};

void mysql_rd_init(struct mysql_rd *r, const void *p, size_t len);
size_t mysql_rd_left(const struct mysql_rd *r);
uint8_t mysql_rd_u8(struct mysql_rd *r);
uint16_t mysql_rd_u16(struct mysql_rd *r);
uint32_t mysql_rd_u24(struct mysql_rd *r);
uint32_t mysql_rd_u32(struct mysql_rd *r);
uint64_t mysql_rd_u64(struct mysql_rd *r);
/* Returns a pointer to n bytes inside the payload, or NULL. */
const uint8_t *mysql_rd_bytes(struct mysql_rd *r, size_t n);
/* Length-encoded integer; *is_null set for 0xFB. */
uint64_t mysql_rd_lenenc(struct mysql_rd *r, bool *is_null);
const uint8_t *mysql_rd_lenenc_str(struct mysql_rd *r, size_t *len);
/* NUL-terminated string; missing NUL is an error. */
const char *mysql_rd_nul_str(struct mysql_rd *r, size_t *len);
void mysql_rd_skip(struct mysql_rd *r, size_t n);

void mysql_put_lenenc(struct buf *b, uint64_t v);
void mysql_put_lenenc_str(struct buf *b, const void *s, size_t len);
size_t mysql_lenenc_size(uint64_t v);

/* MariaDB's statement id for "the one prepared last", which lets a driver
 * send PREPARE and EXECUTE together without waiting for the id. */
#define MYSQL_STMT_ID_LAST 0xFFFFFFFFu

/* The 4-byte little-endian id that COM_STMT_* and COM_PROCESS_KILL carry
 * first after the command byte (`arg` is what follows it); 0 when short. */
uint32_t mysql_command_id(const uint8_t *arg, size_t len);

/* Framing. Appends `len` payload bytes as one logical packet, split into
 * 0xFFFFFF chunks (plus an empty trailing chunk when the length is an exact
 * multiple); *seq is advanced once per physical packet. */
void mysql_frame(struct buf *out, const void *payload, size_t len, uint8_t *seq);

/* Reassembles logical packets from a byte stream (joining 0xFFFFFF chunks).
 * The caller owns `payload`; it holds one complete logical packet after
 * MYSQL_ASM_PACKET and must be reset (mysql_asm_next) before the next one. */
enum mysql_asm_status {
    MYSQL_ASM_NEED_MORE = 0,
    MYSQL_ASM_PACKET = 1,
    MYSQL_ASM_TOO_LARGE = -1,
    MYSQL_ASM_BAD_SEQUENCE = -2,
    MYSQL_ASM_NO_MEMORY = -3,
};

struct mysql_asm {
    struct buf payload;
    size_t limit;        /* largest logical payload accepted */
    uint32_t chunk_left; /* bytes still to come in the current chunk */
    uint8_t hdr[4];
    uint8_t hdr_len;
    uint8_t in_chunk;  /* a header was read and its body is being read */
    uint8_t more;      /* the last chunk was 0xFFFFFF long: another follows */
    uint8_t started;   /* at least one header of this packet was seen */
    uint8_t check_seq; /* enforce expected_seq */
    uint8_t expected_seq;
    uint8_t first_seq; /* sequence id of the packet's first chunk */
    uint8_t last_seq;  /* sequence id of its last chunk */
    size_t declared;   /* payload bytes announced so far by headers (discarded ones too) */
    uint8_t discard;   /* the rest of this packet is passed on, not kept */
};

void mysql_asm_init(struct mysql_asm *a, size_t limit);
void mysql_asm_free(struct mysql_asm *a);
/* Expect the next packet to start with `seq` (0 for a new command). */
void mysql_asm_expect(struct mysql_asm *a, uint8_t seq);
/* Consumes bytes until one logical packet is complete or input runs out.
 * *consumed tells how much of `data` was used. */
enum mysql_asm_status mysql_asm_feed(struct mysql_asm *a, const uint8_t *data, size_t len,
                                     size_t *consumed);
/* Drops the completed packet; keeps the buffer only if it is small. */
void mysql_asm_next(struct mysql_asm *a);
/* The rest of the current packet is not kept (nor limited): the caller
 * passes on each consumed byte, headers included, as it comes. */
void mysql_asm_discard(struct mysql_asm *a);
/* True while part of a packet has been received. */
bool mysql_asm_partial(const struct mysql_asm *a);

/* OK/ERR/EOF payloads. */
struct mysql_ok {
    uint64_t affected_rows;
    uint64_t last_insert_id;
    uint16_t status;
    uint16_t warnings;
    const char *info;
    bool info_lenenc; /* CLIENT_SESSION_TRACK: the info is a length-encoded string */
};
void mysql_build_ok(struct buf *b, const struct mysql_ok *ok, uint8_t header);
/* `caps` decides whether the SQLSTATE marker is written (PROTOCOL_41). */
void mysql_build_err(struct buf *b, uint16_t code, const char *sqlstate, const char *msg,
                     uint32_t caps);
void mysql_build_eof(struct buf *b, uint16_t warnings, uint16_t status);
/* Terminator of a result set: EOF, or the 0xFE-headed OK with DEPRECATE_EOF. */
void mysql_build_terminator(struct buf *b, uint32_t caps, uint16_t warnings, uint16_t status);

#endif
