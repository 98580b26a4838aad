/* Proxy mode on the client's side: the greeting waits for the upstream's
 * and mirrors it, the login completes once the upstream accepted ours, and
 * what the upstream says (answers, LOCAL INFILE requests, failures) is
 * turned into the client connection's next step. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/config.h"
#include "server/log.h"
#include "server/mysql_conn.h"
#include "server/mysql_stmt.h"
#include "server/process.h"
#include "server/proxy.h"
#include "server/relay.h"
#include "server/session.h"
#include "server/upstream.h"

#define LOGC(level, c, ...) log_conn(level, "m", (c)->id, __VA_ARGS__)

bool proxy_mode(const struct server *srv)
{
    return srv->cfg->upstream[0] != '\0';
}

int proxy_accept(struct mysql_conn *c)
{
    c->up = upstream_open(c);
    return c->up ? 0 : -1;
}

void proxy_upstream_greeted(struct mysql_conn *c, const struct mysql_server_greeting *g)
{
    /* the upstream's thread id: CONNECTION_ID(), the processlist and KILL agree */
    c->id = g->thread_id;
    mysql_handshake_start(c);
    mysql_conn_flush(c);
}

void proxy_login_upstream(struct mysql_conn *c)
{
    const char *user, *password;
    if (!c->up) {
        proxy_upstream_failed(c, 2013, "HY000", "the upstream MySQL server is gone");
        return;
    }
    config_upstream_account(c->srv->cfg, c->sess->user, &user, &password);
    mysql_conn_async_begin(c);
    c->prepared_local = false;
    if (c->up->state == UPSTREAM_GREETED)
        upstream_login(c->up, user, password, c->sess->database, (uint8_t)c->auth_charset, c->caps);
    else /* COM_CHANGE_USER: the upstream session changes user too */
        upstream_change_user(c->up, user, password, c->sess->database, c->auth_charset);
}

void proxy_upstream_logged_in(struct mysql_conn *c, uint16_t status)
{
    c->up_status = status;
    LOGC(LOG_INFO, c, "login '%s'@'%s'%s%s, upstream session open", c->sess->user, c->peer_ip,
         c->tls ? " over " : "", c->tls ? tls_filter_version(c->tls) : "");
    mysql_conn_set_state(c, MYSQL_CONN_COMMAND);
    mysql_asm_expect(&c->in, 0); /* set for the login when its packet was read */
    mysql_conn_authenticated(c);
    mysql_move_logged_in(c);
    mysql_conn_send_ok(c, 0, 0, NULL);
    mysql_conn_async_end(c);
}

void proxy_upstream_gone(struct mysql_conn *c, uint64_t *counter)
{
    c->up = NULL;
    c->upstream_lost = true;
    if (counter)
        metrics_add(counter, 1);
}

void proxy_send_lost_during_query(struct mysql_conn *c)
{
    mysql_conn_send_err_text(c, 2013, "HY000",
                             "Lost connection to the upstream MySQL server during query");
}

void proxy_upstream_failed(struct mysql_conn *c, uint16_t code, const char *sqlstate,
                           const char *msg)
{
    /* it closed itself */
    if (c->state == MYSQL_CONN_CLOSING) {
        proxy_upstream_gone(c, NULL);
        return;
    }
    bool logged_in = c->state == MYSQL_CONN_COMMAND || c->state == MYSQL_CONN_INFILE;
    proxy_upstream_gone(c, logged_in ? &mysql_conn_loop(c)->metrics.upstream_lost_total
                                     : &mysql_conn_loop(c)->metrics.upstream_refused_total);
    if (!logged_in) {
        /* before the login completed: refuse it with the upstream's words
         * (in place of the greeting, when that has not gone out yet). Codes
         * of 2000 and up are the client library's own: libmariadb takes
         * one from a server at login for a malformed packet. */
        mysql_conn_send_err_text(c, code >= 2000 ? 1105 : code, sqlstate, msg);
        mysql_conn_close_after_flush(c, "upstream refused or unreachable");
        if (c->busy)
            mysql_conn_async_end(c);
        return;
    }
    LOGC(LOG_WARN, c, "upstream lost: %s", msg);
    if (c->busy) { /* a command was waiting for its answer */
        mysql_conn_set_state(c, MYSQL_CONN_COMMAND);
        proxy_send_lost_during_query(c);
        mysql_command_statement_done(c, -1);
        return;
    }
    /* input held back for the upstream's sake (a command being passed on)
     * is read now, and dropped */
    mysql_conn_resume_input(c);
}

void proxy_upstream_ended(struct mysql_conn *c, const struct mysql_err_info *e)
{
    if (c->busy || c->state != MYSQL_CONN_COMMAND) { /* a stage statement runs: it finishes */
        proxy_upstream_failed(c, e->code, e->sqlstate, e->message);
        return;
    }
    /* as the upstream would to a direct client: its words, then the end */
    proxy_upstream_gone(c, &mysql_conn_loop(c)->metrics.upstream_lost_total);
    c->seq = 0;
    mysql_conn_send_err_text(c, e->code, e->sqlstate, e->message);
    mysql_conn_close_after_flush(c, "the upstream ended the session");
}

void proxy_answer_done(struct mysql_conn *c, const struct mysql_reply *r, uint8_t client_seq)
{
    c->seq = client_seq;
    if (!r->error) {
        c->up_status = r->status;
    } else {
        metrics_mysql_error(&mysql_conn_loop(c)->metrics, r->error_code);
        if (c->sess)
            session_note_error(c->sess, r->error_code, "");
    }
    if (!r->error && r->command == COM_SET_OPTION && c->sess)
        c->sess->multi_statements = c->pending_multi;
    if (c->pending_kill) {
        struct mysql_conn *target = r->error ? NULL : mysql_conn_find(c->srv, c->pending_kill);
        if (target && target != c)
            mysql_conn_close(target, "killed by KILL");
        else if (!r->error && !target) /* on a relay thread, or none of ours */
            relay_kill_all(c->srv, c->pending_kill);
        c->pending_kill = 0;
    }
    if (!r->error && r->command == COM_RESET_CONNECTION && c->sess) {
        stmt_close_all(c->sess); /* the upstream dropped its statements too */
        c->prepared_local = false;
    }
    mysql_command_statement_done(c, r->error ? -1 : 0);
}

void proxy_answer_infile(struct mysql_conn *c, uint8_t client_seq)
{
    c->seq = client_seq;
    mysql_conn_set_state(c, MYSQL_CONN_INFILE);
    mysql_asm_expect(&c->in, client_seq);
    /* Where the client numbers its packets as the upstream expects them (a
     * command forwarded as it came), the file goes on as it arrives, so a
     * client's 16 MiB packets are never held; else each is reframed. */
    c->infile_passed = c->up && c->up->seq_delta == 0;
    if (c->infile_passed)
        mysql_asm_discard(&c->in);
    c->busy = false;
    mysql_conn_resume_input(c);
}

static void infile_complete(struct mysql_conn *c)
{
    /* its answer comes from the upstream */
    c->infile_passed = false;
    mysql_conn_set_state(c, MYSQL_CONN_COMMAND);
    mysql_conn_async_begin(c);
}

void proxy_infile_packet(struct mysql_conn *c, const uint8_t *p, size_t len)
{
    if (!c->up || upstream_infile_data(c->up, p, len) < 0) {
        mysql_conn_close(c, "upstream gone during LOCAL INFILE");
        return;
    }
    if (len == 0)
        infile_complete(c);
}

void proxy_infile_passed(struct mysql_conn *c)
{
    if (!c->up) {
        mysql_conn_close(c, "upstream gone during LOCAL INFILE");
        return;
    }
    if (c->in.declared > 0)
        return; /* the next packet is passed on too (mysql_conn.c) */
    upstream_infile_sent(c->up);
    infile_complete(c);
}

static void relay_drained(struct mysql_conn *c)
{
    if (c->up)
        upstream_resume(c->up);
}

void proxy_client_backlogged(struct mysql_conn *c)
{
    c->on_drain = relay_drained;
}

/* Sends one command (or a run of statements) upstream; 1 when its answer
 * follows asynchronously, 0 when it has none, -1 after an error was sent. */
int proxy_forward(struct mysql_conn *c, const uint8_t *payload, size_t len, bool more_after)
{
    if (!c->up || c->up->state != UPSTREAM_READY) {
        mysql_conn_send_err_text(c, 2006, "HY000",
                                 "the upstream MySQL server has gone away; reconnect to open a "
                                 "new session (stage statements still work on this one)");
        return -1;
    }
    int rc = upstream_command(c->up, payload, len, c->seq, more_after);
    c->command_upstream = true;
    if (rc < 0) {
        proxy_send_lost_during_query(c);
        return -1;
    }
    if (rc == 1)
        mysql_conn_async_begin(c);
    return rc;
}

/* COM_QUERY text for the upstream: the command byte and the statements. */
int proxy_forward_query(struct mysql_conn *c, const char *sql, size_t len, bool more_after)
{
    uint8_t *p = malloc(len + 1);
    if (!p) {
        mysql_conn_close(c, "out of memory");
        return -1;
    }
    p[0] = COM_QUERY;
    memcpy(p + 1, sql, len);
    int rc = proxy_forward(c, p, len + 1, more_after);
    free(p);
    return rc;
}
