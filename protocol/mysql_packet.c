#include "protocol/mysql_packet.h"

#include <string.h>

void mysql_rd_init(struct mysql_rd *r, const void *p, size_t len)
{
    r->p = p;
    r->len = len;
    r->pos = 0;
    r->err = 0;
}

size_t mysql_rd_left(const struct mysql_rd *r)
{
    return r->err ? 0 : r->len - r->pos;
}

const uint8_t *mysql_rd_bytes(struct mysql_rd *r, size_t n)
{
    if (r->err || n > r->len - r->pos) {
        r->err = 1;
        return NULL;
    }
    const uint8_t *p = r->p + r->pos;
    r->pos += n;
    return p;
}

void mysql_rd_skip(struct mysql_rd *r, size_t n)
{
    (void)mysql_rd_bytes(r, n);
}

static uint64_t rd_le(struct mysql_rd *r, size_t n)
{
    const uint8_t *p = mysql_rd_bytes(r, n);
    uint64_t v = 0;
    if (!p)
        return 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

uint8_t mysql_rd_u8(struct mysql_rd *r)
{
    return (uint8_t)rd_le(r, 1);
}
uint16_t mysql_rd_u16(struct mysql_rd *r)
{
    return (uint16_t)rd_le(r, 2);
}
uint32_t mysql_rd_u24(struct mysql_rd *r)
{
    return (uint32_t)rd_le(r, 3);
}
uint32_t mysql_rd_u32(struct mysql_rd *r)
{
    return (uint32_t)rd_le(r, 4);
}
uint32_t mysql_command_id(const uint8_t *arg, size_t len)
{
    struct mysql_rd r;
    mysql_rd_init(&r, arg, len);
    uint32_t id = mysql_rd_u32(&r);
    return r.err ? 0 : id;
}
uint64_t mysql_rd_u64(struct mysql_rd *r)
{
    return rd_le(r, 8);
}

uint64_t mysql_rd_lenenc(struct mysql_rd *r, bool *is_null)
{
    if (is_null)
        *is_null = false;
    uint8_t first = mysql_rd_u8(r);
    if (first < 0xFB)
        return first;
    switch (first) {
    case 0xFB:
        if (is_null)
            *is_null = true;
        return 0;
    case 0xFC:
        return rd_le(r, 2);
    case 0xFD:
        return rd_le(r, 3);
    case 0xFE:
        return rd_le(r, 8);
    default: /* 0xFF is the ERR marker, never a length */
        r->err = 1;
        return 0;
    }
}

const uint8_t *mysql_rd_lenenc_str(struct mysql_rd *r, size_t *len)
{
    bool is_null;
    uint64_t n = mysql_rd_lenenc(r, &is_null);
    if (r->err || is_null || n > mysql_rd_left(r)) {
        r->err = 1;
        *len = 0;
        return NULL;
    }
    *len = (size_t)n;
    return mysql_rd_bytes(r, (size_t)n);
}

const char *mysql_rd_nul_str(struct mysql_rd *r, size_t *len)
{
    if (r->err)
        return NULL;
    const uint8_t *start = r->p + r->pos;
    const uint8_t *nul = memchr(start, 0, r->len - r->pos);
    if (!nul) {
        r->err = 1;
        return NULL;
    }
    if (len)
        *len = (size_t)(nul - start);
    r->pos += (size_t)(nul - start) + 1;
    return (const char *)start;
}

size_t mysql_lenenc_size(uint64_t v)
{
    if (v < 0xFB)
        return 1;
    if (v <= 0xFFFF)
        return 3;
    if (v <= 0xFFFFFF)
        return 4;
    return 9;
}

void mysql_put_lenenc(struct buf *b, uint64_t v)
{
    if (v < 0xFB) {
        buf_put_u8(b, (uint8_t)v);
    } else if (v <= 0xFFFF) {
        buf_put_u8(b, 0xFC);
        buf_put_u16le(b, (uint16_t)v);
    } else if (v <= 0xFFFFFF) {
        buf_put_u8(b, 0xFD);
        buf_put_u24le(b, (uint32_t)v);
    } else {
        buf_put_u8(b, 0xFE);
        buf_put_u64le(b, v);
    }
}

void mysql_put_lenenc_str(struct buf *b, const void *s, size_t len)
{
    mysql_put_lenenc(b, len);
    buf_append(b, s, len);
}

void mysql_frame(struct buf *out, const void *payload, size_t len, uint8_t *seq)
{
    const uint8_t *p = payload;
    for (;;) {
        uint32_t chunk = len >= MYSQL_MAX_PACKET_CHUNK ? MYSQL_MAX_PACKET_CHUNK : (uint32_t)len;
        buf_put_u24le(out, chunk);
        buf_put_u8(out, (*seq)++);
        buf_append(out, p, chunk);
        p += chunk;
        len -= chunk;
        /* A full chunk always needs a follower, even an empty one. */
        if (chunk < MYSQL_MAX_PACKET_CHUNK)
            break;
    }
}

void mysql_asm_init(struct mysql_asm *a, size_t limit)
{
    memset(a, 0, sizeof(*a));
    buf_init(&a->payload);
    a->limit = limit;
}

void mysql_asm_free(struct mysql_asm *a)
{
    buf_free(&a->payload);
}

void mysql_asm_expect(struct mysql_asm *a, uint8_t seq)
{
    a->check_seq = 1;
    a->expected_seq = seq;
}

bool mysql_asm_partial(const struct mysql_asm *a)
{
    return a->hdr_len > 0 || a->started;
}

void mysql_asm_next(struct mysql_asm *a)
{
    /* Idle connections should hold no payload memory. */
    if (a->payload.cap > 16384)
        buf_free(&a->payload);
    else
        buf_reset(&a->payload);
    a->hdr_len = 0;
    a->in_chunk = 0;
    a->more = 0;
    a->started = 0;
    a->declared = 0;
    a->chunk_left = 0;
    a->discard = 0;
}

void mysql_asm_discard(struct mysql_asm *a)
{
    a->discard = 1;
    if (a->payload.cap > 16384)
        buf_free(&a->payload);
    else
        buf_reset(&a->payload);
}

#define ASM_RESERVE (64 * 1024)

static enum mysql_asm_status asm_header(struct mysql_asm *a)
{
    uint32_t n = (uint32_t)a->hdr[0] | (uint32_t)a->hdr[1] << 8 | (uint32_t)a->hdr[2] << 16;
    uint8_t seq = a->hdr[3];
    a->hdr_len = 0;
    if (a->check_seq && seq != a->expected_seq)
        return MYSQL_ASM_BAD_SEQUENCE;
    if (!a->started)
        a->first_seq = seq;
    a->started = 1;
    a->last_seq = seq;
    a->expected_seq = (uint8_t)(seq + 1);
    a->chunk_left = n;
    a->in_chunk = 1;
    a->more = n == MYSQL_MAX_PACKET_CHUNK;
    if (a->discard) { /* passed on as it comes: the receiver judges its size */
        a->declared += n;
        return MYSQL_ASM_NEED_MORE;
    }
    /* The limit is checked from the header, before any payload is read. */
    if (n > a->limit - a->declared)
        return MYSQL_ASM_TOO_LARGE;
    a->declared += n;
    /* Room for the start only: a big packet may be passed on, not held. */
    if (buf_reserve(&a->payload, n < ASM_RESERVE ? n : ASM_RESERVE) < 0)
        return MYSQL_ASM_NO_MEMORY;
    return MYSQL_ASM_NEED_MORE;
}

enum mysql_asm_status mysql_asm_feed(struct mysql_asm *a, const uint8_t *data, size_t len,
                                     size_t *consumed)
{
    size_t pos = 0;
    enum mysql_asm_status st = MYSQL_ASM_NEED_MORE;
    for (;;) {
        if (!a->in_chunk) {
            while (a->hdr_len < 4 && pos < len)
                a->hdr[a->hdr_len++] = data[pos++];
            if (a->hdr_len < 4)
                break;
            st = asm_header(a);
            if (st != MYSQL_ASM_NEED_MORE)
                break;
        }
        size_t take = len - pos < a->chunk_left ? len - pos : a->chunk_left;
        if (!a->discard) {
            buf_append(&a->payload, data + pos, take);
            if (a->payload.oom) {
                st = MYSQL_ASM_NO_MEMORY;
                break;
            }
        }
        pos += take;
        a->chunk_left -= (uint32_t)take;
        if (a->chunk_left > 0)
            break;
        a->in_chunk = 0;
        if (!a->more) {
            st = MYSQL_ASM_PACKET;
            break;
        }
    }
    *consumed = pos;
    return st;
}

void mysql_build_ok(struct buf *b, const struct mysql_ok *ok, uint8_t header)
{
    buf_put_u8(b, header);
    mysql_put_lenenc(b, ok->affected_rows);
    mysql_put_lenenc(b, ok->last_insert_id);
    buf_put_u16le(b, ok->status);
    buf_put_u16le(b, ok->warnings);
    if (ok->info && *ok->info && ok->info_lenenc)
        mysql_put_lenenc_str(b, ok->info, strlen(ok->info));
    else if (ok->info && *ok->info)
        buf_append_str(b, ok->info);
}

void mysql_build_err(struct buf *b, uint16_t code, const char *sqlstate, const char *msg,
                     uint32_t caps)
{
    buf_put_u8(b, 0xFF);
    buf_put_u16le(b, code);
    if (caps & CLIENT_PROTOCOL_41) {
        buf_put_u8(b, '#');
        char st[5] = {'H', 'Y', '0', '0', '0'};
        if (sqlstate && strlen(sqlstate) == 5)
            memcpy(st, sqlstate, 5);
        buf_append(b, st, 5);
    }
    buf_append_str(b, msg);
}

void mysql_build_eof(struct buf *b, uint16_t warnings, uint16_t status)
{
    buf_put_u8(b, 0xFE);
    buf_put_u16le(b, warnings);
    buf_put_u16le(b, status);
}

void mysql_build_terminator(struct buf *b, uint32_t caps, uint16_t warnings, uint16_t status)
{
    if (caps & CLIENT_DEPRECATE_EOF) {
        struct mysql_ok ok = {.status = status, .warnings = warnings};
        mysql_build_ok(b, &ok, 0xFE);
    } else {
        mysql_build_eof(b, warnings, status);
    }
}
