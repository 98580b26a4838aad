#include "server/loop_ctx.h"

#include <stdlib.h>

#include <string.h>

void loop_ctx_init(struct loop_ctx *lc, struct server *srv, struct relay *relay, uv_loop_t *loop)
{
    lc->srv = srv;
    lc->relay = relay;
    memset(&lc->metrics, 0, sizeof(lc->metrics));
    buf_init(&lc->scratch);
    lc->read_buf_busy = false;
    list_init(&lc->move_pending);
    uv_check_init(loop, &lc->move_check);
    lc->move_check.data = lc;
    loop->data = lc;
}

void loop_ctx_free(struct loop_ctx *lc)
{
    buf_free(&lc->scratch);
    free(lc->upstream_spare);
    lc->upstream_spare = NULL;
}

void loop_ctx_alloc_cb(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    struct loop_ctx *lc = loop_ctx_of(handle);
    (void)suggested;
    if (lc->read_buf_busy) {
        buf->base = NULL;
        buf->len = 0;
        return;
    }
    lc->read_buf_busy = true;
    buf->base = (char *)lc->read_buf;
    buf->len = sizeof(lc->read_buf);
}
