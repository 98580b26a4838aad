#include "protocol/stage_sql.h"
#include "test.h"

static int parse(const char *sql, enum stage_stmt_kind kind, struct stage_stmt *st)
{
    return stage_sql_parse(sql, strlen(sql), kind, st);
}

static void expect_error(const char *sql, enum stage_stmt_kind kind, int code)
{
    struct stage_stmt st;
    int rc = parse(sql, kind, &st);
    if (rc == 0 || st.err_code != code)
        fprintf(stderr, "\"%s\": rc %d code %d (%s)\n", sql, rc, st.err_code, st.err_msg);
    CHECK_EQ(rc, -1);
    CHECK_EQ(st.err_code, code);
    stage_stmt_free(&st);
}

int main(void)
{
    struct stage_stmt st;
    CHECK_EQ(parse("CREATE OR REPLACE STAGE ext URL='s3://load/files/' "
                   "CONNECTION=(ENDPOINT_URL='http://127.0.0.1:9000' ACCESS_KEY_ID='minio', "
                   "Secret_Access_Key='minio123') FILE_FORMAT=(TYPE=CSV SKIP_HEADER=1 "
                   "FIELD_DELIMITER='|' NULL_IF=('', 'NULL')) COMMENT='the ext'",
                   STAGE_STMT_CREATE, &st),
             0);
    CHECK(st.or_replace && !st.if_not_exists);
    CHECK_STR(st.name, "ext");
    CHECK_STR(st.url, "s3://load/files/");
    CHECK_EQ(st.n_connection, 3);
    CHECK_STR(st.connection[2].key, "secret_access_key");
    CHECK_STR(st.connection[2].value, "minio123");
    CHECK_EQ(st.n_file_format, 4);
    CHECK_STR(st.file_format[0].value, "CSV");
    CHECK_STR(st.file_format[3].value, "('', 'NULL')");
    CHECK_STR(st.comment, "the ext");
    stage_stmt_free(&st);

    CHECK_EQ(parse("create stage if not exists s 's3://b/p/' credentials=(aws_key_id='k')",
                   STAGE_STMT_CREATE, &st),
             0);
    CHECK(st.if_not_exists && st.url && st.n_connection == 1);
    stage_stmt_free(&st);

    expect_error("CREATE OR REPLACE STAGE IF NOT EXISTS s1", STAGE_STMT_CREATE, 1005);
    expect_error("CREATE STAGE \"my stage\"", STAGE_STMT_CREATE, 1005);
    expect_error("CREATE STAGE `x`", STAGE_STMT_CREATE, 1005);
    expect_error("CREATE STAGE @s1", STAGE_STMT_CREATE, 1005);
    expect_error("CREATE STAGE c2 COPY_OPTIONS=(PURGE=true)", STAGE_STMT_CREATE, 1005);
    expect_error("CREATE STAGE s URL=", STAGE_STMT_CREATE, 1005);
    expect_error("CREATE STAGE s CONNECTION=(A)", STAGE_STMT_CREATE, 1005);
    expect_error("CREATE STAGE 1abc", STAGE_STMT_CREATE, 1005);
    CHECK_EQ(parse("CREATE STAGE ~", STAGE_STMT_CREATE, &st), 0); /* refused by the executor */
    CHECK_STR(st.name, "~");
    stage_stmt_free(&st);

    CHECK_EQ(parse("DROP STAGE IF EXISTS s1", STAGE_STMT_DROP, &st), 0);
    CHECK(st.if_exists);
    stage_stmt_free(&st);
    expect_error("DESC STAGE ~", STAGE_STMT_DESC, 1005);
    expect_error("DESCRIBE STAGE a b", STAGE_STMT_DESC, 1005);

    CHECK_EQ(parse("SHOW STAGES LIKE 'S%' LIMIT 2", STAGE_STMT_SHOW, &st), 0);
    CHECK_STR(st.like, "S%");
    CHECK_EQ(st.limit, 2);
    stage_stmt_free(&st);
    expect_error("SHOW STAGES LIMIT -1", STAGE_STMT_SHOW, 1005);

    CHECK_EQ(parse("LIST @s1/2023/ PATTERN = '.*[.]log'", STAGE_STMT_LIST, &st), 0);
    CHECK_STR(st.name, "s1");
    CHECK_STR(st.path, "2023/");
    CHECK_STR(st.pattern, ".*[.]log");
    stage_stmt_free(&st);
    CHECK_EQ(parse("LIST @s1//", STAGE_STMT_LIST, &st), 0);
    CHECK_STR(st.path, "");
    stage_stmt_free(&st);
    CHECK_EQ(parse("list @~/a\\ b/", STAGE_STMT_LIST, &st), 0);
    CHECK_STR(st.name, "~");
    CHECK_STR(st.path, "a b/");
    stage_stmt_free(&st);
    expect_error("LIST s1", STAGE_STMT_LIST, 1005);
    expect_error("LIST @/x", STAGE_STMT_LIST, 1006);
    expect_error("REMOVE @s1 PATTERN", STAGE_STMT_REMOVE, 1005);

    CHECK_EQ(parse("SELECT name, size FROM list_stage(LOCATION => '@s1/d', Pattern => '.*') "
                   "WHERE size > 1",
                   STAGE_STMT_LIST_STAGE, &st),
             0);
    CHECK_STR(st.name, "s1");
    CHECK_STR(st.path, "d");
    CHECK_STR(st.pattern, ".*");
    stage_stmt_free(&st);
    expect_error("SELECT * FROM LIST_STAGE(location => 's1')", STAGE_STMT_LIST_STAGE, 1006);
    expect_error("SELECT * FROM LIST_STAGE(foo => '@s1')", STAGE_STMT_LIST_STAGE, 1006);
    expect_error("SELECT * FROM LIST_STAGE(pattern => 'x')", STAGE_STMT_LIST_STAGE, 1006);

    /* PRESIGN: DOWNLOAD by default, 3600 s, options in any order */
    CHECK_EQ(parse("PRESIGN @s1/books.parquet", STAGE_STMT_PRESIGN, &st), 0);
    CHECK(!st.upload);
    CHECK_EQ(st.expire, 3600);
    CHECK_STR(st.name, "s1");
    CHECK_STR(st.path, "books.parquet");
    CHECK(st.content_type == NULL);
    stage_stmt_free(&st);
    CHECK_EQ(parse("presign upload @~/a/b.csv content_type = 'text/csv' expire = 7200",
                   STAGE_STMT_PRESIGN, &st),
             0);
    CHECK(st.upload);
    CHECK_EQ(st.expire, 7200);
    CHECK_STR(st.name, "~");
    CHECK_STR(st.path, "a/b.csv");
    CHECK_STR(st.content_type, "text/csv");
    stage_stmt_free(&st);
    CHECK_EQ(parse("PRESIGN DOWNLOAD @s1/x EXPIRE=1", STAGE_STMT_PRESIGN, &st), 0);
    CHECK(!st.upload);
    stage_stmt_free(&st);
    expect_error("PRESIGN @s1", STAGE_STMT_PRESIGN, 1006); /* no file */
    expect_error("PRESIGN @s1/x EXPIRE = 0", STAGE_STMT_PRESIGN, 1006);
    expect_error("PRESIGN @s1/x EXPIRE = 604801", STAGE_STMT_PRESIGN, 1006);
    expect_error("PRESIGN @s1/x EXPIRE = 'a'", STAGE_STMT_PRESIGN, 1005);
    expect_error("PRESIGN @s1/x FOO = 1", STAGE_STMT_PRESIGN, 1005);
    expect_error("PRESIGN s1/x", STAGE_STMT_PRESIGN, 1005);

    CHECK(stage_name_valid("my_internal_stage"));
    CHECK(stage_name_valid("_x$1"));
    CHECK(!stage_name_valid("a-b"));
    CHECK(!stage_name_valid(".."));
    CHECK(!stage_name_valid("a/b"));
    return test_finish("stage_sql");
}
