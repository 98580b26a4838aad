/* Follows a server's answer to one command, packet by packet, so that a
 * relay can stream it without holding it: where the answer ends, which
 * status flags it leaves, where those flags sit in the packet (to rewrite
 * SERVER_MORE_RESULTS_EXISTS), and when the server asks the client for a
 * LOCAL INFILE. Each packet is judged from its length and its first bytes
 * only; the continuation chunks of a packet longer than 0xFFFFFF bytes are
 * never judged. No I/O. */
#ifndef SP_PROTOCOL_MYSQL_REPLY_H
#define SP_PROTOCOL_MYSQL_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Enough of a packet to judge it: an OK's header, two lenenc integers and
 * its status and warnings, or a COM_STMT_PREPARE answer. */
#define MYSQL_REPLY_PREFIX 32

enum mysql_reply_phase {
    REPLY_FIRST,       /* a result's first packet: OK, ERR, LOCAL INFILE or column count */
    REPLY_COLUMNS,     /* column definitions */
    REPLY_COLUMNS_EOF, /* the EOF after them (without CLIENT_DEPRECATE_EOF) */
    REPLY_ROWS,        /* rows up to the terminator */
    REPLY_PREPARE_OK,  /* COM_STMT_PREPARE's first packet */
    REPLY_PARAMS,      /* its parameter definitions */
    REPLY_PARAMS_EOF,  /* and the EOF after them */
    REPLY_FIELD_LIST,  /* COM_FIELD_LIST: definitions up to a terminator */
    REPLY_SINGLE,      /* one OK, ERR or EOF (PING, INIT_DB, ...) */
    REPLY_STATISTICS,  /* one string */
    REPLY_INFILE,      /* the client is sending a file: not the server's turn */
    REPLY_DONE,
};

enum mysql_reply_event {
    MYSQL_REPLY_MORE = 0,     /* part of the answer; more follows */
    MYSQL_REPLY_END = 1,      /* the last packet of the answer */
    MYSQL_REPLY_INFILE = 2,   /* a LOCAL INFILE request: the client's file comes next */
    MYSQL_REPLY_INVALID = -1, /* not a packet this answer can hold */
};

struct mysql_reply {
    uint32_t caps; /* negotiated with the client */
    uint8_t command;
    enum mysql_reply_phase phase;
    uint64_t left;        /* definitions left in COLUMNS / PARAMS */
    uint64_t columns;     /* COM_STMT_PREPARE: columns after the parameters */
    bool continuation;    /* the last packet was 0xFFFFFF long: this one goes on */
    bool error;           /* the answer ended in ERR */
    uint16_t status;      /* status flags of the last OK or EOF */
    uint16_t warnings;    /* of the last OK or EOF */
    size_t status_offset; /* where `status` sits in the last packet; 0 when not there */
    uint16_t error_code;  /* of the ERR */
};

/* Starts following the answer to `command` (the first payload byte of the
 * client's packet). Commands without an answer (QUIT, STMT_CLOSE,
 * STMT_SEND_LONG_DATA) start DONE. */
void mysql_reply_begin(struct mysql_reply *r, uint8_t command, uint32_t caps);
/* One packet of `len` payload bytes, of which `prefix_len` (at least
 * min(len, MYSQL_REPLY_PREFIX)) are given. */
enum mysql_reply_event mysql_reply_packet(struct mysql_reply *r, const uint8_t *prefix,
                                          size_t prefix_len, uint32_t len);
/* The client has sent its file (the empty packet): the server answers next. */
void mysql_reply_infile_sent(struct mysql_reply *r);
bool mysql_reply_has_answer(uint8_t command);

#endif
