/* Logging to stderr with a level and, where there is one, a connection id. */
#ifndef SP_SERVER_LOG_H
#define SP_SERVER_LOG_H

#include <stdint.h>

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

extern enum log_level log_current_level;

int log_level_parse(const char *s, enum log_level *out);
void log_msg(enum log_level level, const char *prefix, uint32_t id, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define log_error(...) log_msg(LOG_ERROR, NULL, 0, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, NULL, 0, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, NULL, 0, __VA_ARGS__)
#define log_debug(...)                                \
    do {                                              \
        if (log_current_level >= LOG_DEBUG)           \
            log_msg(LOG_DEBUG, NULL, 0, __VA_ARGS__); \
    } while (0)
/* Per-connection forms: "m" for MySQL connections, "h" for HTTP ones. */
#define log_conn(level, prefix, id, ...)                   \
    do {                                                   \
        if (log_current_level >= (level))                  \
            log_msg((level), (prefix), (id), __VA_ARGS__); \
    } while (0)

#endif
