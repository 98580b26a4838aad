#include "protocol/sql_lexer.h"
#include "protocol/sql_router.h"
#include "test.h"

static int count_tokens(const char *sql, enum sql_lexer_mode mode, enum sql_token_type *last)
{
    struct sql_lexer lx;
    struct sql_token t;
    int n = 0;
    sql_lexer_init(&lx, sql, strlen(sql), mode);
    for (;;) {
        sql_lexer_next(&lx, &t);
        if (t.type == SQL_TK_EOF || t.type == SQL_TK_ERROR) {
            *last = t.type;
            return n;
        }
        n++;
    }
}

static void test_tokens(void)
{
    enum sql_token_type last;
    CHECK_EQ(count_tokens("select 1", SQL_MODE_MYSQL, &last), 2);
    CHECK_EQ(count_tokens("select /* c */ 1 -- x\n, 2 # y", SQL_MODE_MYSQL, &last), 4);
    CHECK_EQ(count_tokens("select 1--2", SQL_MODE_MYSQL, &last), 5); /* -- needs a space */
    CHECK_EQ(count_tokens("/*!40101 SET NAMES utf8 */", SQL_MODE_MYSQL, &last), 3);
    CHECK_EQ(count_tokens("select 'it''s', \"a\\\"b\", `x``y`", SQL_MODE_MYSQL, &last), 6);
    CHECK_EQ(last, SQL_TK_EOF);
    count_tokens("select 'unterminated", SQL_MODE_MYSQL, &last);
    CHECK_EQ(last, SQL_TK_ERROR);
    count_tokens("select /* open", SQL_MODE_MYSQL, &last);
    CHECK_EQ(last, SQL_TK_ERROR);
    /* '@' in the two modes */
    CHECK_EQ(count_tokens("select @a, @@session.x", SQL_MODE_MYSQL, &last), 4);
    CHECK_EQ(count_tokens("LIST @s1/dir/a\\ b.csv", SQL_MODE_STAGE, &last), 2);
    CHECK_EQ(count_tokens("LIST @s1/dir/a\\ b.csv", SQL_MODE_MYSQL, &last), 10);

    struct sql_lexer lx;
    struct sql_token t;
    struct buf b = {0};
    const char *sql = "'a\\nb''c' `q``id` @'v' @s/a\\ b";
    sql_lexer_init(&lx, sql, strlen(sql), SQL_MODE_MYSQL);
    sql_lexer_next(&lx, &t);
    sql_token_unquote(sql, &t, &b);
    CHECK(b.len == 5 && memcmp(b.data, "a\nb'c", 5) == 0);
    buf_reset(&b);
    sql_lexer_next(&lx, &t);
    CHECK_EQ(t.type, SQL_TK_QIDENT);
    sql_token_unquote(sql, &t, &b);
    CHECK(b.len == 4 && memcmp(b.data, "q`id", 4) == 0);
    buf_reset(&b);
    sql_lexer_next(&lx, &t);
    CHECK_EQ(t.type, SQL_TK_AT);
    sql_token_unquote(sql, &t, &b);
    CHECK(b.len == 1 && b.data[0] == 'v');
    buf_reset(&b);
    lx.mode = SQL_MODE_STAGE;
    sql_lexer_next(&lx, &t);
    sql_token_unquote(sql, &t, &b);
    CHECK(b.len == 5 && memcmp(b.data, "s/a b", 5) == 0);
    buf_free(&b);
}

static void test_split(void)
{
    const char *sql = " select 1 ; ; select ';' /* ; */ ;select 3;";
    size_t pos = 0, start, len;
    const char *expect[] = {"select 1", "select ';'", "select 3"};
    int n = 0;
    while (sql_split_next(sql, strlen(sql), &pos, &start, &len)) {
        CHECK(n < 3);
        if (n < 3) {
            CHECK_EQ(len, strlen(expect[n]));
            CHECK(memcmp(sql + start, expect[n], len) == 0);
        }
        n++;
    }
    CHECK_EQ(n, 3);
    pos = 0;
    CHECK(!sql_split_next("  -- only\n", 10, &pos, &start, &len));
}

static void test_router(void)
{
    static const struct {
        const char *sql;
        enum sql_route route;
    } cases[] = {
        {"CREATE STAGE s1", SQL_ROUTE_CREATE_STAGE},
        {"create or replace stage s1", SQL_ROUTE_CREATE_STAGE},
        {"/* x */ CREATE STAGE IF NOT EXISTS s", SQL_ROUTE_CREATE_STAGE},
        {"CREATE TABLE stage (a int)", SQL_ROUTE_OTHER},
        {"drop stage s", SQL_ROUTE_DROP_STAGE},
        {"DROP TABLE s", SQL_ROUTE_OTHER},
        {"DESC STAGE s", SQL_ROUTE_DESC_STAGE},
        {"describe t", SQL_ROUTE_OTHER},
        {"SHOW STAGES", SQL_ROUTE_SHOW_STAGES},
        {"SHOW TABLES", SQL_ROUTE_OTHER},
        {"LIST @s1/2023/", SQL_ROUTE_LIST},
        {"list @~", SQL_ROUTE_LIST},
        {"REMOVE @s1 PATTERN = '.*'", SQL_ROUTE_REMOVE},
        {"rm @s1", SQL_ROUTE_REMOVE},
        {"PRESIGN @s1/a.csv", SQL_ROUTE_PRESIGN},
        {"PUT file:///tmp/a.csv @s1", SQL_ROUTE_PUT},
        {"GET @s1 file:///tmp/", SQL_ROUTE_GET},
        {"GET DIAGNOSTICS CONDITION 1 @p = MESSAGE_TEXT", SQL_ROUTE_OTHER},
        {"GET CURRENT DIAGNOSTICS @n = NUMBER", SQL_ROUTE_OTHER},
        {"DESC stage", SQL_ROUTE_OTHER},
        {"describe `stage`", SQL_ROUTE_OTHER},
        {"COPY INTO t FROM @s1", SQL_ROUTE_COPY},
        {"SELECT * FROM @s1/a.csv", SQL_ROUTE_SELECT_STAGE},
        {"SELECT $1 FROM '@s1/a b.csv'", SQL_ROUTE_SELECT_STAGE},
        {"select name from list_stage(location => '@s1')", SQL_ROUTE_SELECT_STAGE},
        {"SELECT * FROM t JOIN @s ON 1", SQL_ROUTE_SELECT_STAGE},
        {"SELECT @a FROM t", SQL_ROUTE_OTHER},
        {"SELECT '@s1' FROM t", SQL_ROUTE_OTHER},
        {"SELECT list_stage FROM t", SQL_ROUTE_OTHER},
        {"select @@version_comment limit 1", SQL_ROUTE_OTHER},
        {"  /* only comments */ -- here\n", SQL_ROUTE_EMPTY},
        {"", SQL_ROUTE_EMPTY},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum sql_route r = sql_route_statement(cases[i].sql, strlen(cases[i].sql));
        if (r != cases[i].route)
            fprintf(stderr, "route of \"%s\": %s\n", cases[i].sql, sql_route_name(r));
        CHECK_EQ(r, cases[i].route);
    }
}

static void test_kill(void)
{
    static const struct {
        const char *sql;
        long id; /* -1: not a connection kill */
    } cases[] = {
        {"KILL 42", 42},
        {"kill connection 7", 7},
        {"KILL HARD CONNECTION 9", 9},
        {"kill soft 10 ", 10},
        {"/* c */ KILL 4294967295", 4294967295L},
        {"KILL 4294967296", -1},
        {"KILL 0", -1},
        {"KILL QUERY 5", -1},
        {"KILL QUERY ID 5", -1},
        {"KILL USER bob", -1},
        {"KILL 5 6", -1},
        {"KILL 5.5", -1},
        {"KILL @v", -1},
        {"SELECT 1", -1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint32_t id = 0;
        bool is_kill = sql_route_kill_connection(cases[i].sql, strlen(cases[i].sql), &id);
        CHECK_EQ(is_kill, cases[i].id >= 0);
        if (is_kill)
            CHECK_EQ(id, (uint32_t)cases[i].id);
    }
}

int main(void)
{
    test_tokens();
    test_split();
    test_router();
    test_kill();
    return test_finish("sql_lexer");
}
