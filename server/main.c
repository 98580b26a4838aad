/* stageproxy: wiring and the event loop. */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#include "server/config.h"
#include "server/log.h"
#include "server/process.h"

extern char **environ;

int main(int argc, char **argv)
{
    struct config cfg;
    switch (config_load(&cfg, argc, argv, environ)) {
    case CONFIG_EXIT_OK:
        config_free(&cfg);
        return 0;
    case CONFIG_EXIT_USAGE:
        config_free(&cfg);
        return 2;
    case CONFIG_OK:
        break;
    }
    enum log_level level;
    log_level_parse(cfg.log_level, &level);
    log_set_level(level);
    /* Big buffers (S3 parts, large packets) are mapped, so they go back to
     * the system when freed; by default glibc raises this threshold after
     * the first such free and then keeps them in the heap for ever. */
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    /* A client that vanishes must not kill the process. */
    signal(SIGPIPE, SIG_IGN);
    static struct server srv;
    uv_loop_t *loop = uv_default_loop();
    int status = 0;
    if (server_init(&srv, loop, &cfg) < 0) {
        status = 1;
    } else if (server_start(&srv) < 0) {
        status = 1;
        server_begin_shutdown(&srv); /* closes what server_start opened */
    }
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    server_free(&srv);
    config_free(&cfg);
    if (status == 0)
        log_info("stopped");
    return status;
}
