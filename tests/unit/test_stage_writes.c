/* Uploads in flight against DROP STAGE / CREATE OR REPLACE: who is
 * cancelled, when the purge may go on, and what is refused meanwhile. */
#include <errno.h>

#include "server/catalog.h"
#include "server/process.h"
#include "server/stage_store.h"
#include "server/stage_writes.h"
#include "test.h"

static struct server srv;
static int cancels, stops;

static void count_cancel(struct stage_write *w)
{
    (void)w;
    cancels++;
}

/* An upload with no storage call in flight ends as soon as it is cancelled. */
static void end_at_once(struct stage_write *w)
{
    cancels++;
    stage_write_end(&srv, w);
}

static void stopped_cb(void *arg)
{
    (void)arg;
    stops++;
}

int main(void)
{
    stage_writes_init(&srv);
    srv.catalog.journal_fd = -1;
    catalog_put(&srv.catalog, stage_def_new("s", STAGE_INTERNAL));
    catalog_put(&srv.catalog, stage_def_new("t", STAGE_INTERNAL));
    catalog_put(&srv.catalog, stage_def_new("ext", STAGE_EXTERNAL));
    struct stage_error err;
    struct stage_write a, b, other, ext, mine, late;

    CHECK_EQ(stage_write_begin(&srv, &a, "s", count_cancel, &err), 0);
    CHECK_EQ(stage_write_begin(&srv, &b, "s", count_cancel, &err), 0);
    CHECK_EQ(stage_write_begin(&srv, &other, "t", count_cancel, &err), 0);
    CHECK_EQ(stage_write_begin(&srv, &ext, "ext", count_cancel, &err), 0);
    CHECK_EQ(stage_write_begin(&srv, &mine, "~", count_cancel, &err), 0);

    /* only the stage's own uploads are cancelled, and the purge waits for both */
    CHECK_EQ(stage_writes_stop(&srv, "s", stopped_cb, NULL), 1);
    CHECK_EQ(cancels, 2);
    CHECK_EQ(stage_writes_stop(&srv, "s", stopped_cb, NULL), -EBUSY);
    CHECK_EQ(stage_write_begin(&srv, &late, "s", count_cancel, &err), -EBUSY);
    CHECK_EQ(err.code, 2501);
    CHECK(strstr(err.text, "Stage 's' is being dropped or replaced") != NULL);
    stage_write_end(&srv, &late); /* never begun: nothing happens */
    stage_write_end(&srv, &other);
    stage_write_end(&srv, &a);
    CHECK_EQ(stops, 0);
    stage_write_end(&srv, &b);
    CHECK_EQ(stops, 1);
    stage_write_end(&srv, &b); /* twice is harmless */
    CHECK_EQ(stops, 1);

    /* after the DROP or REPLACE, uploads are welcome again */
    CHECK_EQ(stage_write_begin(&srv, &late, "t", count_cancel, &err), 0);
    CHECK_EQ(stage_write_begin(&srv, &a, "s", count_cancel, &err), -EBUSY);
    stage_writes_resume(&srv, "s");
    CHECK_EQ(stage_write_begin(&srv, &a, "s", end_at_once, &err), 0);

    /* uploads that end while being cancelled: the purge goes on at once */
    cancels = 0;
    CHECK_EQ(stage_writes_stop(&srv, "s", stopped_cb, NULL), 0);
    CHECK_EQ(cancels, 1);
    CHECK_EQ(stops, 1);
    stage_writes_resume(&srv, "s");

    /* an external stage's uploads are stopped and waited for as well (its
     * DROP or REPLACE must not answer before they end); a user's never */
    CHECK_EQ(stage_writes_stop(&srv, "ext", stopped_cb, NULL), 1);
    CHECK_EQ(cancels, 2);
    CHECK_EQ(stage_write_begin(&srv, &b, "ext", count_cancel, &err), -EBUSY);
    stage_write_end(&srv, &ext);
    CHECK_EQ(stops, 2);
    stage_writes_resume(&srv, "ext");
    CHECK_EQ(stage_write_begin(&srv, &ext, "ext", count_cancel, &err), 0);
    CHECK_EQ(stage_writes_stop(&srv, "~", stopped_cb, NULL), 0);
    CHECK_EQ(cancels, 2);
    stage_writes_resume(&srv, "~");
    stage_writes_resume(&srv, NULL);

    stage_write_end(&srv, &late);
    stage_write_end(&srv, &ext);
    stage_write_end(&srv, &mine);
    stage_writes_free(&srv);
    catalog_free(&srv.catalog);
    return test_finish("stage_writes");
}
