#include "protocol/mysql_packet.h"
#include "protocol/mysql_resultset.h"
#include "test.h"

static struct mysql_value val(const char *s)
{
    struct mysql_value v = {s, s ? strlen(s) : 0, s == NULL};
    return v;
}

static void test_binary_row(void)
{
    struct mysql_column cols[] = {
        {.name = "a", .type = MYSQL_TYPE_LONGLONG},
        {.name = "b", .type = MYSQL_TYPE_VAR_STRING},
        {.name = "c", .type = MYSQL_TYPE_NULL},
        {.name = "d", .type = MYSQL_TYPE_DATETIME},
        {.name = "e", .type = MYSQL_TYPE_TIME},
        {.name = "f", .type = MYSQL_TYPE_TIME},
        {.name = "g", .type = MYSQL_TYPE_LONGLONG, .flags = MYSQL_FLAG_UNSIGNED},
    };
    struct mysql_value v[] = {val("-2"),
                              val("hi"),
                              val(NULL),
                              val("2024-01-18 16:20:48"),
                              val("00:00:00"),
                              val("-26:03:04"),
                              val("18446744073709551615")};
    struct buf b = {0};
    CHECK_EQ(mysql_build_binary_row(&b, cols, v, 7), 0);
    unsigned char expect[96];
    size_t n = test_hex("00 10 00"                   /* header, bitmap: column 2 -> bit 4 */
                        "fe ff ff ff ff ff ff ff"    /* -2 */
                        "02 68 69"                   /* 'hi' */
                        "07 e8 07 01 12 10 14 30"    /* datetime */
                        "00"                         /* 00:00:00 */
                        "08 01 01 00 00 00 02 03 04" /* -26:03:04 = -(1 day 2:03:04) */
                        "ff ff ff ff ff ff ff ff",
                        expect, sizeof(expect));
    CHECK_EQ(b.len, n);
    CHECK_MEM(b.data, expect, n);
    buf_reset(&b);
    struct mysql_value bad = val("x1");
    CHECK(mysql_build_binary_row(&b, cols, &bad, 1) < 0);
    buf_reset(&b);
    mysql_build_text_row(&b, v, 3);
    CHECK_MEM(b.data, "\x02-2\x02hi\xfb", 7);
    buf_free(&b);
}

static void test_execute_params(void)
{
    uint16_t types[3] = {0};
    struct mysql_param p[3];
    unsigned char pkt[64];
    /* null bitmap: param 1 NULL; new-params-bound; LONGLONG, VAR_STRING, TINY unsigned */
    size_t n = test_hex("02 01 08 00 fd 00 01 80 2a 00 00 00 00 00 00 00 01", pkt, sizeof(pkt));
    CHECK_EQ(mysql_parse_execute_params(pkt, n, 3, types, NULL, p), 0);
    CHECK_STR(p[0].text, "42");
    CHECK(!p[0].is_string);
    CHECK(p[1].null);
    CHECK_STR(p[2].text, "1");
    CHECK_EQ(types[2], 0x8001);
    mysql_params_free(p, 3);
    /* new-params-bound 0 reuses the earlier types */
    n = test_hex("00 00 07 00 00 00 00 00 00 00 03 61 62 63 ff", pkt, sizeof(pkt));
    CHECK_EQ(mysql_parse_execute_params(pkt, n, 3, types, NULL, p), 0);
    CHECK_STR(p[0].text, "7");
    CHECK_STR(p[1].text, "abc");
    CHECK(p[1].is_string);
    CHECK_STR(p[2].text, "255");
    mysql_params_free(p, 3);
    /* datetime and a truncated packet */
    uint16_t t1[1] = {MYSQL_TYPE_DATETIME};
    n = test_hex("00 00 07 e8 07 01 12 10 14 30", pkt, sizeof(pkt));
    CHECK_EQ(mysql_parse_execute_params(pkt, n, 1, t1, NULL, p), 0);
    CHECK_STR(p[0].text, "2024-01-18 16:20:48.000000");
    mysql_params_free(p, 1);
    CHECK(mysql_parse_execute_params(pkt, 5, 1, t1, NULL, p) < 0);
    /* long data replaces the inline value */
    struct buf long_data[1] = {{0}};
    buf_append(&long_data[0], "streamed", 8);
    uint16_t t2[1] = {MYSQL_TYPE_BLOB};
    n = test_hex("00 00", pkt, sizeof(pkt));
    CHECK_EQ(mysql_parse_execute_params(pkt, n, 1, t2, long_data, p), 0);
    CHECK_STR(p[0].text, "streamed");
    mysql_params_free(p, 1);
    buf_free(&long_data[0]);
}

int main(void)
{
    test_binary_row();
    test_execute_params();
    return test_finish("mysql_resultset");
}
