"""The mariadb CLI in an interactive session on a pseudo-terminal: with a
default database and auto-rehash it sends its start-up queries (show
databases, show tables, COM_FIELD_LIST) before the prompt appears."""
import os
import pty
import select
import subprocess
import time
import unittest

from harness import Server


def read_until(fd, needle, timeout=10):
    out = b""
    deadline = time.time() + timeout
    while needle not in out and time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                out += os.read(fd, 4096)
            except OSError:
                break
    return out


class Interactive(unittest.TestCase):
    def test_interactive_start_up_and_queries(self):
        with Server(args=["--log-level", "debug"]) as s:
            master, slave = pty.openpty()
            p = subprocess.Popen(["mariadb", "-h127.0.0.1", "-P%d" % s.mysql_port, "-uroot",
                                  "stageproxy"], stdin=slave, stdout=slave, stderr=slave,
                                 env=dict(os.environ, TERM="dumb", HOME=s.tmp.name))
            os.close(slave)
            banner = read_until(master, b"]> ")
            self.assertIn(b"Server version: 8.0.36-stageproxy", banner)
            self.assertIn(b"stageproxy - Databend-style stages for MySQL", banner)
            os.write(master, b"select 40 + 2 as answer;\n")
            out = read_until(master, b"]> ")
            self.assertIn(b"| answer |", out)
            self.assertIn(b"|     42 |", out)
            os.write(master, b"use information_schema\n")
            out = read_until(master, b"]> ")
            self.assertIn(b"Database changed", out)
            os.write(master, b"\\s\n")
            out = read_until(master, b"]> ")
            self.assertIn(b"Current database:\tinformation_schema", out)
            os.write(master, b"quit\n")
            self.assertEqual(p.wait(10), 0)
            os.close(master)


if __name__ == "__main__":
    unittest.main(verbosity=2)
