"""Opens N idle, authenticated connections to a MySQL (stageproxy) or
PostgreSQL (pgbouncer) server, then reports the server's RSS growth per
connection. Usage: hold.py mysql|mysql-tls|pg PORT SERVER_PID N"""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "e2e"))
import rawmysql  # noqa: E402


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def open_mysql(port, tls=False):
    c = rawmysql.Conn(port)
    p = c.login(tls=tls)
    assert p[0] == 0, p
    return c


def open_mysql_tls(port):
    return open_mysql(port, tls=True)


def open_pg(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    params = b"user\0bench\0database\0bench\0\0"
    s.sendall(struct.pack("!II", 8 + len(params), 196608) + params)
    buf = b""
    while True:  # read until ReadyForQuery ('Z')
        chunk = s.recv(4096)
        if not chunk:
            raise RuntimeError("pgbouncer closed the connection: %r" % buf[:200])
        buf += chunk
        i = 0
        while i + 5 <= len(buf):
            kind = buf[i:i + 1]
            n = struct.unpack("!I", buf[i + 1:i + 5])[0]
            if i + 1 + n > len(buf):
                break
            if kind == b"E":
                raise RuntimeError("pgbouncer error: %r" % buf[i:i + 1 + n])
            if kind == b"Z":
                return s
            i += 1 + n
        buf = buf[i:]


def main():
    proto, port, pid, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    opener = {"mysql": open_mysql, "mysql-tls": open_mysql_tls, "pg": open_pg}[proto]
    warm = [opener(port) for _ in range(10)]
    time.sleep(0.3)
    before = rss_kib(pid)
    conns = [opener(port) for _ in range(n)]
    time.sleep(0.5)
    after = rss_kib(pid)
    print("%d %d %.2f" % (before, after, (after - before) * 1024.0 / n / 1024.0))
    for c in conns + warm:
        (c.sock if hasattr(c, "sock") else c).close()


if __name__ == "__main__":
    main()
