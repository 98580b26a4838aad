/* Every error a MySQL client can see comes from this one table: number,
 * SQLSTATE and message format. */
#ifndef SP_SERVER_MYSQL_ERRORS_H
#define SP_SERVER_MYSQL_ERRORS_H

#include <stdint.h>

#define MYSQL_ERRORS(X)                                                                          \
    X(ER_OUT_OF_SORTMEMORY, 1038, "HY001", "Out of sort memory: %s")                             \
    X(ER_CON_COUNT, 1040, "08004", "Too many connections")                                       \
    X(ER_HANDSHAKE, 1043, "08S01", "Bad handshake")                                              \
    X(ER_ACCESS_DENIED, 1045, "28000", "Access denied for user '%s'@'%s' (using password: %s)")  \
    X(ER_NO_DB, 1046, "3D000", "No database selected")                                           \
    X(ER_UNKNOWN_COM, 1047, "08S01", "Unknown command")                                          \
    X(ER_BAD_DB, 1049, "42000", "Unknown database '%s'")                                         \
    X(ER_SERVER_SHUTDOWN, 1053, "08S01", "Server shutdown in progress")                          \
    X(ER_BAD_FIELD, 1054, "42S22", "Unknown column '%s' in '%s'")                                \
    X(ER_WRONG_GROUP_FIELD, 1056, "42000", "Can't group on '%s'")                                \
    X(ER_PARSE, 1064, "42000",                                                                   \
      "You have an error in your SQL syntax; check the manual that corresponds to your MySQL "   \
      "server version for the right syntax to use near '%s' at line %d")                         \
    X(ER_EMPTY_QUERY, 1065, "42000", "Query was empty")                                          \
    X(ER_BAD_TABLE, 1051, "42S02", "Unknown table '%s'")                                         \
    X(ER_NO_SUCH_THREAD, 1094, "HY000", "Unknown thread id: %lu")                                \
    X(ER_KILL_DENIED, 1095, "HY000", "You are not owner of thread %lu")                          \
    X(ER_NO_TABLES_USED, 1096, "HY000", "No tables used")                                        \
    X(ER_UNKNOWN, 1105, "HY000", "%s")                                                           \
    X(ER_INVALID_GROUP_FUNC_USE, 1111, "HY000", "Invalid use of group function")                 \
    X(ER_UNKNOWN_CHARACTER_SET, 1115, "42000", "Unknown character set: '%s'")                    \
    X(ER_NO_SUCH_TABLE, 1146, "42S02", "Table '%s.%s' doesn't exist")                            \
    X(ER_NET_PACKET_TOO_LARGE, 1153, "08S01",                                                    \
      "Got a packet bigger than 'max_allowed_packet' bytes")                                     \
    X(ER_NET_PACKETS_OUT_OF_ORDER, 1156, "08S01", "Got packets out of order")                    \
    X(ER_QUERY_INTERRUPTED, 1317, "70100", "Query execution was interrupted")                    \
    X(ER_UNKNOWN_SYSTEM_VARIABLE, 1193, "HY000", "Unknown system variable '%s'")                 \
    X(ER_WRONG_ARGUMENTS, 1210, "HY000", "Incorrect arguments to %s")                            \
    X(ER_SPECIFIC_ACCESS_DENIED, 1227, "42000",                                                  \
      "Access denied; you need (at least one of) the %s privilege(s) for this operation")        \
    X(ER_GLOBAL_VARIABLE, 1229, "HY000",                                                         \
      "Variable '%s' is a GLOBAL variable and should be set with SET GLOBAL")                    \
    X(ER_WRONG_VALUE_FOR_VAR, 1231, "42000", "Variable '%s' can't be set to the value of '%s'")  \
    X(ER_NOT_SUPPORTED_YET, 1235, "42000", "This version of MySQL doesn't yet support '%s'")     \
    X(ER_INCORRECT_GLOBAL_LOCAL_VAR, 1238, "HY000", "Variable '%s' is a %s variable")            \
    X(ER_UNKNOWN_STMT_HANDLER, 1243, "HY000",                                                    \
      "Unknown prepared statement handler (%u) given to %s")                                     \
    X(ER_UNKNOWN_COLLATION, 1273, "HY000", "Unknown collation: '%s'")                            \
    X(ER_UNKNOWN_TIME_ZONE, 1298, "HY000", "Unknown or incorrect time zone: '%s'")               \
    X(ER_PS_MANY_PARAM, 1390, "HY000", "Prepared statement contains too many placeholders")      \
    X(ER_TOO_BIG_SCALE, 1425, "42000", "Too big scale specified for '%s'. Maximum is %d")        \
    X(ER_TOO_BIG_PRECISION, 1426, "42000",                                                       \
      "Too big precision specified for '%s'. "                                                   \
      "Maximum is %d")                                                                           \
    X(ER_M_BIGGER_THAN_D, 1427, "42000",                                                         \
      "For float(M,D), double(M,D) or decimal(M,D), M must be >= D (column '%s')")               \
    X(ER_WRONG_PARAMCOUNT, 1582, "42000",                                                        \
      "Incorrect parameter count in the call to native function '%s'")                           \
    X(ER_UNKNOWN_DATA_TYPE, 4161, "HY000", "Unknown data type: '%s'")                            \
    X(ER_NO_UPSTREAM, 1105, "HY000",                                                             \
      "No upstream database is configured: only stage statements and session set-up statements " \
      "run here (%s)")                                                                           \
    X(ER_STAGE_NOT_IMPLEMENTED, 1105, "HY000",                                                   \
      "Unimplemented. Code: 1002, Text = %s is not implemented yet.")

enum mysql_error {
#define X(name, code, state, fmt) name,
    MYSQL_ERRORS(X)
#undef X
        MYSQL_ERROR_COUNT
};

struct mysql_error_info {
    uint16_t code;
    const char *sqlstate;
    const char *fmt;
};

const struct mysql_error_info *mysql_error_info(enum mysql_error e);

#endif
