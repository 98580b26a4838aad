#include "protocol/mysql_packet.h"
#include "protocol/mysql_reply.h"
#include "test.h"

#define DEP CLIENT_DEPRECATE_EOF

static const uint8_t OK_PLAIN[] = {0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00};
static const uint8_t OK_MORE[] = {0x00, 0x01, 0x00, 0x0a, 0x00, 0x00, 0x00}; /* 0x0a: MORE */
static const uint8_t ERR[] = {0xff, 0x7a, 0x04, '#', '4', '2', 'S', '0', '2', 'x'};
static const uint8_t EOF_PLAIN[] = {0xfe, 0x00, 0x00, 0x22, 0x00};
static const uint8_t EOF_MORE[] = {0xfe, 0x01, 0x00, 0x0a, 0x00};
static const uint8_t EOF_CURSOR[] = {0xfe, 0x00, 0x00, 0x42, 0x00};
static const uint8_t OKFE_PLAIN[] = {0xfe, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00};
static const uint8_t OKFE_MORE[] = {0xfe, 0x00, 0x00, 0x0a, 0x00, 0x03, 0x00};
static const uint8_t COLS2[] = {0x02};
static const uint8_t COLDEF[] = {0x03, 'd', 'e', 'f', 0x00, 0x00, 0x00, 0x01, 'a', 0x00, 0x0c};
static const uint8_t ROW[] = {0x01, '1', 0x01, '2'};
static const uint8_t BIG_ROW_START[MYSQL_REPLY_PREFIX] = {0xfe, 0x00, 0x00, 0x00, 0x01};

static int feed(struct mysql_reply *r, const uint8_t *p, size_t len)
{
    return mysql_reply_packet(r, p, len, (uint32_t)len);
}

#define FEED(r, pkt) feed((r), (pkt), sizeof(pkt))

static void test_ok_err_and_single(void)
{
    struct mysql_reply r;
    mysql_reply_begin(&r, COM_QUERY, DEP);
    CHECK_EQ(FEED(&r, OK_PLAIN), MYSQL_REPLY_END);
    CHECK_EQ(r.status, 0x0002);
    CHECK_EQ(r.status_offset, 3);
    mysql_reply_begin(&r, COM_QUERY, DEP);
    CHECK_EQ(FEED(&r, ERR), MYSQL_REPLY_END);
    CHECK(r.error);
    CHECK_EQ(r.error_code, 1146);
    mysql_reply_begin(&r, COM_PING, 0);
    CHECK_EQ(FEED(&r, OK_PLAIN), MYSQL_REPLY_END);
    mysql_reply_begin(&r, COM_SET_OPTION, 0);
    CHECK_EQ(FEED(&r, EOF_PLAIN), MYSQL_REPLY_END);
    CHECK_EQ(r.status, 0x0022);
    mysql_reply_begin(&r, COM_STATISTICS, 0);
    CHECK_EQ(feed(&r, (const uint8_t *)"Uptime: 5", 9), MYSQL_REPLY_END);
    mysql_reply_begin(&r, COM_STMT_CLOSE, 0);
    CHECK_EQ(r.phase, REPLY_DONE);
    CHECK(!mysql_reply_has_answer(COM_STMT_SEND_LONG_DATA));
    CHECK(mysql_reply_has_answer(COM_STMT_RESET));
}

static void resultset(struct mysql_reply *r, uint32_t caps, const uint8_t *term, size_t tlen,
                      int want_end)
{
    CHECK_EQ(FEED(r, COLS2), MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(r, COLDEF), MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(r, COLDEF), MYSQL_REPLY_MORE);
    if (!(caps & DEP))
        CHECK_EQ(FEED(r, EOF_PLAIN), MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(r, ROW), MYSQL_REPLY_MORE);
    CHECK_EQ(feed(r, (const uint8_t *)"", 0), MYSQL_REPLY_MORE); /* can't be, but harmless */
    CHECK_EQ(FEED(r, ROW), MYSQL_REPLY_MORE);
    CHECK_EQ(feed(r, term, tlen), want_end);
}

static void test_resultsets_both_terminators(void)
{
    struct mysql_reply r;
    mysql_reply_begin(&r, COM_QUERY, 0);
    resultset(&r, 0, EOF_PLAIN, sizeof(EOF_PLAIN), MYSQL_REPLY_END);
    CHECK_EQ(r.status_offset, 3);
    mysql_reply_begin(&r, COM_QUERY, DEP);
    resultset(&r, DEP, OKFE_PLAIN, sizeof(OKFE_PLAIN), MYSQL_REPLY_END);
    CHECK_EQ(r.status, 0x0002);
    /* multi-results: two result sets and an OK */
    mysql_reply_begin(&r, COM_QUERY, 0);
    resultset(&r, 0, EOF_MORE, sizeof(EOF_MORE), MYSQL_REPLY_MORE);
    resultset(&r, 0, EOF_MORE, sizeof(EOF_MORE), MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(&r, OK_MORE), MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(&r, OK_PLAIN), MYSQL_REPLY_END);
    mysql_reply_begin(&r, COM_QUERY, DEP);
    resultset(&r, DEP, OKFE_MORE, sizeof(OKFE_MORE), MYSQL_REPLY_MORE);
    CHECK_EQ(r.warnings, 3);
    CHECK_EQ(FEED(&r, ERR), MYSQL_REPLY_END); /* the second statement failed */
    /* an error in the middle of the rows ends the answer */
    mysql_reply_begin(&r, COM_QUERY, DEP);
    CHECK_EQ(FEED(&r, COLS2), MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(&r, COLDEF), MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(&r, COLDEF), MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(&r, ROW), MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(&r, ERR), MYSQL_REPLY_END);
}

static void test_rows_that_look_like_terminators(void)
{
    struct mysql_reply r;
    /* classic: a 0xFE-led row of 9+ bytes is a row */
    mysql_reply_begin(&r, COM_QUERY, 0);
    CHECK_EQ(FEED(&r, COLS2), MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(&r, COLDEF), MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(&r, COLDEF), MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(&r, EOF_PLAIN), MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(&r, BIG_ROW_START), MYSQL_REPLY_MORE);
    /* a row of 16 MiB and more: its first chunk is 0xFFFFFF long and the
     * chunks after it are never judged, even when they start like an ERR */
    mysql_reply_begin(&r, COM_QUERY, DEP);
    CHECK_EQ(FEED(&r, COLS2), MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(&r, COLDEF), MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(&r, COLDEF), MYSQL_REPLY_MORE);
    CHECK_EQ(mysql_reply_packet(&r, BIG_ROW_START, sizeof(BIG_ROW_START), MYSQL_MAX_PACKET_CHUNK),
             MYSQL_REPLY_MORE);
    CHECK_EQ(mysql_reply_packet(&r, OKFE_PLAIN, sizeof(OKFE_PLAIN), MYSQL_MAX_PACKET_CHUNK),
             MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(&r, ERR), MYSQL_REPLY_MORE); /* the continuation's last chunk */
    CHECK_EQ(FEED(&r, OKFE_PLAIN), MYSQL_REPLY_END);
}

static void test_prepare_execute_fetch(void)
{
    static const uint8_t PREP[] = {0x00, 7, 0, 0, 0, 2, 0, 1, 0, 0, 0, 0};
    static const uint8_t PREP_NONE[] = {0x00, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    struct mysql_reply r;
    mysql_reply_begin(&r, COM_STMT_PREPARE, 0);
    CHECK_EQ(FEED(&r, PREP), MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(&r, COLDEF), MYSQL_REPLY_MORE); /* one parameter */
    CHECK_EQ(FEED(&r, EOF_PLAIN), MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(&r, COLDEF), MYSQL_REPLY_MORE); /* two columns */
    CHECK_EQ(FEED(&r, COLDEF), MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(&r, EOF_PLAIN), MYSQL_REPLY_END);
    mysql_reply_begin(&r, COM_STMT_PREPARE, DEP);
    CHECK_EQ(FEED(&r, PREP), MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(&r, COLDEF), MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(&r, COLDEF), MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(&r, COLDEF), MYSQL_REPLY_END);
    mysql_reply_begin(&r, COM_STMT_PREPARE, 0);
    CHECK_EQ(FEED(&r, PREP_NONE), MYSQL_REPLY_END);
    mysql_reply_begin(&r, COM_STMT_PREPARE, 0);
    CHECK_EQ(FEED(&r, ERR), MYSQL_REPLY_END);
    /* binary rows end the same way; a cursor ends after the definitions */
    static const uint8_t BROW[] = {0x00, 0x00, 0x01, 0x00, 0x00, 0x00};
    mysql_reply_begin(&r, COM_STMT_EXECUTE, 0);
    CHECK_EQ(FEED(&r, COLS2), MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(&r, COLDEF), MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(&r, COLDEF), MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(&r, EOF_PLAIN), MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(&r, BROW), MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(&r, EOF_PLAIN), MYSQL_REPLY_END);
    mysql_reply_begin(&r, COM_STMT_EXECUTE, 0);
    CHECK_EQ(FEED(&r, COLS2), MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(&r, COLDEF), MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(&r, COLDEF), MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(&r, EOF_CURSOR), MYSQL_REPLY_END);
    mysql_reply_begin(&r, COM_STMT_EXECUTE, 0);
    CHECK_EQ(FEED(&r, OK_PLAIN), MYSQL_REPLY_END); /* an INSERT */
    mysql_reply_begin(&r, COM_STMT_FETCH, 0);
    CHECK_EQ(FEED(&r, BROW), MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(&r, EOF_MORE), MYSQL_REPLY_END); /* a fetch never has more results */
}

static void test_local_infile_and_field_list(void)
{
    static const uint8_t INFILE[] = {0xfb, '/', 't', 'm', 'p', '/', 'x'};
    struct mysql_reply r;
    mysql_reply_begin(&r, COM_QUERY, DEP);
    CHECK_EQ(FEED(&r, INFILE), MYSQL_REPLY_INFILE);
    CHECK_EQ(FEED(&r, OK_PLAIN), MYSQL_REPLY_INVALID); /* the client's turn */
    mysql_reply_infile_sent(&r);
    CHECK_EQ(FEED(&r, OK_PLAIN), MYSQL_REPLY_END);
    mysql_reply_begin(&r, COM_STMT_EXECUTE, DEP);
    CHECK_EQ(FEED(&r, INFILE), MYSQL_REPLY_INVALID);
    mysql_reply_begin(&r, COM_FIELD_LIST, 0);
    CHECK_EQ(FEED(&r, COLDEF), MYSQL_REPLY_MORE);
    CHECK_EQ(FEED(&r, EOF_PLAIN), MYSQL_REPLY_END);
    mysql_reply_begin(&r, COM_FIELD_LIST, DEP);
    CHECK_EQ(FEED(&r, OKFE_PLAIN), MYSQL_REPLY_END);
}

static void test_garbage_is_invalid(void)
{
    static const uint8_t NULL_COUNT[] = {0xfb};
    static const uint8_t SHORT_OK[] = {0x00, 0x00};
    struct mysql_reply r;
    mysql_reply_begin(&r, COM_QUERY, DEP);
    CHECK_EQ(FEED(&r, NULL_COUNT), MYSQL_REPLY_INFILE); /* an empty file name */
    mysql_reply_begin(&r, COM_STMT_EXECUTE, DEP);
    CHECK_EQ(FEED(&r, NULL_COUNT), MYSQL_REPLY_INVALID);
    mysql_reply_begin(&r, COM_QUERY, DEP);
    CHECK_EQ(FEED(&r, SHORT_OK), MYSQL_REPLY_INVALID);
    mysql_reply_begin(&r, COM_QUERY, DEP);
    CHECK_EQ(mysql_reply_packet(&r, OK_PLAIN, 3, 100), MYSQL_REPLY_INVALID); /* prefix too short */
    mysql_reply_begin(&r, COM_QUERY, DEP);
    CHECK_EQ(FEED(&r, OK_PLAIN), MYSQL_REPLY_END);
    CHECK_EQ(FEED(&r, OK_PLAIN), MYSQL_REPLY_INVALID); /* after the end */
}

int main(void)
{
    test_ok_err_and_single();
    test_resultsets_both_terminators();
    test_rows_that_look_like_terminators();
    test_prepare_execute_fetch();
    test_local_infile_and_field_list();
    test_garbage_is_invalid();
    return test_finish("mysql_reply");
}
