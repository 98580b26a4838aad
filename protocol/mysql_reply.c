#include "protocol/mysql_reply.h"

#include <string.h>

#include "protocol/mysql_packet.h"

#define SERVER_STATUS_CURSOR_EXISTS 0x0040

bool mysql_reply_has_answer(uint8_t command)
{
    return command != COM_QUIT && command != COM_STMT_CLOSE && command != COM_STMT_SEND_LONG_DATA;
}

void mysql_reply_begin(struct mysql_reply *r, uint8_t command, uint32_t caps)
{
    memset(r, 0, sizeof(*r));
    r->caps = caps;
    r->command = command;
    switch (command) {
    case COM_QUERY:
    case COM_STMT_EXECUTE:
    case COM_PROCESS_INFO:
        r->phase = REPLY_FIRST;
        break;
    case COM_STMT_FETCH:
        r->phase = REPLY_ROWS;
        break;
    case COM_STMT_PREPARE:
        r->phase = REPLY_PREPARE_OK;
        break;
    case COM_FIELD_LIST:
        r->phase = REPLY_FIELD_LIST;
        break;
    case COM_STATISTICS:
        r->phase = REPLY_STATISTICS;
        break;
    default:
        r->phase = mysql_reply_has_answer(command) ? REPLY_SINGLE : REPLY_DONE;
        break;
    }
}

/* OK: header, affected rows, insert id, status, warnings. EOF: header,
 * warnings, status. Which one a 0xFE packet is depends on DEPRECATE_EOF. */
static int parse_status(const uint8_t *p, size_t len, bool eof_format, uint16_t *status,
                        uint16_t *warnings, size_t *offset)
{
    struct mysql_rd rd;
    mysql_rd_init(&rd, p, len);
    mysql_rd_u8(&rd);
    if (eof_format) {
        *warnings = mysql_rd_u16(&rd);
        *offset = rd.pos;
        *status = mysql_rd_u16(&rd);
    } else {
        mysql_rd_lenenc(&rd, NULL);
        mysql_rd_lenenc(&rd, NULL);
        *offset = rd.pos;
        *status = mysql_rd_u16(&rd);
        *warnings = mysql_rd_u16(&rd);
    }
    return rd.err ? -1 : 0;
}

static bool deprecate_eof(const struct mysql_reply *r)
{
    return (r->caps & CLIENT_DEPRECATE_EOF) != 0;
}

/* The packet that ends a list of rows or definitions. */
static bool is_terminator(const struct mysql_reply *r, const uint8_t *p, uint32_t len)
{
    return len > 0 && p[0] == 0xFE && (deprecate_eof(r) ? len < MYSQL_MAX_PACKET_CHUNK : len < 9);
}

/* Records an OK/EOF's flags; false when the packet is not one. */
static bool take_status(struct mysql_reply *r, const uint8_t *p, size_t plen, bool eof_format)
{
    size_t off;
    if (parse_status(p, plen, eof_format, &r->status, &r->warnings, &off) < 0)
        return false;
    r->status_offset = off;
    return true;
}

static enum mysql_reply_event end_with_error(struct mysql_reply *r, const uint8_t *p, size_t plen)
{
    r->error = true;
    r->error_code = plen >= 3 ? (uint16_t)(p[1] | p[2] << 8) : 0;
    r->phase = REPLY_DONE;
    return MYSQL_REPLY_END;
}

/* After an OK or a terminator: another result, or the end. */
static enum mysql_reply_event after_result(struct mysql_reply *r)
{
    if (r->status & SERVER_MORE_RESULTS_EXISTS) {
        r->phase = REPLY_FIRST;
        return MYSQL_REPLY_MORE;
    }
    r->phase = REPLY_DONE;
    return MYSQL_REPLY_END;
}

static enum mysql_reply_event first_packet(struct mysql_reply *r, const uint8_t *p, size_t plen)
{
    if (p[0] == 0xFF)
        return end_with_error(r, p, plen);
    if (p[0] == 0x00) {
        if (!take_status(r, p, plen, false))
            return MYSQL_REPLY_INVALID;
        return after_result(r);
    }
    if (p[0] == 0xFB && r->command == COM_QUERY) {
        r->phase = REPLY_INFILE;
        return MYSQL_REPLY_INFILE;
    }
    struct mysql_rd rd;
    bool is_null = false;
    mysql_rd_init(&rd, p, plen);
    uint64_t n = mysql_rd_lenenc(&rd, &is_null);
    if (rd.err || is_null || n == 0)
        return MYSQL_REPLY_INVALID;
    r->left = n;
    r->phase = REPLY_COLUMNS;
    return MYSQL_REPLY_MORE;
}

static enum mysql_reply_event rows_packet(struct mysql_reply *r, const uint8_t *p, size_t plen,
                                          uint32_t len)
{
    if (p[0] == 0xFF && len < MYSQL_MAX_PACKET_CHUNK)
        return end_with_error(r, p, plen);
    if (!is_terminator(r, p, len))
        return MYSQL_REPLY_MORE;
    if (!take_status(r, p, plen, !deprecate_eof(r)))
        return MYSQL_REPLY_INVALID;
    if (r->command == COM_STMT_FETCH) {
        r->phase = REPLY_DONE;
        return MYSQL_REPLY_END;
    }
    return after_result(r);
}

/* The EOF after definitions (classic protocol only). */
static enum mysql_reply_event definitions_eof(struct mysql_reply *r, const uint8_t *p, size_t plen,
                                              uint32_t len)
{
    if (!is_terminator(r, p, len) || !take_status(r, p, plen, true))
        return MYSQL_REPLY_INVALID;
    return MYSQL_REPLY_MORE;
}

/* The last column definition was read: the EOF, the rows, or the end. */
static enum mysql_reply_event columns_done(struct mysql_reply *r)
{
    if (r->command == COM_STMT_PREPARE) {
        if (!deprecate_eof(r)) {
            r->phase = REPLY_COLUMNS_EOF;
            return MYSQL_REPLY_MORE;
        }
        r->phase = REPLY_DONE;
        return MYSQL_REPLY_END;
    }
    r->phase = deprecate_eof(r) ? REPLY_ROWS : REPLY_COLUMNS_EOF;
    return MYSQL_REPLY_MORE;
}

static enum mysql_reply_event prepare_columns(struct mysql_reply *r)
{
    r->left = r->columns;
    if (r->left > 0) {
        r->phase = REPLY_COLUMNS;
        return MYSQL_REPLY_MORE;
    }
    r->phase = REPLY_DONE;
    return MYSQL_REPLY_END;
}

static enum mysql_reply_event prepare_ok(struct mysql_reply *r, const uint8_t *p, size_t plen)
{
    if (p[0] == 0xFF)
        return end_with_error(r, p, plen);
    if (p[0] != 0x00 || plen < 12)
        return MYSQL_REPLY_INVALID;
    r->columns = (uint64_t)(p[5] | p[6] << 8);
    r->left = (uint64_t)(p[7] | p[8] << 8);
    r->warnings = (uint16_t)(p[10] | p[11] << 8);
    if (r->left > 0) {
        r->phase = REPLY_PARAMS;
        return MYSQL_REPLY_MORE;
    }
    return prepare_columns(r);
}

static enum mysql_reply_event judge(struct mysql_reply *r, const uint8_t *p, size_t plen,
                                    uint32_t len)
{
    r->status_offset = 0;
    switch (r->phase) {
    case REPLY_FIRST:
        return len == 0 ? MYSQL_REPLY_INVALID : first_packet(r, p, plen);
    case REPLY_COLUMNS:
        if (len > 0 && p[0] == 0xFF && r->command == COM_STMT_PREPARE)
            return MYSQL_REPLY_INVALID;
        return --r->left == 0 ? columns_done(r) : MYSQL_REPLY_MORE;
    case REPLY_COLUMNS_EOF: {
        enum mysql_reply_event ev = definitions_eof(r, p, plen, len);
        if (ev != MYSQL_REPLY_MORE)
            return ev;
        if (r->command == COM_STMT_PREPARE ||
            (r->command == COM_STMT_EXECUTE && (r->status & SERVER_STATUS_CURSOR_EXISTS))) {
            r->phase = REPLY_DONE; /* a cursor: rows come with COM_STMT_FETCH */
            return MYSQL_REPLY_END;
        }
        r->phase = REPLY_ROWS;
        return MYSQL_REPLY_MORE;
    }
    case REPLY_ROWS:
        return len == 0 ? MYSQL_REPLY_MORE : rows_packet(r, p, plen, len);
    case REPLY_PREPARE_OK:
        return len == 0 ? MYSQL_REPLY_INVALID : prepare_ok(r, p, plen);
    case REPLY_PARAMS:
        if (--r->left > 0)
            return MYSQL_REPLY_MORE;
        if (!deprecate_eof(r)) {
            r->phase = REPLY_PARAMS_EOF;
            return MYSQL_REPLY_MORE;
        }
        return prepare_columns(r);
    case REPLY_PARAMS_EOF: {
        enum mysql_reply_event ev = definitions_eof(r, p, plen, len);
        return ev == MYSQL_REPLY_MORE ? prepare_columns(r) : ev;
    }
    case REPLY_FIELD_LIST:
        if (len > 0 && p[0] == 0xFF)
            return end_with_error(r, p, plen);
        if (len > 0 && is_terminator(r, p, len)) {
            take_status(r, p, plen, !deprecate_eof(r));
            r->phase = REPLY_DONE;
            return MYSQL_REPLY_END;
        }
        return MYSQL_REPLY_MORE;
    case REPLY_SINGLE:
        if (len > 0 && p[0] == 0xFF)
            return end_with_error(r, p, plen);
        if (len > 0 && (p[0] == 0x00 || p[0] == 0xFE))
            take_status(r, p, plen, p[0] == 0xFE && !deprecate_eof(r));
        r->phase = REPLY_DONE;
        return MYSQL_REPLY_END;
    case REPLY_STATISTICS:
        if (len > 0 && p[0] == 0xFF)
            return end_with_error(r, p, plen);
        r->phase = REPLY_DONE;
        return MYSQL_REPLY_END;
    case REPLY_INFILE:
    case REPLY_DONE:
        break;
    }
    return MYSQL_REPLY_INVALID;
}

enum mysql_reply_event mysql_reply_packet(struct mysql_reply *r, const uint8_t *prefix,
                                          size_t prefix_len, uint32_t len)
{
    if (prefix_len > len)
        prefix_len = len;
    if (r->continuation) { /* the rest of a long packet, judged at its start */
        r->continuation = len == MYSQL_MAX_PACKET_CHUNK;
        if (!r->continuation && r->phase == REPLY_DONE)
            return MYSQL_REPLY_END;
        return MYSQL_REPLY_MORE;
    }
    if (prefix_len < len && prefix_len < MYSQL_REPLY_PREFIX)
        return MYSQL_REPLY_INVALID;
    enum mysql_reply_event ev = judge(r, prefix, prefix_len, len);
    if (len == MYSQL_MAX_PACKET_CHUNK && ev >= 0) {
        r->continuation = true;
        if (ev == MYSQL_REPLY_END)
            return MYSQL_REPLY_MORE; /* it ends with its last chunk */
    }
    return ev;
}

void mysql_reply_infile_sent(struct mysql_reply *r)
{
    if (r->phase == REPLY_INFILE)
        r->phase = REPLY_FIRST;
}
