/* Logging to stderr with a level and, where there is one, a connection id. */
#ifndef SP_SERVER_LOG_H
#define SP_SERVER_LOG_H

#include <stdint.h>

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Set on the main thread (at start and on SIGHUP), read on every thread. */
extern enum log_level log_current_level;

static inline enum log_level log_level_now(void)
{
    return __atomic_load_n(&log_current_level, __ATOMIC_RELAXED);
}

static inline void log_set_level(enum log_level level)
{
    __atomic_store_n(&log_current_level, level, __ATOMIC_RELAXED);
}

int log_level_parse(const char *s, enum log_level *out);
void log_msg(enum log_level level, const char *prefix, uint32_t id, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define log_error(...) log_msg(LOG_ERROR, NULL, 0, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, NULL, 0, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, NULL, 0, __VA_ARGS__)
#define log_debug(...)                                \
    do {                                              \
        if (log_level_now() >= LOG_DEBUG)             \
            log_msg(LOG_DEBUG, NULL, 0, __VA_ARGS__); \
    } while (0)
/* Per-connection forms: "m" for MySQL connections, "h" for HTTP ones. */
#define log_conn(level, prefix, id, ...)                   \
    do {                                                   \
        if (log_level_now() >= (level))                    \
            log_msg((level), (prefix), (id), __VA_ARGS__); \
    } while (0)

#endif
