#include "server/stage_writes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server/catalog.h"
#include "server/process.h"
#include "server/stage_store.h"

/* A stage whose uploads are being stopped, until its DROP or REPLACE ends. */
struct stage_closing {
    struct list_node node;
    char *name;
    stage_writes_stopped_cb cb; /* NULL once called, or while cancelling */
    void *arg;
};

static struct stage_closing *closing_find(struct server *srv, const char *name)
{
    struct list_node *n, *tmp;
    LIST_FOREACH_SAFE (n, tmp, &srv->stage_closings) {
        struct stage_closing *c = LIST_CONTAINER(n, struct stage_closing, node);
        if (strcmp(c->name, name) == 0)
            return c;
    }
    return NULL;
}

static bool writes_left(struct server *srv, const char *name)
{
    struct list_node *n, *tmp;
    LIST_FOREACH_SAFE (n, tmp, &srv->stage_writes) {
        struct stage_write *w = LIST_CONTAINER(n, struct stage_write, node);
        if (w->stage && strcmp(w->stage, name) == 0)
            return true;
    }
    return false;
}

int stage_write_begin(struct server *srv, struct stage_write *w, const char *name,
                      void (*cancel)(struct stage_write *w), struct stage_error *err)
{
    memset(w, 0, sizeof(*w));
    w->cancel = cancel;
    const struct stage_def *d = strcmp(name, "~") ? catalog_find(&srv->catalog, name) : NULL;
    if (d) {
        if (closing_find(srv, d->name)) {
            stage_error_set(err, 2501, "UnknownStage", "Stage '%s' is being dropped or replaced",
                            d->name);
            return -EBUSY;
        }
        if (!(w->stage = strdup(d->name))) {
            stage_error_set(err, 4000, "StorageOther", "out of memory");
            return -ENOMEM;
        }
    }
    list_push_back(&srv->stage_writes, &w->node);
    return 0;
}

void stage_write_end(struct server *srv, struct stage_write *w)
{
    if (!w->node.next)
        return; /* never begun */
    list_remove(&w->node);
    char *stage = w->stage;
    w->stage = NULL;
    struct stage_closing *c = stage ? closing_find(srv, stage) : NULL;
    if (c && c->cb && !writes_left(srv, stage)) {
        stage_writes_stopped_cb cb = c->cb;
        c->cb = NULL;
        cb(c->arg);
    }
    free(stage);
}

int stage_writes_stop(struct server *srv, const char *name, stage_writes_stopped_cb cb, void *arg)
{
    if (closing_find(srv, name))
        return -EBUSY;
    struct stage_closing *c = calloc(1, sizeof(*c));
    if (!c || !(c->name = strdup(name))) {
        free(c);
        return -ENOMEM;
    }
    list_push_back(&srv->stage_closings, &c->node);
    /* a cancel may end its write at once: c->cb is still NULL then */
    struct list_node *n, *tmp;
    LIST_FOREACH_SAFE (n, tmp, &srv->stage_writes) {
        struct stage_write *w = LIST_CONTAINER(n, struct stage_write, node);
        if (w->stage && strcmp(w->stage, name) == 0 && !w->cancelled) {
            w->cancelled = true;
            w->cancel(w);
        }
    }
    if (!writes_left(srv, name))
        return 0;
    c->cb = cb;
    c->arg = arg;
    return 1;
}

void stage_writes_resume(struct server *srv, const char *name)
{
    struct stage_closing *c = name ? closing_find(srv, name) : NULL;
    if (!c)
        return;
    list_remove(&c->node);
    free(c->name);
    free(c);
}

void stage_writes_init(struct server *srv)
{
    list_init(&srv->stage_writes);
    list_init(&srv->stage_closings);
}

void stage_writes_free(struct server *srv)
{
    struct list_node *n, *tmp;
    LIST_FOREACH_SAFE (n, tmp, &srv->stage_closings) {
        struct stage_closing *c = LIST_CONTAINER(n, struct stage_closing, node);
        list_remove(&c->node);
        free(c->name);
        free(c);
    }
}
