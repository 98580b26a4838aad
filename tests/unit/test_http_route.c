/* The HTTP request router: resources, decoding, and what it refuses. */
#include "protocol/http_route.h"
#include "test.h"

static struct http_route r;

static enum http_route_kind route(const char *target)
{
    http_route_parse(target, strlen(target), &r);
    return r.kind;
}

int main(void)
{
    CHECK_EQ(route("/healthz"), HTTP_ROUTE_HEALTHZ);
    CHECK_EQ(route("/healthz?verbose=1"), HTTP_ROUTE_HEALTHZ);
    CHECK_EQ(route("/metrics"), HTTP_ROUTE_METRICS);
    CHECK_EQ(route("/v1/upload_to_stage"), HTTP_ROUTE_UPLOAD_TO_STAGE);
    CHECK_EQ(route("/v1/upload_to_stage//"), HTTP_ROUTE_UPLOAD_TO_STAGE);
    CHECK_EQ(route("/v1/upload_to_stagex"), HTTP_ROUTE_NOT_FOUND);
    CHECK_EQ(route("/v1/upload_to_stage/x"), HTTP_ROUTE_NOT_FOUND);
    CHECK_EQ(route("/"), HTTP_ROUTE_NOT_FOUND);
    CHECK_EQ(route(""), HTTP_ROUTE_NOT_FOUND);
    CHECK_EQ(route("/v1/stages/"), HTTP_ROUTE_NOT_FOUND);
    CHECK_EQ(route("/v1/stages/s1"), HTTP_ROUTE_NOT_FOUND);
    CHECK_EQ(route("/v1/stages/s1/filesx"), HTTP_ROUTE_NOT_FOUND);

    CHECK_EQ(route("/v1/stages/s1/files"), HTTP_ROUTE_STAGE_FILES);
    CHECK_STR(r.stage, "s1");
    CHECK_STR(r.path, "");
    CHECK(!r.has_pattern);
    CHECK_EQ(route("/v1/stages/%7E/files/?prefix=2023%2F&pattern=.*%5B.%5Dlog&x=1"),
             HTTP_ROUTE_STAGE_FILES);
    CHECK_STR(r.stage, "~");
    CHECK_STR(r.path, "2023/");
    CHECK(r.has_pattern);
    CHECK_STR(r.pattern, ".*[.]log");
    CHECK_EQ(route("/v1/stages/s/files?pattern=a+b%2Bc"), HTTP_ROUTE_STAGE_FILES);
    CHECK_STR(r.pattern, "a b+c");

    CHECK_EQ(route("/v1/stages/s1/files/dir/a%20b.csv?ignored"), HTTP_ROUTE_STAGE_FILE);
    CHECK_STR(r.stage, "s1");
    CHECK_STR(r.path, "dir/a b.csv");
    /* decoded, so the storage key check sees what the client meant */
    CHECK_EQ(route("/v1/stages/s1/files/%2e%2e/x"), HTTP_ROUTE_STAGE_FILE);
    CHECK_STR(r.path, "../x");
    CHECK_EQ(route("/v1/stages/s1/files/a+b"), HTTP_ROUTE_STAGE_FILE);
    CHECK_STR(r.path, "a+b");

    const char *bad[] = {
        "/v1/stages/s1/files/a%00b",      "/v1/stages/s1/files/a%zz", "/v1/stages/s1/files/a%4",
        "/v1/stages/a%2Fb/files/x",       "/v1/stages/s%/files",      "/v1/stages/s/files?prefix=%",
        "/v1/stages/s/files?pattern=%00",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_EQ(route(bad[i]), HTTP_ROUTE_BAD_REQUEST);
        CHECK(r.error != NULL);
        CHECK_STR(r.stage, ""); /* nothing half-decoded is left */
        CHECK_STR(r.path, "");
    }
    char big[4096];
    memcpy(big, "/v1/stages/s/files/", 19);
    memset(big + 19, 'a', 2000);
    big[2019] = 0;
    CHECK_EQ(route(big), HTTP_ROUTE_BAD_REQUEST);

    char out[8];
    CHECK_EQ(http_percent_decode("%41%62c", 7, false, out, sizeof(out)), 0);
    CHECK_STR(out, "Abc");
    CHECK_EQ(http_percent_decode("12345678", 8, false, out, sizeof(out)), -1);
    return test_finish("http_route");
}
