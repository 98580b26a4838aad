/* PRESIGN [DOWNLOAD | UPLOAD] @stage/path: one row (method, headers, url).
 * Stages in S3 get real S3 presigned URLs; stages on local storage get URLs
 * to our own HTTP listener, signed with the data dir's presign key. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "protocol/stage_sql.h"
#include "server/mysql_conn.h"
#include "server/mysql_result.h"
#include "server/presign.h"
#include "server/process.h"
#include "server/session.h"
#include "server/stage_internal.h"
#include "server/stage_store.h"

/* The authority of an absolute URL ("host[:port]"), as the signer saw it. */
static json_t *url_host(const char *url)
{
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    return json_stringn(h, strcspn(h, "/?#"));
}

static int answer(struct mysql_conn *c, const char *method, json_t *headers, const char *url)
{
    char *h = json_dumps(headers, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(headers);
    if (!h)
        return stage_err(c, 4000, "StorageOther", "out of memory");
    struct mysql_column cols[3] = {
        stage_text_col("method", MYSQL_FLAG_NOT_NULL),
        stage_text_col("headers", MYSQL_FLAG_NOT_NULL),
        stage_text_col("url", MYSQL_FLAG_NOT_NULL),
    };
    const char *vals[3] = {method, h, url};
    mysql_result_begin(c, cols, 3);
    stage_send_values(c, cols, vals, 3);
    mysql_result_end(c);
    free(h);
    return 0;
}

int stage_presign_exec(struct mysql_conn *c, const char *sql, size_t len)
{
    struct stage_stmt st;
    if (stage_sql_parse(sql, len, STAGE_STMT_PRESIGN, &st) < 0)
        return stage_parse_failed(c, &st);
    if (storage_key_check(st.path, strlen(st.path)) < 0) {
        int rc =
            stage_err(c, 1006, "BadArguments", "invalid path '%s' in stage '%s'", st.path, st.name);
        stage_stmt_free(&st);
        return rc;
    }
    struct stage_error err;
    const char *user = c->sess->user;
    struct storage *stor =
        stage_store_open(c->srv, user, st.name, st.upload ? STAGE_WRITE : STAGE_READ, &err);
    if (!stor) {
        stage_stmt_free(&st);
        return stage_send_error(c, &err);
    }
    const char *method = st.upload ? "PUT" : "GET";
    json_t *headers = json_object();
    char url[8192];
    int rc;
    if (stor->ops->presign) {
        rc = stor->ops->presign(stor, method, st.path, st.expire, url, sizeof(url));
        if (rc == 0 && stor->remote)
            json_object_set_new(headers, "host", url_host(url));
    } else {
        rc = presign_local_url(c->srv, method, st.name, user, st.path,
                               (int64_t)time(NULL) + st.expire, url, sizeof(url));
    }
    if (st.upload && st.content_type)
        json_object_set_new(headers, "content-type", json_string(st.content_type));
    stor->ops->destroy(stor);
    if (rc < 0) {
        json_decref(headers);
        rc = stage_err(c, 1006, "BadArguments", "cannot presign '%s': the URL would be too long",
                       st.path);
    } else {
        rc = answer(c, method, headers, url);
    }
    stage_stmt_free(&st);
    return rc;
}
