#include <stdint.h>
#include <string.h>

#include "server/metrics.h"
#include "test.h"

static uint64_t count_of(const struct metrics *m, uint64_t code)
{
    for (int i = 0; i < METRICS_ERROR_CODES - 1; i++)
        if (m->mysql_errors[i].code == code)
            return m->mysql_errors[i].count;
    return 0;
}

int main(void)
{
    static struct metrics a, b;
    /* error codes: a slot each, in the order seen; past the table, "other" */
    metrics_mysql_error(&a, 1064);
    metrics_mysql_error(&a, 1146);
    metrics_mysql_error(&a, 1064);
    CHECK(count_of(&a, 1064) == 2 && count_of(&a, 1146) == 1);
    CHECK(a.mysql_errors[2].code == 0);
    for (uint16_t code = 2000; code < 2000 + METRICS_ERROR_CODES; code++)
        metrics_mysql_error(&b, code);
    CHECK(count_of(&b, 2000) == 1 && count_of(&b, 2000 + METRICS_ERROR_CODES - 2) == 1);
    CHECK(count_of(&b, 2000 + METRICS_ERROR_CODES - 1) == 0);
    CHECK(b.mysql_errors[METRICS_ERROR_CODES - 1].count == 1);
    metrics_mysql_error(&b, 0); /* no code: counted, never a slot of its own */
    CHECK(b.mysql_errors[METRICS_ERROR_CODES - 1].count == 2);
    /* adding another loop's table goes by code, whatever the slot order */
    static struct metrics sum;
    metrics_mysql_error(&sum, 1146);
    metrics_add_errors(&sum, &a);
    CHECK(sum.mysql_errors[0].code == 1146 && sum.mysql_errors[0].count == 2);
    CHECK(count_of(&sum, 1064) == 2);
    metrics_add_errors(&sum, &b);
    CHECK(count_of(&sum, 1064) == 2 && count_of(&sum, 2001) == 1);
    /* 2 codes of its own, and b's 63 fill the table: one spills into other */
    CHECK(sum.mysql_errors[METRICS_ERROR_CODES - 1].count == 2 + 2);
    /* command times: a bound is inside its bucket; past the last, only counted */
    static struct metrics c;
    metrics_mysql_command(&c, true, 100000);
    metrics_mysql_command(&c, true, 100001);
    metrics_mysql_command(&c, false, 61000000000ULL);
    CHECK(c.command_buckets[1][0] == 1 && c.command_buckets[1][1] == 1);
    CHECK(c.command_count[1] == 2 && c.command_ns[1] == 200001);
    CHECK(c.command_count[0] == 1 && c.command_ns[0] == 61000000000ULL);
    uint64_t local = 0;
    for (int i = 0; i < METRICS_COMMAND_BUCKETS; i++)
        local += c.command_buckets[0][i];
    CHECK(local == 0);
    return test_finish("metrics");
}
