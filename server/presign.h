/* Presigned URLs to our own HTTP listener, for stages on local storage:
 * HMAC-SHA256 over method, stage, user, path and expiry with a secret kept
 * in the data dir (DATA/presign.key, 0600), so URLs stay valid across
 * restarts and stop working when the key file is replaced. */
#ifndef SP_SERVER_PRESIGN_H
#define SP_SERVER_PRESIGN_H

#include <stddef.h>
#include <stdint.h>

struct server;
struct http_conn;

#define PRESIGN_KEY_LEN 32

/* Loads the key, creating it on first start. 0 or -1 (logged). */
int presign_key_load(struct server *srv);

/* The URL of `path` in `stage` for `method` ("GET" or "PUT"), valid until
 * `expires` (Unix seconds). 0 or -ENAMETOOLONG. */
int presign_local_url(struct server *srv, const char *method, const char *stage, const char *user,
                      const char *path, int64_t expires, char *out, size_t cap);

/* Checks a request carrying expires/user/signature parameters. On success
 * the request runs as the signing user and 0 is returned; otherwise a 403
 * has been answered and -1 is returned. */
int presign_check_request(struct http_conn *h);

#endif
