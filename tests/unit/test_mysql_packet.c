#include "protocol/mysql_packet.h"
#include "test.h"

static void test_lenenc(void)
{
    const uint64_t values[] = {0,       1,        250,       251,        0xFFFF,
                               0x10000, 0xFFFFFF, 0x1000000, UINT64_MAX, 1ull << 40};
    const size_t sizes[] = {1, 1, 1, 3, 3, 4, 4, 9, 9, 9};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        struct buf b;
        buf_init(&b);
        mysql_put_lenenc(&b, values[i]);
        CHECK_EQ(b.len, sizes[i]);
        CHECK_EQ(mysql_lenenc_size(values[i]), sizes[i]);
        struct mysql_rd r;
        mysql_rd_init(&r, b.data, b.len);
        bool is_null = true;
        CHECK(mysql_rd_lenenc(&r, &is_null) == values[i]);
        CHECK(!is_null);
        CHECK_EQ(r.err, 0);
        CHECK_EQ(mysql_rd_left(&r), 0);
        buf_free(&b);
    }
    /* 0xFB is NULL, 0xFF never a length, truncated forms are errors */
    struct mysql_rd r;
    bool is_null;
    mysql_rd_init(&r, "\xfb", 1);
    mysql_rd_lenenc(&r, &is_null);
    CHECK(is_null && !r.err);
    mysql_rd_init(&r, "\xff", 1);
    mysql_rd_lenenc(&r, NULL);
    CHECK(r.err);
    mysql_rd_init(&r, "\xfc\x01", 2);
    mysql_rd_lenenc(&r, NULL);
    CHECK(r.err);
    size_t n;
    mysql_rd_init(&r,
                  "\x05"
                  "abc",
                  4);
    CHECK(mysql_rd_lenenc_str(&r, &n) == NULL && r.err);
    mysql_rd_init(&r, "abc", 3);
    CHECK(mysql_rd_nul_str(&r, &n) == NULL && r.err);
}

static void frame_and_join(size_t len, size_t step)
{
    struct buf payload, wire;
    buf_init(&payload);
    buf_init(&wire);
    buf_reserve(&payload, len);
    for (size_t i = 0; i < len; i++)
        payload.data[i] = (uint8_t)(i * 7);
    payload.len = len;
    uint8_t seq = 0;
    mysql_frame(&wire, payload.data, len, &seq);
    size_t chunks = len / MYSQL_MAX_PACKET_CHUNK + 1;
    CHECK_EQ(seq, chunks);
    CHECK_EQ(wire.len, len + 4 * chunks);
    /* the last chunk may be empty: exactly 0xFFFFFF bytes need a follower */
    uint32_t last = (uint32_t)(len % MYSQL_MAX_PACKET_CHUNK);
    const uint8_t *lh = wire.data + wire.len - last - 4;
    CHECK_EQ(lh[0] | lh[1] << 8 | lh[2] << 16, last);
    struct mysql_asm a;
    mysql_asm_init(&a, 64 * 1024 * 1024);
    mysql_asm_expect(&a, 0);
    size_t pos = 0;
    enum mysql_asm_status st = MYSQL_ASM_NEED_MORE;
    while (pos < wire.len && st == MYSQL_ASM_NEED_MORE) {
        size_t used, take = wire.len - pos < step ? wire.len - pos : step;
        st = mysql_asm_feed(&a, wire.data + pos, take, &used);
        pos += used;
    }
    CHECK_EQ(st, MYSQL_ASM_PACKET);
    CHECK_EQ(pos, wire.len);
    CHECK_EQ(a.payload.len, len);
    CHECK(len == 0 || memcmp(a.payload.data, payload.data, len) == 0);
    CHECK_EQ(a.first_seq, 0);
    CHECK_EQ(a.last_seq, chunks - 1);
    mysql_asm_free(&a);
    buf_free(&payload);
    buf_free(&wire);
}

static void test_framing(void)
{
    const size_t sizes[] = {0,
                            1,
                            100,
                            MYSQL_MAX_PACKET_CHUNK - 1,
                            MYSQL_MAX_PACKET_CHUNK,
                            MYSQL_MAX_PACKET_CHUNK + 1,
                            2 * MYSQL_MAX_PACKET_CHUNK};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        frame_and_join(sizes[i], (size_t)-1);
        frame_and_join(sizes[i], 65536);
    }
    /* every split offset of a small two-packet stream */
    uint8_t wire[64];
    struct buf w = {0};
    uint8_t seq = 0;
    mysql_frame(&w, "\x03select 1", 9, &seq);
    seq = 0;
    mysql_frame(&w, "\x0e", 1, &seq);
    memcpy(wire, w.data, w.len);
    for (size_t split = 0; split <= w.len; split++) {
        struct mysql_asm a;
        mysql_asm_init(&a, 1024);
        size_t used, total = 0;
        int packets = 0;
        const uint8_t *p = wire;
        size_t parts[2] = {split, w.len - split};
        for (int k = 0; k < 2; k++) {
            size_t left = parts[k];
            while (left > 0) {
                enum mysql_asm_status st = mysql_asm_feed(&a, p, left, &used);
                p += used;
                left -= used;
                total += used;
                if (st == MYSQL_ASM_PACKET) {
                    packets++;
                    CHECK_EQ(a.payload.len, packets == 1 ? 9 : 1);
                    mysql_asm_next(&a);
                }
            }
        }
        CHECK_EQ(packets, 2);
        CHECK_EQ(total, w.len);
        mysql_asm_free(&a);
    }
    buf_free(&w);
}

/* A packet switched to passing on mid-way: the bytes kept so far, with the
 * first header, plus every byte consumed afterwards, are the wire exactly;
 * nothing more is kept and the limit no longer applies. */
static void test_discard_passes_the_rest_on(void)
{
    size_t len = 2 * MYSQL_MAX_PACKET_CHUNK + 5;
    struct buf payload = {0}, wire = {0}, passed = {0};
    for (size_t i = 0; i < len; i++)
        buf_put_u8(&payload, (uint8_t)(i * 7));
    uint8_t seq = 0;
    mysql_frame(&wire, payload.data, len, &seq);
    struct mysql_asm a;
    mysql_asm_init(&a, 32 * 1024 * 1024); /* smaller than the packet */
    mysql_asm_expect(&a, 0);
    size_t pos = 0, used;
    enum mysql_asm_status st = MYSQL_ASM_NEED_MORE;
    while (st == MYSQL_ASM_NEED_MORE && pos < wire.len) {
        bool passing = a.discard;
        size_t take = wire.len - pos < 65536 ? wire.len - pos : 65536;
        st = mysql_asm_feed(&a, wire.data + pos, take, &used);
        if (passing)
            buf_append(&passed, wire.data + pos, used);
        pos += used;
        if (st == MYSQL_ASM_NEED_MORE && !a.discard && a.payload.len >= 100000) {
            buf_append(&passed, a.hdr, 4);
            buf_append(&passed, a.payload.data, a.payload.len);
            mysql_asm_discard(&a);
        }
    }
    CHECK_EQ(st, MYSQL_ASM_PACKET);
    CHECK_EQ(pos, wire.len);
    CHECK_EQ(a.last_seq, 2);
    CHECK_EQ(a.payload.len, 0);
    CHECK_EQ(passed.len, wire.len);
    CHECK(memcmp(passed.data, wire.data, wire.len) == 0);
    CHECK_EQ(a.declared, len); /* headers passed on still count: an empty packet shows */
    mysql_asm_next(&a);        /* the next packet is kept again */
    CHECK_EQ(a.discard, 0);
    mysql_asm_expect(&a, 0);
    CHECK_EQ(mysql_asm_feed(&a, (const uint8_t *)"\x01\x00\x00\x00x", 5, &used), MYSQL_ASM_PACKET);
    CHECK_EQ(a.payload.len, 1);
    mysql_asm_next(&a); /* an empty packet passed on from its start */
    mysql_asm_expect(&a, 0);
    mysql_asm_discard(&a);
    CHECK_EQ(mysql_asm_feed(&a, (const uint8_t *)"\x00\x00\x00\x00", 4, &used), MYSQL_ASM_PACKET);
    CHECK_EQ(used, 4);
    CHECK_EQ(a.declared, 0);
    mysql_asm_free(&a);
    buf_free(&payload);
    buf_free(&wire);
    buf_free(&passed);
}

static void test_command_id(void)
{
    CHECK_EQ(mysql_command_id((const uint8_t *)"\x78\x56\x34\x12\x01", 5), 0x12345678u);
    CHECK_EQ(mysql_command_id((const uint8_t *)"\xff\xff\xff\xff", 4), 0xFFFFFFFFu);
    CHECK_EQ(mysql_command_id((const uint8_t *)"\x01\x02\x03", 3), 0); /* short */
}

static void test_limits_and_sequence(void)
{
    struct mysql_asm a;
    size_t used;
    /* the limit is enforced from the header alone */
    mysql_asm_init(&a, 100);
    CHECK_EQ(mysql_asm_feed(&a, (const uint8_t *)"\x65\x00\x00\x00", 4, &used),
             MYSQL_ASM_TOO_LARGE);
    mysql_asm_free(&a);
    mysql_asm_init(&a, 100);
    CHECK_EQ(mysql_asm_feed(&a, (const uint8_t *)"\x64\x00\x00\x00", 4, &used),
             MYSQL_ASM_NEED_MORE);
    mysql_asm_free(&a);
    /* split packets count against the limit as a whole */
    mysql_asm_init(&a, MYSQL_MAX_PACKET_CHUNK + 10);
    CHECK_EQ(mysql_asm_feed(&a, (const uint8_t *)"\xff\xff\xff\x00", 4, &used),
             MYSQL_ASM_NEED_MORE);
    mysql_asm_free(&a);
    mysql_asm_init(&a, 10);
    mysql_asm_expect(&a, 1);
    CHECK_EQ(mysql_asm_feed(&a, (const uint8_t *)"\x01\x00\x00\x02x", 5, &used),
             MYSQL_ASM_BAD_SEQUENCE);
    mysql_asm_free(&a);
}

static void test_ok_err_eof(void)
{
    struct buf b = {0};
    struct mysql_ok ok = {.status = 2};
    uint8_t seq = 1;
    struct buf wire = {0};
    mysql_build_ok(&b, &ok, 0);
    mysql_frame(&wire, b.data, b.len, &seq);
    unsigned char expect[16];
    size_t n = test_hex("07 00 00 01 00 00 00 02 00 00 00", expect, sizeof(expect));
    CHECK_EQ(wire.len, n);
    CHECK_MEM(wire.data, expect, n);
    /* with CLIENT_SESSION_TRACK the info is length-encoded */
    buf_reset(&b);
    struct mysql_ok tracked = {.affected_rows = 3, .info = "Rows matched: 3", .info_lenenc = true};
    mysql_build_ok(&b, &tracked, 0);
    CHECK_EQ(b.len, 1 + 1 + 1 + 2 + 2 + 1 + 15);
    CHECK_MEM(b.data, "\x00\x03\x00\x00\x00\x00\x00\x0fRows matched: 3", b.len);
    buf_reset(&b);
    mysql_build_err(&b, 1045, "28000", "Access denied", CLIENT_PROTOCOL_41);
    CHECK_EQ(b.len, 1 + 2 + 6 + 13);
    CHECK_MEM(b.data, "\xff\x15\x04#28000Access denied", b.len);
    buf_reset(&b);
    mysql_build_err(&b, 1040, "08004", "Too many connections", 0);
    CHECK_MEM(b.data, "\xff\x10\x04Too many", 11);
    buf_reset(&b);
    mysql_build_terminator(&b, 0, 0, 0x0002);
    CHECK_EQ(b.len, 5);
    CHECK_MEM(b.data, "\xfe\x00\x00\x02\x00", 5);
    buf_reset(&b);
    mysql_build_terminator(&b, CLIENT_DEPRECATE_EOF, 0, 0x0002);
    CHECK_EQ(b.len, 7);
    CHECK_MEM(b.data, "\xfe\x00\x00\x02\x00\x00\x00", 7);
    buf_free(&b);
    buf_free(&wire);
}

int main(void)
{
    test_lenenc();
    test_framing();
    test_discard_passes_the_rest_on();
    test_command_id();
    test_limits_and_sequence();
    test_ok_err_eof();
    return test_finish("mysql_packet");
}
