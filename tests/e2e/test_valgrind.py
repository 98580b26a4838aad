"""The end-to-end path under valgrind: TLS and plain logins with both
plugins, set-up statements, prepared statements, COM_CHANGE_USER, KILL,
bad packets, HTTP uploads and downloads, S3 stages, proxy mode and shutdown,
with no memory errors and no leaks."""
import hashlib
import os
import shutil
import signal
import socket
import struct
import tempfile
import threading
import time
import unittest

import pymysql

import rawmysql as rm
from harness import Server, run
from mariadb_peer import PASSWORD, USER, MariaDB, mariadb_with_tls
from s3peer import S3Server, free_port, stage_sql

VALGRIND = ["valgrind", "--error-exitcode=99", "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect", "--track-fds=no", "--quiet"]


@unittest.skipIf(os.environ.get("STAGEPROXY_SANITIZED") == "1", "valgrind and ASan do not mix")
@unittest.skipUnless(shutil.which("valgrind"), "valgrind is not installed")
class Valgrind(unittest.TestCase):
    def test_end_to_end_path_is_clean(self):
        s = Server(config="[users]\nzoe = zpw\n", wrapper=VALGRIND,
                   args=["--max-allowed-packet", "1048576", "--proxy-protocol-from", "127.0.0.2"])
        try:
            rc, out, err = run(["mariadb", "-h127.0.0.1", "-P%d" % s.mysql_port, "-uzoe", "-pzpw",
                                "-e", "select @@version_comment limit 1; show variables like 'ssl%'; "
                                "select * from information_schema.schemata order by 2 desc; "
                                "set names utf8mb4; select now(), user()"], timeout=120)
            self.assertEqual(rc, 0, err)
            with open(s.config_path, "w") as f:  # a reload swaps users and the certificate
                f.write("[users]\nzoe = zpw\nyan = ypw\n")
            os.kill(s.proc.pid, signal.SIGHUP)
            deadline = time.time() + 60
            while "configuration reloaded" not in s.log() and time.time() < deadline:
                time.sleep(0.1)
            rc, out, err = run(["mariadb", "-h127.0.0.1", "-P%d" % s.mysql_port, "-uyan",
                                "-pypw", "-e", "select user()"], timeout=120)
            self.assertEqual(rc, 0, err)
            # from a load balancer (127.0.0.2 here): a PROXY header names the client
            c = rm.Conn(s.mysql_port, source="127.0.0.2")
            c.sock.sendall(b"PROXY TCP4 192.0.2.1 127.0.0.1 1 2\r\n")
            self.assertEqual(c.login(user="zoe", password=b"zpw")[0], 0)
            c.close()
            self.assertIn("login 'zoe'@'192.0.2.1'", s.log())
            with socket.create_connection(("127.0.0.1", s.http_port), timeout=60,
                                          source_address=("127.0.0.2", 0)) as h:
                h.sendall(b"PROXY TCP4 192.0.2.1 127.0.0.1 1 2\r\nGET /healthz HTTP/1.1\r\n"
                          b"Host: x\r\nConnection: close\r\n\r\n")
                self.assertTrue(h.recv(4096).startswith(b"HTTP/1.1 200"))
            stage_dir = os.path.join(s.data_dir, "stages", "internal", "vg")
            rc, out, err = run(["mariadb", "-h127.0.0.1", "-P%d" % s.mysql_port, "-uroot", "-e",
                                "create stage vg comment='v'; show stages; desc stage vg"], timeout=120)
            self.assertEqual(rc, 0, err)
            os.makedirs(os.path.join(stage_dir, "d"))
            for name in ("a.csv", "d/b.csv"):
                with open(os.path.join(stage_dir, name), "w") as f:
                    f.write("x")
            rc, out, err = run(["mariadb", "-h127.0.0.1", "-P%d" % s.mysql_port, "-uroot", "-e",
                                "list @vg; list @vg pattern = '.*csv'; select name from "
                                "list_stage(location => '@vg') order by name desc; select upper(name) "
                                "from list_stage(location => '@vg') where size > 0 limit 1; "
                                "select name from list_stage(location => '@vg') order by name desc "
                                "limit 1; select count(*), min(name), max(upper(name)) from "
                                "list_stage(location => '@vg'); select substring_index(name, '/', 1) "
                                "k, count(*), avg(length(name)) from list_stage(location => '@vg') "
                                "group by k having count(*) > 0 order by k desc; select distinct "
                                "length(name) from list_stage(location => '@vg') order by 1; "
                                "select count(distinct left(name, 1)) from list_stage(location => "
                                "'@vg'); select replace(name, '.csv', ''), lpad(size, 3, '0'), "
                                "trim(leading 'd' from name), date(last_modified) + interval 1 day "
                                "> '2000-01-01' from list_stage(location => '@vg') where "
                                "timestampdiff(hour, last_modified, utc_timestamp()) < 48 order by 1; "
                                "select cast(cast(unix_timestamp(last_modified)/(300) as signed)*300 "
                                "as signed) > 0 t, count(*) from list_stage(location => '@vg') where "
                                "last_modified between from_unixtime(1494410783) and "
                                "from_unixtime(2147483000) group by 1; select cast(-2.45 as "
                                "decimal(4,1)), cast('äbc' as char(2)), cast(size as unsigned), "
                                "from_unixtime(0.5, '%Y'), cast(last_modified as datetime(3)) > 20000101 from "
                                "list_stage(location => '@vg');"
                                "list @vg pattern = '(';"
                                " remove @vg/d/; drop stage vg; list @~"], timeout=120)
            self.assertIn("Pattern format invalid", err)
            self.assertIn("d/b.csv", out)
            self.assertIn("A.CSV", out)
            self.assertIn("2\ta.csv\tD/B.CSV", out)  # aggregates folded as the listing went
            self.assertIn("d\t1\t7.0000\na.csv\t1\t5.0000", out)  # groups held, not rows
            self.assertIn("length(name)\n5\n7\n", out)
            self.assertIn("count(distinct left(name, 1))\n2\n", out)
            self.assertIn("t\tcount(*)\n1\t2\n", out)  # both files in one time bucket
            self.assertIn("a\t001\ta.csv\t1\nd/b\t001\t/b.csv\t1\n", out)
            rc, out, err = run(["mariadb", "-h127.0.0.1", "-P%d" % s.mysql_port, "-uroot", "-e",
                                "select nope from list_stage(location => '@~')"], timeout=120)
            self.assertIn("Unknown column 'nope'", err)
            conn = pymysql.connect(host="127.0.0.1", port=s.mysql_port, user="root")
            cur = conn.cursor()
            cur.execute("SELECT 1")
            self.assertEqual(cur.fetchall(), ((1,),))
            with self.assertRaises(pymysql.err.MySQLError):
                cur.execute("SELECT * FROM shop.t")
            conn.close()
            c = rm.Conn(s.mysql_port, timeout=60)
            self.assertEqual(c.login(user="zoe", password=b"zpw", plugin="mysql_native_password")[0], 0)
            c.command(b"\x16select ? as a")
            stmt_id = struct.unpack_from("<I", c.read_packet(), 1)[0]
            c.read_packet()
            c.read_packet()
            c.command(b"\x17" + struct.pack("<IBI", stmt_id, 0, 1) + b"\x00\x01\xfd\x00\x03abc")
            self.assertEqual(c.read_packet(), b"\x01")  # one column
            c.read_packet()
            c.read_packet()
            self.assertEqual(c.read_packet(), b"\x00\x00\x03abc")  # binary row
            self.assertEqual(c.read_packet()[0], 0xFE)
            c.command(b"\x1f")
            c.read_packet()
            victim = rm.Conn(s.mysql_port, timeout=60)
            victim.login(user="zoe", password=b"zpw")
            c.query("KILL %d" % victim.greeting["id"])
            self.assertEqual(c.read_result()[0], "ok")
            c.sock.sendall((0xFFFFFF).to_bytes(3, "little") + b"\0")  # too large
            c.read_packet()
            c.close()
            victim.close()
            bad = rm.Conn(s.mysql_port, timeout=60)
            bad.read_greeting()
            bad.sock.sendall(os.urandom(300))
            bad.close()
            self.http_path(s)
            half = rm.Conn(s.mysql_port, timeout=60)  # left open at shutdown
            half.read_greeting()
            self.assertEqual(s.stop(timeout=120), 0, s.log()[-4000:])
            half.close()
        finally:
            s.close()

    def http_path(self, s):
        """Uploads (multipart and raw, a client that leaves mid-body, errors),
        downloads with ranges, the listing, DELETE and /metrics."""
        url = "http://127.0.0.1:%d" % s.http_port
        rc, out, err = run(["mariadb", "-h127.0.0.1", "-P%d" % s.mysql_port, "-uroot", "-e",
                            "create stage up"], timeout=120)
        self.assertEqual(rc, 0, err)
        body = os.urandom(700000)
        path = os.path.join(s.tmp.name, "up.bin")
        with open(path, "wb") as f:
            f.write(body)
        for cmd in (["-T", path, url + "/v1/stages/up/files/raw.bin"],
                    ["-H", "stage_name: up", "-F", "a=@" + path, "-F", "b=@" + path + ";filename=",
                     "-XPUT", url + "/v1/upload_to_stage"],
                    ["-r", "5-10", url + "/v1/stages/up/files/raw.bin"],
                    [url + "/v1/stages/up/files?pattern=.*bin"],
                    ["-XDELETE", url + "/v1/stages/up/files/raw.bin"],
                    ["-H", "stage_name: nope", "-F", "a=@" + path, "-XPUT", url + "/v1/upload_to_stage"],
                    ["-u", "root:wrong", url + "/v1/stages/up/files/x"],
                    [url + "/metrics"]):
            rc, out, err = run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}"] + cmd,
                               timeout=120)
            self.assertEqual(rc, 0, err)
        sock = socket.create_connection(("127.0.0.1", s.http_port), timeout=60)
        sock.sendall(b"PUT /v1/stages/up/files/gone.bin HTTP/1.1\r\nContent-Length: 999999\r\n\r\n"
                     + body[:300000])
        sock.close()
        # a file whose MD5 a crash left pending is hashed by the LIST
        stage_dir = os.path.join(s.data_dir, "stages", "internal", "up")
        marked = os.path.join(stage_dir, "marked.bin")
        with open(marked, "wb") as f:
            f.write(body)
        st = os.stat(marked)
        os.setxattr(marked, "user.stageproxy.md5", b"pending %d %d.%09d" % (
            st.st_size, st.st_mtime_ns // 10**9, st.st_mtime_ns % 10**9))
        rc, out, err = run(["mariadb", "-h127.0.0.1", "-P%d" % s.mysql_port, "-uroot", "-e",
                            "list @up"], timeout=120)
        self.assertIn(hashlib.md5(body).hexdigest(), out)
        # DROP STAGE ends an upload still running into it (409) before its purge
        slow = socket.create_connection(("127.0.0.1", s.http_port), timeout=60)
        slow.sendall(b"PUT /v1/stages/up/files/slow.bin HTTP/1.1\r\nContent-Length: 999999\r\n\r\n"
                     + body[:300000])
        deadline = time.time() + 60
        while time.time() < deadline:
            rc, out, err = run(["curl", "-sS", url + "/metrics"], timeout=120)
            if "stageproxy_uploads_in_flight 1" in out:
                break
            time.sleep(0.2)
        rc, out, err = run(["mariadb", "-h127.0.0.1", "-P%d" % s.mysql_port, "-uroot", "-e",
                            "drop stage up"], timeout=120)
        self.assertEqual((rc, err), (0, ""))
        self.assertTrue(slow.recv(4096).startswith(b"HTTP/1.1 409"))
        slow.close()
        rc, out, err = run(["curl", "-sS", url + "/v1/stages/up/files/a?x", "-H", "X: " + "y" * 20000],
                           timeout=120)
        self.assertEqual(rc, 0, err)

    def test_proxy_path_is_clean(self):
        db, ca = mariadb_with_tls(self)
        up = ["--upstream", "127.0.0.1:%d" % db.port, "--upstream-user", USER, "--upstream-password",
              PASSWORD]
        s = Server(wrapper=VALGRIND, args=up + ["--upstream-tls", "verify", "--upstream-tls-ca", ca])
        try:  # TLS to the upstream
            conn = pymysql.connect(host="127.0.0.1", port=s.mysql_port, user="root", database="mysql",
                                   max_allowed_packet=64 << 20)
            cur = conn.cursor()
            cur.execute("select %s", (b"x" * (2 << 20),))
            self.assertEqual(len(cur.fetchone()[0]), 2 << 20)
            cur.execute("show session status like 'Ssl_version'")
            self.assertTrue(cur.fetchone()[1].startswith("TLSv1"))
            conn.close()
            half = pymysql.connect(host="127.0.0.1", port=s.mysql_port, user="root")
        finally:
            code = s.stop(timeout=120)
            log = s.log()
            s.close()
        self.assertEqual(code, 0, log[-6000:])
        s = Server(wrapper=VALGRIND, args=up)
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        try:
            csv = os.path.join(tmp, "r.csv")
            with open(csv, "w") as f:
                f.write("".join("%d,x%d\n" % (i, i) for i in range(20000)))
            rc, out, err = run(["mariadb", "-h127.0.0.1", "-P%d" % s.mysql_port, "-uroot", "--local-infile=1",
                                "shop", "-e", "create table v (id int primary key, s varchar(9)); "
                                "load data local infile '%s' into table v fields terminated by ','; "
                                "create stage vg; select count(*) from v; show stages; select 1; "
                                "select * from nope" % csv], timeout=180)
            self.assertIn("ERROR 1146", err)
            self.assertIn("20000", out)
            conn = pymysql.connect(host="127.0.0.1", port=s.mysql_port, user="root", database="shop",
                                   client_flag=pymysql.constants.CLIENT.MULTI_STATEMENTS,
                                   max_allowed_packet=64 << 20)
            cur = conn.cursor()
            cur.execute("create table b (v longblob)")
            cur.execute("insert into b values (%s)", (os.urandom(3 << 20),))  # passed on as it comes
            cur.execute("select length(v) from b")
            self.assertEqual(cur.fetchall(), ((3 << 20,),))
            cur.execute("select 1; list @vg; select 2")
            while cur.nextset():
                pass
            c = rm.Conn(s.mysql_port, timeout=60)
            self.assertEqual(c.login(user="root")[0], 0)
            def prepare(sql):
                c.command(b"\x16" + sql)
                ok = c.read_packet()
                stmt, ncols, nparams = struct.unpack_from("<IHH", ok, 1)
                for n in (nparams, ncols):
                    for _ in range(n + 1 if n else 0):  # definitions and their EOF
                        c.read_packet()
                return stmt
            stmt_id = prepare(b"select ? as a")  # an upstream prepared statement
            self.assertGreaterEqual(prepare(b"list @vg"), 0x80000000)  # a local one
            c.command(b"\x19" + struct.pack("<I", stmt_id))  # COM_STMT_CLOSE
            c.command(b"\x11root\0\0shop\0" + struct.pack("<H", 45) + b"caching_sha2_password\0")
            p = c.read_packet()  # COM_CHANGE_USER, upstream too
            if p[:2] == b"\x01\x03":
                p = c.read_packet()
            self.assertEqual(p[0], 0x00, p)
            victim = rm.Conn(s.mysql_port, timeout=60)
            victim.login(user="root")
            c.query("KILL %d" % victim.greeting["id"])
            self.assertEqual(c.read_result()[0], "ok")
            c.query("select seq from seq_1_to_100000")  # left unread: closed mid-answer
            time.sleep(0.5)
            c.close()
            conn.ping()
            busy = pymysql.connect(host="127.0.0.1", port=s.mysql_port, user="root")
            t = threading.Thread(target=lambda: self.assertRaises(pymysql.err.OperationalError,
                                                                  busy.cursor().execute, "select sleep(30)"))
            t.start()
            time.sleep(1)
            db.kill()  # in flight, and idle sessions, lose their upstream
            t.join(60)
            cur.execute("show stages")
            with self.assertRaises(pymysql.err.OperationalError):
                cur.execute("select 1")
            db.start()
            conn2 = pymysql.connect(host="127.0.0.1", port=s.mysql_port, user="root")
            conn2.cursor().execute("select 1")
            half = rm.Conn(s.mysql_port, timeout=60)  # open, upstream session too, at shutdown
            half.login(user="root")
        finally:
            code = s.stop(timeout=120)
            log = s.log()
            s.close()
        self.assertEqual(code, 0, log[-6000:])

    def test_s3_path_is_clean(self):
        """PutObject and multipart uploads, paged LIST, ranged GetObject,
        DeleteObjects, PRESIGN, S3 errors and an endpoint that is down,
        with requests still running at shutdown."""
        s3 = S3Server()
        self.addCleanup(s3.close)
        s = Server(wrapper=VALGRIND, args=["--s3-part-size", "5", "--s3-list-page", "2",
                                          "--s3-timeout", "10", "--s3-retries", "1",
                                          "--shutdown-timeout", "3"])
        try:
            mysql = ["mariadb", "-h127.0.0.1", "-P%d" % s.mysql_port, "-uroot", "-e"]
            rc, out, err = run(mysql + [stage_sql("v3", s3.endpoint, "vg/") +
                                        stage_sql("bad", s3.endpoint, "vg/", secret="nope") +
                                        stage_sql("down", "http://127.0.0.1:%d" % free_port())],
                               timeout=120)
            self.assertEqual(rc, 0, err)
            url = "http://127.0.0.1:%d/v1/stages/v3/files/" % s.http_port
            path = os.path.join(s.tmp.name, "big.bin")
            with open(path, "wb") as f:
                f.write(os.urandom(11 << 20))  # three parts
            for cmd in (["-T", path, url + "big.bin"],
                        ["--data-binary", "small", "-XPUT", url + "a.csv"],
                        ["--data-binary", "small", "-XPUT", url + "d/b.csv"],
                        ["-r", "5-10", url + "big.bin"],
                        ["-I", url + "a.csv"]):
                rc, out, err = run(["curl", "-sSf", "-o", "/dev/null"] + cmd, timeout=300)
                self.assertEqual(rc, 0, err)
            rc, out, err = run(["curl", "-sSf", "-o", path + ".got", url + "big.bin"], timeout=300)
            self.assertEqual(rc, 0, err)
            with open(path, "rb") as a, open(path + ".got", "rb") as b:
                self.assertTrue(a.read() == b.read())
            rc, out, err = run(mysql + ["list @v3; list @v3/d/ pattern = '.*csv'; "
                                        "presign @v3/a.csv; presign upload @v3/n.csv expire = 60; "
                                        "remove @v3 pattern = '.*csv'; list @v3"], timeout=120)
            self.assertEqual(rc, 0, err)
            self.assertIn("d/b.csv", out)
            rc, out, err = run(mysql + ["list @bad"], timeout=120)
            self.assertIn("SignatureDoesNotMatch", err)
            rc, out, err = run(mysql + ["list @down"], timeout=120)
            self.assertIn("S3 endpoint unreachable", err)
            rc, out, err = run(mysql + ["drop stage v3; drop stage bad; drop stage down"],
                               timeout=120)
            self.assertEqual(rc, 0, err)
            rc, out, err = run(mysql + [stage_sql("v4", s3.endpoint, "vg/")], timeout=120)
            # CREATE OR REPLACE waits for an upload in flight to end (409)
            late = socket.create_connection(("127.0.0.1", s.http_port), timeout=60)
            late.sendall(b"PUT /v1/stages/v4/files/late.bin HTTP/1.1\r\n"
                         b"Content-Length: 99999999\r\n\r\n" + os.urandom(1 << 20))
            deadline = time.time() + 60
            while time.time() < deadline:
                rc, out, err = run(["curl", "-sS", "http://127.0.0.1:%d/metrics" % s.http_port],
                                   timeout=120)
                if "stageproxy_uploads_in_flight 1" in out:
                    break
                time.sleep(0.2)
            rc, out, err = run(mysql + [stage_sql("v4", s3.endpoint, "vg2/").replace(
                "CREATE STAGE", "CREATE OR REPLACE STAGE")], timeout=120)
            self.assertEqual((rc, err), (0, ""))
            self.assertTrue(late.recv(4096).startswith(b"HTTP/1.1 409"))
            late.close()
            busy = socket.create_connection(("127.0.0.1", s.http_port), timeout=60)
            busy.sendall(b"PUT /v1/stages/v4/files/left.bin HTTP/1.1\r\n"
                         b"Content-Length: 99999999\r\n\r\n" + os.urandom(6 << 20))
            self.assertEqual(s.stop(timeout=120), 0, s.log()[-4000:])
            busy.close()
        finally:
            s.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
