#include "server/listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "server/config.h"
#include "server/log.h"

static int resolve(const char *host, int port, struct sockaddr_storage *ss)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    int rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0 || !res)
        return UV_EINVAL;
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return 0;
}

static void format_addr(const struct sockaddr *sa, char *out, size_t len)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
        port = ntohs(in->sin_port);
        snprintf(out, len, "%s:%d", ip, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
        port = ntohs(in6->sin6_port);
        snprintf(out, len, "[%s]:%d", ip, port);
    } else {
        snprintf(out, len, "?");
    }
}

int listener_start(uv_loop_t *loop, uv_tcp_t *tcp, const char *addr, uv_connection_cb cb,
                   char *bound, size_t bound_len)
{
    char host[256];
    int port;
    struct sockaddr_storage ss;
    /* The handle is initialised first so the caller can always close it. */
    int rc = uv_tcp_init(loop, tcp);
    if (rc < 0)
        return rc;
    if (config_parse_address(addr, host, sizeof(host), &port) < 0)
        return UV_EINVAL;
    rc = resolve(host, port, &ss);
    if (rc < 0)
        return rc;
    rc = uv_tcp_bind(tcp, (const struct sockaddr *)&ss, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)tcp, 511, cb);
    if (rc < 0)
        return rc; /* the caller closes the handle */
    int namelen = sizeof(ss);
    uv_tcp_getsockname(tcp, (struct sockaddr *)&ss, &namelen);
    format_addr((const struct sockaddr *)&ss, bound, bound_len);
    return 0;
}

/* 0 when nothing answers at `path` (so a socket file there is stale). */
static int socket_is_dead(const char *path)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 ? 0 : errno;
    close(fd);
    if (rc == 0 || rc == EAGAIN) /* EAGAIN: alive, its backlog full */
        return UV_EADDRINUSE;
    return rc == ECONNREFUSED ? 0 : -rc;
}

static int clear_stale_socket(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -errno;
    if (!S_ISSOCK(st.st_mode))
        return UV_EEXIST;
    int rc = socket_is_dead(path);
    if (rc < 0)
        return rc;
    return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

int listener_start_socket(uv_loop_t *loop, uv_pipe_t *pipe, const char *path, uv_connection_cb cb)
{
    int rc = uv_pipe_init(loop, pipe, 0);
    if (rc < 0)
        return rc;
    if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
        return UV_ENAMETOOLONG;
    rc = clear_stale_socket(path);
    if (rc == 0)
        rc = uv_pipe_bind(pipe, path);
    if (rc < 0)
        return rc;
    rc = uv_pipe_chmod(pipe, UV_READABLE | UV_WRITABLE); /* logins decide who gets in */
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)pipe, 511, cb);
    if (rc < 0)
        unlink(path);
    return rc;
}

int listener_peer(uv_tcp_t *tcp, char *ip, size_t ip_len, bool *is_loopback)
{
    struct sockaddr_storage ss;
    int namelen = sizeof(ss);
    *is_loopback = false;
    snprintf(ip, ip_len, "?");
    int rc = uv_tcp_getpeername(tcp, (struct sockaddr *)&ss, &namelen);
    if (rc < 0)
        return rc;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &in->sin_addr, ip, (socklen_t)ip_len);
        *is_loopback = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    } else if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, (socklen_t)ip_len);
        *is_loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
            *is_loopback = in6->sin6_addr.s6_addr[12] == 127;
    }
    return 0;
}
