/* Uploads in flight to named stages, so that DROP STAGE and CREATE OR
 * REPLACE can stop them first: otherwise an upload that commits after the
 * purge of an internal stage would leave its file in the dropped stage (and
 * a stage created later under the same name would show it), and one into an
 * external stage would land where no stage points any more, after the
 * client was told it was gone. */
#ifndef SP_SERVER_STAGE_WRITES_H
#define SP_SERVER_STAGE_WRITES_H

#include <stdbool.h>

#include "server/list.h"

struct server;
struct stage_error;

struct stage_write {
    struct list_node node;
    char *stage; /* NULL: a user's stage, never dropped */
    /* The stage is going away: end the upload with an error. The write
     * still counts until stage_write_end. */
    void (*cancel)(struct stage_write *w);
    bool cancelled;
};

/* Registers an upload to stage `name` ("~" for the user's own). Refused,
 * with *err filled, while the stage is being dropped or replaced. */
int stage_write_begin(struct server *srv, struct stage_write *w, const char *name,
                      void (*cancel)(struct stage_write *w), struct stage_error *err);
/* Once the upload's storage is idle (a commit in flight has landed). */
void stage_write_end(struct server *srv, struct stage_write *w);

typedef void (*stage_writes_stopped_cb)(void *arg);
/* Stops uploads to `name`: new ones are refused and running ones
 * cancelled. 0 when none is left (go on at once), 1 when `cb` runs once
 * the last has ended, -EBUSY when another statement is stopping them. */
int stage_writes_stop(struct server *srv, const char *name, stage_writes_stopped_cb cb, void *arg);
/* Uploads to `name` are welcome again (the DROP or REPLACE is over); NULL: nothing. */
void stage_writes_resume(struct server *srv, const char *name);

void stage_writes_init(struct server *srv);
void stage_writes_free(struct server *srv);

#endif
