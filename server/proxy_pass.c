/* Proxy mode: a command too big to hold (a 32 MiB blob in an INSERT or a
 * COM_STMT_EXECUTE) is passed on to the upstream as it arrives, so memory
 * stays bounded whatever its size. Its first bytes decide: only a command
 * that is plainly the upstream's is passed on; the rest are held whole
 * (up to max_allowed_packet) and routed as usual. */
#include "server/log.h"
#include "server/mysql_conn.h"
#include "server/process.h"
#include "server/proxy.h"
#include "server/upstream.h"

/* Bytes seen before judging, and the size from which a command is passed
 * on: stage statements are short, so one inside a big multi-statement
 * shows within the prefix (it is then held and split as usual). */
#define PASS_PREFIX (64 * 1024)
#define PASS_MIN    (1024 * 1024)

/* The upstream could not take the bytes: the rest of the command is read
 * and dropped, and its end tells the client the connection was lost. */
static void lose_upstream(struct mysql_conn *c)
{
    log_conn(LOG_WARN, "m", c->id, "upstream lost while a command was passed on to it");
    upstream_close(c->up);
    proxy_upstream_gone(c, &mysql_conn_loop(c)->metrics.upstream_lost_total);
}

void proxy_pass_consider(struct mysql_conn *c)
{
    struct mysql_asm *a = &c->in;
    if (c->pass_judged || a->payload.len < PASS_PREFIX || a->declared < PASS_MIN)
        return;
    c->pass_judged = true;
    if (!c->up || !proxy_command_is_upstream(c, a->payload.data, a->payload.len))
        return;
    uint8_t command = a->payload.data[0];
    upstream_pass_begin(c->up, command);
    /* the bytes so far, as they came: the first chunk's header and its start */
    if (upstream_write_raw(c->up, a->hdr, 4) < 0 ||
        upstream_write_raw(c->up, a->payload.data, a->payload.len) < 0)
        lose_upstream(c);
    if (command == COM_QUERY)
        metrics_add(&mysql_conn_loop(c)->metrics.questions, 1);
    if (command == COM_STMT_PREPARE)
        c->prepared_local = false;
    mysql_conn_command_begin(c);
    c->command_upstream = true;
    mysql_asm_discard(a);
}

void proxy_pass_bytes(struct mysql_conn *c, const uint8_t *data, size_t len)
{
    /* once the upstream is gone the rest is read and dropped */
    if (c->up && upstream_write_raw(c->up, data, len) < 0)
        lose_upstream(c);
}

void proxy_pass_end(struct mysql_conn *c)
{
    if (!c->up) {
        proxy_send_lost_during_query(c);
        return;
    }
    if (upstream_pass_end(c->up, c->seq) == 1)
        mysql_conn_async_begin(c); /* its answer ends the command */
}
