"""Clients that are not on loopback, end to end.

The server runs in a private network namespace of its own where 127.0.0.1
is reached from the source address 192.0.2.10 (a documentation address
added to that namespace's lo), so the stock clients connect as a remote
peer would while the server still listens on 127.0.0.1 only. Root with no
password must then be refused on both listeners, users with a password must
get in, and presigned URLs must work without any credentials.
"""
import hashlib
import os
import re
import tempfile
import unittest

from harness import Server, run

REMOTE = "192.0.2.10"
PAYLOAD = b"from a remote peer\n"
USERS = "[users]\nalice = s3cret-pw\n"
# Every connection to 127.0.0.1 made inside the namespace leaves from REMOTE.
NETNS_SETUP = ("ip link set lo up && ip addr add {ip}/32 dev lo && "
               "ip route replace table local local 127.0.0.1 dev lo proto kernel scope host "
               "src {ip} && exec \"$@\"").format(ip=REMOTE)
AS_LOOPBACK = ["ip", "route", "replace", "table", "local", "local", "127.0.0.1", "dev", "lo",
               "proto", "kernel", "scope", "host", "src", "127.0.0.1"]


class RemotePeer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("a private network namespace needs root")
        cls.s = Server(config=USERS,
                       wrapper=["unshare", "--net", "sh", "-c", NETNS_SETUP, "netns-setup"])
        cls.payload = os.path.join(cls.s.tmp.name, "payload.txt")
        with open(cls.payload, "w") as f:
            f.write(PAYLOAD.decode())

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def inside(self, cmd, input=None):
        """Runs a client in the server's network namespace."""
        return run(["nsenter", "--target", str(self.s.proc.pid), "--net"] + cmd, input=input)

    def mariadb(self, user, password=None, script="SELECT CURRENT_USER();"):
        cmd = ["mariadb", "-h127.0.0.1", "-P%d" % self.s.mysql_port, "-u" + user, "--batch",
               "--skip-ssl"]
        if password:
            cmd.append("-p" + password)
        return self.inside(cmd, input=script)

    def curl(self, *args):
        rc, out, err = self.inside(["curl", "-sS", "-o", "-", "-w", "\n%{http_code}"] +
                                   list(args))
        self.assertEqual(rc, 0, err)
        body, _, status = out.rpartition("\n")
        return int(status), body

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.s.http_port, path)

    def test_01_root_without_password_is_refused_over_mysql(self):
        rc, out, err = self.mariadb("root")
        self.assertNotEqual(rc, 0)
        self.assertIn("ERROR 1045 (28000): Access denied for user 'root'@'%s' "
                      "(using password: NO)" % REMOTE, err)
        self.assertRegex(self.s.log(), r"access denied for 'root'@'%s'" % re.escape(REMOTE))

    def test_02_user_with_password_gets_in_over_mysql(self):
        rc, out, err = self.mariadb("alice", "s3cret-pw", "CREATE STAGE remote_st;\n"
                                    "SHOW STAGES;")
        self.assertEqual(rc, 0, err)
        self.assertIn("remote_st", out)

    def test_03_root_without_authorization_is_refused_over_http(self):
        status, body = self.curl("-T", self.payload, self.url("/v1/stages/remote_st/files/a"))
        self.assertEqual(status, 401, body)
        self.assertIn("no authorization header provided", body)
        # Naming root with its empty password does not help either.
        status, body = self.curl("-u", "root:", "-T", self.payload,
                                 self.url("/v1/stages/remote_st/files/a"))
        self.assertEqual(status, 401, body)
        self.assertIn("AuthenticateFailure. Code: 2201", body)
        status, body = self.curl("-H", "stage_name:remote_st", "-F", "upload=@" + self.payload,
                                 "-XPUT", self.url("/v1/upload_to_stage"))
        self.assertEqual(status, 401, body)

    def test_04_user_with_password_uploads_over_http(self):
        status, body = self.curl("-u", "alice:s3cret-pw", "-H", "stage_name:remote_st",
                                 "-F", "upload=@%s;filename=host.txt" % self.payload, "-XPUT",
                                 self.url("/v1/upload_to_stage"))
        self.assertEqual(status, 200, body)
        self.assertIn('"state":"SUCCESS"', body)
        rc, out, err = self.mariadb("alice", "s3cret-pw", "LIST @remote_st;")
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"\nhost\.txt\t19\t\"%s\"\t" % hashlib.md5(PAYLOAD).hexdigest())

    def test_05_presigned_url_needs_no_credentials(self):
        rc, out, err = self.mariadb("alice", "s3cret-pw",
                                    "PRESIGN DOWNLOAD @remote_st/host.txt;")
        self.assertEqual(rc, 0, err)
        url = re.search(r"(http://\S+)", out).group(1)
        status, body = self.curl(url)
        self.assertEqual(status, 200, body)
        self.assertEqual(body, PAYLOAD.decode())

    def test_06_root_gets_in_once_it_is_loopback_again(self):
        # The control: the same clients, the same server, only the source
        # address changed back to 127.0.0.1.
        rc, _, err = self.inside(AS_LOOPBACK)
        self.assertEqual(rc, 0, err)
        rc, out, err = self.mariadb("root", script="LIST @remote_st;")
        self.assertEqual(rc, 0, err)
        self.assertIn("host.txt", out)
        status, body = self.curl("-T", self.payload, self.url("/v1/stages/remote_st/files/b"))
        self.assertEqual(status, 201, body)


if __name__ == "__main__":
    unittest.main(verbosity=2)
