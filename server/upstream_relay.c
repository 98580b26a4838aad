/* Streams the upstream's answer to a command to the client as it arrives:
 * each read buffer goes to the client's socket as it is (the write takes
 * it over), after the sequence ids in its packet headers were shifted to
 * the client's numbering and the answer's last status was adjusted. Only
 * a header and the first bytes of a packet that straddle two reads are
 * copied, into the next buffer's headroom. The client being behind stops
 * the reading. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server/log.h"
#include "server/mysql_conn.h"
#include "server/proxy.h"
#include "server/upstream.h"

#define LOGU(level, up, ...) log_conn(level, "u", (up)->id, __VA_ARGS__)

static void begin_answer(struct upstream *up, uint8_t command, uint8_t seq_delta, bool more_after)
{
    up->seq_delta = seq_delta;
    up->more_after = more_after;
    up->packet_left = 0;
    up->carry_len = 0;
    up->ending = up->infile = false;
    up->seq_from_first = false;
    mysql_reply_begin(&up->reply, command, up->caps);
}

int upstream_command(struct upstream *up, const uint8_t *payload, size_t len, uint8_t client_seq,
                     bool more_after)
{
    if (up->state != UPSTREAM_READY || len == 0)
        return -EINVAL;
    /* the answer's first sequence id follows the command's last chunk */
    uint8_t first_answer_seq = (uint8_t)(len / MYSQL_MAX_PACKET_CHUNK + 1);
    begin_answer(up, payload[0], (uint8_t)(client_seq - first_answer_seq), more_after);
    int rc = upstream_write_packet(up, payload, len, 0);
    if (rc < 0)
        return rc;
    if (!mysql_reply_has_answer(payload[0]))
        return 0; /* nothing comes back: the caller goes on */
    up->state = UPSTREAM_RELAY;
    upstream_resume(up);
    return 1;
}

void upstream_pass_begin(struct upstream *up, uint8_t command)
{
    begin_answer(up, command, 0, false);
    /* Not read until the command is complete: only then is the client's
     * next sequence id known, and an early answer (the upstream refusing the
     * size at the header) must go out with it. */
    upstream_pause(up);
    if (mysql_reply_has_answer(command))
        up->state = UPSTREAM_RELAY;
}

int upstream_pass_end(struct upstream *up, uint8_t client_seq)
{
    up->seq_from_first = up->state == UPSTREAM_RELAY;
    up->client_seq = client_seq;
    upstream_resume(up);
    return up->seq_from_first ? 1 : 0;
}

int upstream_infile_data(struct upstream *up, const uint8_t *payload, size_t len)
{
    int rc = upstream_write_packet(up, payload, len, up->next_seq);
    up->next_seq = (uint8_t)(up->next_seq + len / MYSQL_MAX_PACKET_CHUNK + 1);
    if (len == 0)
        upstream_infile_sent(up);
    return rc;
}

void upstream_infile_sent(struct upstream *up)
{
    mysql_reply_infile_sent(&up->reply); /* the server answers next */
    up->infile = false;
    upstream_resume(up);
}

static void protocol_error(struct upstream *up, const char *what)
{
    struct mysql_conn *c = up->client;
    LOGU(LOG_WARN, up, "upstream answer not understood: %s", what);
    upstream_close(up);
    if (c)
        proxy_upstream_failed(c, 2027, "HY000", "Malformed packet from the upstream MySQL server");
}

/* Judges the packet whose header is at `h` (with its prefix after it). */
static int judge_packet(struct upstream *up, uint8_t *h)
{
    uint32_t plen = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16;
    size_t prefix = plen < MYSQL_REPLY_PREFIX ? plen : MYSQL_REPLY_PREFIX;
    up->next_seq = (uint8_t)(h[3] + 1);
    if (up->seq_from_first) {
        up->seq_delta = (uint8_t)(up->client_seq - h[3]);
        up->seq_from_first = false;
    }
    h[3] = (uint8_t)(h[3] + up->seq_delta);
    enum mysql_reply_event ev = mysql_reply_packet(&up->reply, h + 4, prefix, plen);
    if (ev == MYSQL_REPLY_INVALID)
        return -1;
    if (ev == MYSQL_REPLY_END && !up->reply.error) {
        up->status = up->reply.status;
        size_t off = up->reply.status_offset;
        if (up->more_after && off && off + 1 < prefix)
            h[4 + off] |= SERVER_MORE_RESULTS_EXISTS; /* the client's query goes on after it */
    }
    up->packet_left = plen;
    up->ending = ev == MYSQL_REPLY_END;
    up->infile = ev == MYSQL_REPLY_INFILE;
    return 0;
}

/* Bytes needed at `p` before the packet there can be judged. */
static size_t needed(const uint8_t *p, size_t avail)
{
    if (avail < 4)
        return 4;
    uint32_t plen = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
    return 4 + (plen < MYSQL_REPLY_PREFIX ? plen : MYSQL_REPLY_PREFIX);
}

static void finish_answer(struct upstream *up)
{
    struct mysql_conn *c = up->client;
    if (up->infile) {
        up->state = UPSTREAM_RELAY;
        if (c)
            proxy_answer_infile(c, (uint8_t)(up->next_seq + up->seq_delta));
        return;
    }
    up->state = UPSTREAM_READY;
    if (c)
        proxy_answer_done(c, &up->reply, (uint8_t)(up->next_seq + up->seq_delta));
}

/* Between answers the upstream speaks only to end the session: MariaDB
 * sends an ERR when the connection is killed or the server shuts down. */
static void unsolicited(struct upstream *up, uint8_t *base, const uint8_t *data, size_t len)
{
    struct mysql_err_info e;
    uint32_t plen =
        len >= 4 ? (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 : 0;
    bool is_err = len >= 4 && 4 + (size_t)plen <= len && mysql_parse_err(data + 4, plen, &e) == 0;
    upstream_buf_put(up, base);
    if (!is_err) {
        protocol_error(up, "bytes while no answer was due");
        return;
    }
    struct mysql_conn *c = up->client;
    LOGU(LOG_INFO, up, "the upstream ended the session: %u %s", e.code, e.message);
    upstream_close(up);
    if (c)
        proxy_upstream_ended(c, &e);
}

void upstream_relay_read(struct upstream *up, uint8_t *base, uint8_t *data, size_t len)
{
    if (up->state == UPSTREAM_READY) {
        unsolicited(up, base, data, len);
        return;
    }
    if (up->state != UPSTREAM_RELAY || up->infile) {
        upstream_buf_put(up, base);
        protocol_error(up, "bytes while no answer was due");
        return;
    }
    data -= up->carry_len; /* the headroom takes what the last read left */
    memcpy(data, up->carry, up->carry_len);
    len += up->carry_len;
    up->carry_len = 0;
    size_t pos = 0;
    bool done = false;
    while (pos < len && !done) {
        if (up->packet_left == 0 && !up->ending && !up->infile) {
            size_t need = needed(data + pos, len - pos);
            if (len - pos < need) {
                up->carry_len = len - pos;
                memcpy(up->carry, data + pos, up->carry_len);
                break;
            }
            if (judge_packet(up, data + pos) < 0) {
                upstream_buf_put(up, base);
                protocol_error(up, "a packet this answer cannot hold");
                return;
            }
            pos += 4;
        }
        size_t take = len - pos < up->packet_left ? len - pos : up->packet_left;
        pos += take;
        up->packet_left -= (uint32_t)take;
        done = up->packet_left == 0 && (up->ending || up->infile);
    }
    if (done && pos < len) {
        upstream_buf_put(up, base);
        protocol_error(up, "bytes after the end of an answer");
        return;
    }
    size_t fwd = up->carry_len ? len - up->carry_len : len;
    struct mysql_conn *c = up->client;
    if (!c || fwd == 0 || !mysql_conn_forward(c, base, data, fwd))
        upstream_buf_put(up, base);
    if (done) {
        up->ending = false;
        if (up->infile) /* read again once the file is sent */
            upstream_pause(up);
        finish_answer(up); /* reading on: a session ended while idle is noticed */
    } else if (c && mysql_conn_backlogged(c)) {
        upstream_pause(up); /* resumed when the client drains */
        proxy_client_backlogged(c);
    }
}
