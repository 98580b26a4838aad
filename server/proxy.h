/* Proxy mode (--upstream): what the client connection asks of it. The
 * upstream's side is server/upstream.h. */
#ifndef SP_SERVER_PROXY_H
#define SP_SERVER_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mysql_conn;
struct server;

bool proxy_mode(const struct server *srv);
/* At accept: open the upstream connection; our greeting waits for its. */
int proxy_accept(struct mysql_conn *c);
/* The client authenticated with us: log in upstream, then answer it. */
void proxy_login_upstream(struct mysql_conn *c);
void proxy_command_packet(struct mysql_conn *c, const uint8_t *p, size_t len);
/* A LOCAL INFILE data packet from the client, whole; or the end of one
 * passed on as it arrived (infile_passed). */
void proxy_infile_packet(struct mysql_conn *c, const uint8_t *p, size_t len);
void proxy_infile_passed(struct mysql_conn *c);
/* 1: the answer follows asynchronously; 0: the command has none; -1: an
 * error was sent. */
int proxy_forward(struct mysql_conn *c, const uint8_t *payload, size_t len, bool more_after);
int proxy_forward_query(struct mysql_conn *c, const char *sql, size_t len, bool more_after);
/* True when the command at `p` (whole or its first bytes) goes to the
 * upstream as it is: no stage statement in it, no local statement id. */
bool proxy_command_is_upstream(const struct mysql_conn *c, const uint8_t *p, size_t len);
/* Big commands passed on as they arrive (server/proxy_pass.c): called
 * while a command packet is incomplete, with each byte consumed once it is
 * passed on (LOCAL INFILE packets' too), and when it is complete. */
void proxy_pass_consider(struct mysql_conn *c);
void proxy_pass_bytes(struct mysql_conn *c, const uint8_t *data, size_t len);
void proxy_pass_end(struct mysql_conn *c);
/* The client's upstream session is gone, closed by itself or by us: the
 * connection forgets it, and `counter` (lost or refused, or NULL) counts it. */
void proxy_upstream_gone(struct mysql_conn *c, uint64_t *counter);
/* The 2013 of a command whose answer will never come. */
void proxy_send_lost_during_query(struct mysql_conn *c);
/* The client is behind: the relay waits for it to drain. */
void proxy_client_backlogged(struct mysql_conn *c);

#endif
