"""Proxy mode against a throwaway MariaDB started here: the greeting mirrors
the upstream, logins go through to it (or fail with its words), statements
and their errors come back as the upstream sent them, and stage statements
stay local, also between upstream statements and inside a transaction."""
import os
import shutil
import signal
import socket
import struct
import tempfile
import threading
import time
import unittest
import urllib.request

import pymysql

import rawmysql as rm
from harness import BINARY, Server, make_ca, run, socket_stage_check
from mariadb_peer import PASSWORD, USER, MariaDB, mariadb_with_tls
from s3peer import free_port


class Proxy(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB()

    @classmethod
    def tearDownClass(cls):
        cls.db.close()

    def server(self, *args, upstream=None, config=None):
        s = Server(config=config, args=["--upstream", upstream or "127.0.0.1:%d" % self.db.port,
                                        "--upstream-user", USER, "--upstream-password", PASSWORD]
                   + list(args))
        self.addCleanup(s.close)
        return s

    def cli(self, s, script, user="root", password=None):
        cmd = ["mariadb", "-h127.0.0.1", "-P%d" % s.mysql_port, "-u" + user, "--batch"]
        if password:
            cmd.append("-p" + password)
        return run(cmd + ["-e", script], timeout=60)

    def test_greeting_mirrors_the_upstream(self):
        s = self.server()
        c = rm.Conn(s.mysql_port)
        self.addCleanup(c.close)
        g = c.read_greeting()
        self.assertEqual(g["version"], "5.5.5-10.11.19-MariaDB-0+deb12u1"
                         if g["version"].startswith("5.5.5-10.11.19") else g["version"])
        self.assertTrue(g["version"].startswith("5.5.5-"), g)  # MariaDB's marker, as it sent it
        self.assertEqual(g["charset"], 45)  # the upstream's default collation
        self.assertTrue(g["caps"] & 1)  # CLIENT_MYSQL: no MariaDB-only extensions
        rc, out, err = self.cli(s, "select connection_id(), version()")
        self.assertEqual(rc, 0, err)
        self.assertIn("MariaDB", out)

    def test_statements_errors_and_stages_interleaved(self):
        s = self.server()
        rc, out, err = self.cli(s, "create table shop.t (id int primary key, v varchar(20));"
                                   "insert into shop.t values (1,'a'),(2,'b');"
                                   "select * from shop.t order by id")
        self.assertEqual((rc, out), (0, "id\tv\n1\ta\n2\tb\n"), err)
        self.assertEqual(self.db.sql("select count(*) from t", db="shop"), "count(*)\n2\n")
        rc, out, err = self.cli(s, "select * from shop.nope")
        self.assertIn("ERROR 1146 (42S02)", err)  # the upstream's own error
        rc, out, err = self.cli(s, "use shop; create stage p1; begin; insert into t values (3,'c');"
                                   "list @p1; show stages; rollback; select count(*) from t")
        self.assertEqual(rc, 0, err)
        self.assertTrue(out.endswith("count(*)\n2\n"), out)  # rolled back upstream
        self.assertIn("p1\tInternal", out)

    def test_mysql_statements_that_start_like_stage_statements(self):
        s = self.server()
        rc, out, err = self.cli(s, "use shop; create table stage (id int); desc stage")
        self.assertEqual(rc, 0, err)
        self.assertIn("id\tint(11)", out)  # DESC of a table named stage, by the upstream
        c = self.connect(s, database="shop")
        cur = c.cursor()
        with self.assertRaises(pymysql.err.ProgrammingError):
            cur.execute("SELECT * FROM nope")
        cur.execute("GET DIAGNOSTICS CONDITION 1 @n = MYSQL_ERRNO")
        cur.execute("SELECT @n")
        self.assertEqual(cur.fetchone(), (1146,))

    def test_multi_statement_with_a_stage_statement_inside(self):
        s = self.server()
        c = rm.Conn(s.mysql_port)
        self.addCleanup(c.close)
        self.assertEqual(c.login(user="root", flags=rm.BASE_FLAGS | 0x10000 | 0x20000)[0], 0)
        c.query("select 1 as a; show stages; select 2 as b")
        first = c.read_result()
        self.assertEqual(first[0], "rows")
        self.assertTrue(first[-1] & 0x0008)  # more results follow the upstream's part
        second = c.read_result()
        self.assertEqual(second[0], "rows")
        self.assertTrue(second[-1] & 0x0008)
        third = c.read_result()
        self.assertEqual(third[0], "rows")
        self.assertFalse(third[-1] & 0x0008)
        c.query("select 3")  # the connection is in step afterwards
        self.assertEqual(c.read_result()[0], "rows")

    def test_wire_flags_agree_end_to_end(self):
        """What the client's flags ask for is what it gets, from the upstream."""
        s = self.server()
        self.db.sql("CREATE TABLE IF NOT EXISTS fr (id INT PRIMARY KEY, v INT); "
                    "REPLACE INTO fr VALUES (1, 5)", db="shop")
        found_rows, session_track = 0x2, 0x800000
        for extra in (0, rm.CLIENT_DEPRECATE_EOF | found_rows | session_track):
            with self.subTest(flags=hex(extra)):
                c = rm.Conn(s.mysql_port)
                self.addCleanup(c.close)
                self.assertEqual(c.login(user="root", flags=rm.BASE_FLAGS | extra, db="shop")[0], 0)
                c.query("UPDATE fr SET v = 5 WHERE id = 1")  # found, not changed
                ok = c.read_packet()
                self.assertEqual(ok[1], 1 if extra & found_rows else 0)
                c.query("SELECT 1")
                self.assertEqual(c.read_packet(), b"\x01")
                c.read_packet()  # the column
                p = c.read_packet()
                if extra & rm.CLIENT_DEPRECATE_EOF:
                    self.assertEqual(p, b"\x011")  # the row at once
                    end = c.read_packet()
                    self.assertEqual(end[0], 0xFE)
                    self.assertGreater(len(end), 5)  # an OK packet as terminator
                else:
                    self.assertEqual((p[0], len(p)), (0xFE, 5))  # EOF after the columns
                    self.assertEqual(c.read_packet(), b"\x011")
                    self.assertEqual(len(c.read_packet()), 5)
                c.query("USE mysql")
                ok = c.read_packet()
                changed = rm.ok_status(ok) & 0x4000  # SERVER_SESSION_STATE_CHANGED
                self.assertEqual(bool(changed), bool(extra & session_track))
                self.assertEqual(b"mysql" in ok[7:], bool(extra & session_track))

    def test_server_side_cursor_with_fetch(self):
        s = self.server()
        c = rm.Conn(s.mysql_port)
        self.addCleanup(c.close)
        self.assertEqual(c.login(user="root", db="shop")[0], 0)
        c.command(b"\x16SELECT seq FROM seq_1_to_10")
        stmt = struct.unpack_from("<I", c.read_packet(), 1)[0]
        c.read_packet()  # the column
        c.read_packet()  # its EOF
        c.command(b"\x17" + struct.pack("<IBI", stmt, 1, 1))  # CURSOR_TYPE_READ_ONLY
        self.assertEqual(c.read_packet(), b"\x01")
        c.read_packet()
        eof = c.read_packet()
        self.assertEqual(eof[0], 0xFE)
        self.assertTrue(struct.unpack_from("<H", eof, 3)[0] & 0x40)  # SERVER_STATUS_CURSOR_EXISTS
        got = []
        for want in (4, 4, 4):
            c.command(b"\x1c" + struct.pack("<II", stmt, want))  # COM_STMT_FETCH
            while True:
                p = c.read_packet()
                if p[0] == 0xFE and len(p) == 5:
                    break
                got.append(struct.unpack_from("<Q", p, 2)[0])  # binary row: 0x00, null map, value
        self.assertEqual(got, list(range(1, 11)))
        self.assertTrue(struct.unpack_from("<H", p, 3)[0] & 0x80)  # SERVER_STATUS_LAST_ROW_SENT
        c.query("SHOW STAGES")  # in step afterwards
        self.assertEqual(c.read_result()[0], "rows")

    def test_admin_commands(self):
        """mariadb-admin's COM_STATISTICS, COM_PING, COM_REFRESH and
        COM_PROCESS_KILL, and COM_FIELD_LIST (the CLI's completion)."""
        s = self.server()
        admin = ["mariadb-admin", "--protocol=tcp", "-h127.0.0.1", "-P%d" % s.mysql_port, "-uroot"]
        rc, out, err = run(admin + ["status", "ping", "refresh", "processlist"], timeout=60)
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"Uptime: \d+ +Threads: \d+")  # the upstream's statistics
        self.assertIn("mysqld is alive", out)
        self.db.sql("CREATE TABLE IF NOT EXISTS fl (id INT, name VARCHAR(9))", db="shop")
        c = rm.Conn(s.mysql_port)
        self.addCleanup(c.close)
        self.assertEqual(c.login(user="root", db="shop")[0], 0)
        c.command(b"\x04fl\x00")  # COM_FIELD_LIST
        names = []
        while True:
            p = c.read_packet()
            if p[0] == 0xFE and len(p) < 9:
                break
            i = 0
            fields = []
            for _ in range(5):
                n, i = rm.read_lenenc(p, i)
                fields.append(p[i:i + n])
                i += n
            names.append(fields[4].decode())
        self.assertEqual(names, ["id", "name"])
        c.query("SHOW STAGES")
        self.assertEqual(c.read_result()[0], "rows")

    def test_upstream_refusing_the_login_is_a_clear_error(self):
        s = Server(args=["--upstream", "127.0.0.1:%d" % self.db.port, "--upstream-user", USER,
                         "--upstream-password", "wrong"])
        self.addCleanup(s.close)
        rc, out, err = self.cli(s, "select 1")
        self.assertNotEqual(rc, 0)
        self.assertIn("ERROR 1045", err)
        self.assertIn("upstream refused the login of 'test'", err)

    def test_upstream_down_at_login_is_a_clear_error(self):
        s = self.server(upstream="127.0.0.1:%d" % free_port())
        rc, out, err = self.cli(s, "select 1")
        self.assertNotEqual(rc, 0)
        self.assertIn("Can't connect to the upstream MySQL server on '127.0.0.1:", err)
        rc, out, err = self.cli(s, "select 1")  # still serving
        self.assertIn("Can't connect to the upstream", err)

    def test_upstream_that_never_greets_is_a_clear_error(self):
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # accepts (by the kernel) and says nothing
        self.addCleanup(silent.close)
        s = self.server("--upstream-connect-timeout", "1",
                        upstream="127.0.0.1:%d" % silent.getsockname()[1])
        started = time.time()
        rc, out, err = self.cli(s, "select 1")
        self.assertLess(time.time() - started, 10)
        self.assertNotEqual(rc, 0)
        self.assertIn("did not answer within 1 s", err)
        self.assertIn("1105", err)  # not a client-library code at login

    def test_upstream_on_a_unix_socket(self):
        sock = os.path.join(self.db.dir, "s.sock")
        ours = os.path.join(self.db.dir, "sp.sock")  # and clients on our own socket
        s = self.server("--mysql-socket", ours, upstream=sock)
        socket_stage_check(self, ours, "sk", "test@localhost")  # the upstream's USER()
        rc, out, err = self.cli(s, "select user(); use shop; create table u (id int, v text);"
                                   "insert into u select seq, repeat('x', seq % 50) "
                                   "from seq_1_to_20000; select count(*), sum(length(v)) from "
                                   "shop.u; create stage us; list @us; show stages")
        self.assertEqual(rc, 0, err)
        lines = out.splitlines()
        self.assertEqual(lines[1], "test@localhost")  # MariaDB saw a socket client, not TCP
        self.assertIn("20000\t490000", out)
        self.assertIn("us\tInternal", out)
        conn = pymysql.connect(host="127.0.0.1", port=s.mysql_port, user="root", password="")
        self.addCleanup(conn.close)
        with conn.cursor() as cur:  # a whole result streamed through the socket
            self.assertEqual(cur.execute("select id, v from shop.u order by id"), 20000)
            self.assertEqual(cur.fetchall()[-1], (20000, "x" * 0))
        missing = os.path.join(self.db.dir, "missing.sock")
        s = self.server(upstream=missing)
        rc, out, err = self.cli(s, "select 1")
        self.assertNotEqual(rc, 0)
        self.assertIn("Can't connect to the upstream MySQL server through socket '%s' "
                      "(no such file or directory)" % missing, err)
        tmp = tempfile.mkdtemp(prefix="sp-sock-")
        self.addCleanup(shutil.rmtree, tmp, True)
        for bad, words in (([sock, "--upstream-tls", "on"], "unix socket"),
                           (["/" + "d" * 120 + ".sock"], "invalid value")):
            rc, out, err = run([BINARY, "--upstream"] + bad + [
                "--data-dir", os.path.join(tmp, "d"), "--mysql-listen", "127.0.0.1:0",
                "--http-listen", "127.0.0.1:0"])
            self.assertNotEqual(rc, 0)  # refuses to start
            self.assertIn(words, err)

    def test_upstream_users_map_local_users(self):
        s = Server(config="[users]\nzoe = zpw\n[upstream_users]\nzoe = other:otherpass\n",
                   args=["--upstream", "127.0.0.1:%d" % self.db.port])
        self.addCleanup(s.close)
        rc, out, err = self.cli(s, "select current_user()", user="zoe", password="zpw")
        self.assertEqual((rc, out), (0, "current_user()\nother@%\n"), err)
        held = pymysql.connect(host="127.0.0.1", port=s.mysql_port, user="zoe", password="zpw")
        self.addCleanup(held.close)
        # SIGHUP takes a new mapping for new sessions; the relayed one goes on
        with open(s.config_path, "w") as f:
            f.write("[users]\nzoe = zpw\n[upstream_users]\nzoe = %s:%s\n" % (USER, PASSWORD))
        os.kill(s.proc.pid, signal.SIGHUP)
        deadline = time.time() + 10
        while "configuration reloaded" not in s.log() and time.time() < deadline:
            time.sleep(0.02)
        rc, out, err = self.cli(s, "select current_user()", user="zoe", password="zpw")
        self.assertEqual((rc, out), (0, "current_user()\n%s@%%\n" % USER), err)
        with held.cursor() as cur:
            cur.execute("select current_user()")
            self.assertEqual(cur.fetchone()[0], "other@%")

    def connect(self, s, **kw):
        c = pymysql.connect(host="127.0.0.1", port=s.mysql_port, user="root", password="",
                            autocommit=True, **kw)
        self.addCleanup(c.close)
        return c

    def metrics(self, s, prefix="stageproxy_upstream"):
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % s.http_port, timeout=10) as r:
            lines = r.read().decode().splitlines()
        return {k: float(v) for k, v in (ln.rsplit(" ", 1) for ln in lines
                                         if ln.startswith(prefix))}

    def command_metrics(self, s):
        return self.metrics(s, "stageproxy_mysql_")

    def errno_of(self, cur, sql):
        with self.assertRaises(pymysql.err.OperationalError) as e:
            cur.execute(sql)
        return e.exception.args[0], e.exception.args[1]

    def test_command_latency_and_error_metrics(self):
        s = self.server()  # relay threads: the counters of every thread add up
        c = rm.Conn(s.mysql_port)
        self.addCleanup(c.close)
        self.assertEqual(c.login(user="root", flags=rm.BASE_FLAGS | 0x10000 | 0x20000)[0], 0)
        h = "stageproxy_mysql_command_duration_seconds"
        before = self.command_metrics(s)
        for sql, kind in [("select sleep(0.3)", "rows"), ("select 1", "rows"),
                          ("selec 1", "err"), ("select * from mysql.no_such_table", "err"),
                          ("show stages", "rows"), ("drop stage nope", "err"),
                          ("select 1; show stages", "rows")]:
            c.query(sql)
            r = c.read_result()
            self.assertEqual(r[0], kind, (sql, r))
            while r[-1] & 0x0008 if r[0] == "rows" else False:
                r = c.read_result()

        def delta(key):
            return after.get(key, 0) - before.get(key, 0)
        deadline = time.time() + 5  # an answer may reach us before its thread counts it
        while True:
            after = self.command_metrics(s)
            if (delta(h + '_count{route="upstream"}'), delta(h + '_count{route="local"}')) == (5, 2) \
                    or time.time() > deadline:
                break
            time.sleep(0.05)
        # a multi-statement is one command, upstream since part of it went there
        self.assertEqual(delta(h + '_count{route="upstream"}'), 5)
        self.assertEqual(delta(h + '_count{route="local"}'), 2)
        self.assertEqual(delta(h + '_bucket{route="upstream",le="0.25"}'), 4)  # all but the sleep
        self.assertEqual(delta(h + '_bucket{route="upstream",le="+Inf"}'), 5)
        self.assertEqual(delta(h + '_bucket{route="local",le="+Inf"}'), 2)
        self.assertGreaterEqual(delta(h + '_sum{route="upstream"}'), 0.3)
        self.assertLess(delta(h + '_sum{route="local"}'), 0.25)
        codes = {k: delta(k) for k in after if k.startswith("stageproxy_mysql_errors_total")}
        self.assertEqual({k: v for k, v in codes.items() if v},
                         {'stageproxy_mysql_errors_total{code="1064"}': 1,  # the upstream's
                          'stageproxy_mysql_errors_total{code="1146"}': 1,
                          'stageproxy_mysql_errors_total{code="1105"}': 1})  # ours
        # a refused login counts too
        rc, out, err = self.cli(s, "select 1", user="root", password="wrong")
        self.assertNotEqual(rc, 0)
        self.assertEqual(self.command_metrics(s)['stageproxy_mysql_errors_total{code="1045"}'], 1)

    def test_upstream_restarted_mid_session(self):
        db = MariaDB()  # its own: the shared one stays up
        self.addCleanup(db.close)
        s = self.server(upstream="127.0.0.1:%d" % db.port)
        c = self.connect(s)
        cur = c.cursor()
        cur.execute("CREATE STAGE keep")
        idle = self.connect(s).cursor()
        idle.execute("SELECT 1")
        # a statement in flight when the upstream dies
        got = {}

        def sleeper():
            try:
                cur.execute("SELECT SLEEP(30)")
            except pymysql.err.OperationalError as e:
                got["err"] = e.args
        t = threading.Thread(target=sleeper)
        t.start()
        time.sleep(0.5)
        started = time.time()
        db.kill()
        t.join(20)
        self.assertLess(time.time() - started, 10)
        self.assertEqual(got["err"][0], 2013, got)
        self.assertIn("Lost connection to the upstream", got["err"][1])
        # the session goes on for stage statements; upstream ones say to reconnect
        cur.execute("SHOW STAGES LIKE 'keep'")
        self.assertEqual(cur.fetchone()[0], "keep")
        cur.execute("LIST @keep")
        self.assertEqual(cur.fetchall(), ())
        code, msg = self.errno_of(cur, "SELECT 1")
        self.assertEqual(code, 2006)
        self.assertIn("reconnect", msg)
        self.assertEqual(self.errno_of(idle, "SELECT 1")[0], 2006)  # an idle one too
        # new logins are refused clearly while it is down
        rc, out, err = self.cli(s, "select 1")
        self.assertIn("Can't connect to the upstream MySQL server", err)
        db.start()
        fresh = self.connect(s).cursor()
        fresh.execute("SELECT 2")
        self.assertEqual(fresh.fetchone(), (2,))
        fresh.execute("SHOW STAGES LIKE 'keep'")  # stages were never the upstream's
        self.assertEqual(fresh.fetchone()[0], "keep")
        metrics = self.metrics(s)
        self.assertEqual(metrics["stageproxy_upstream_lost_total"], 2)  # in flight and idle
        self.assertEqual(metrics["stageproxy_upstream_refused_total"], 1)  # the login while down
        self.assertEqual(metrics["stageproxy_upstream_connections"], 1)  # fresh's
        self.assertGreater(metrics["stageproxy_upstream_bytes_in_total"], 0)
        self.assertEqual(self.errno_of(cur, "SELECT 1")[0], 2006)  # the old session stays cut
        c.ping(reconnect=True)  # what pools do: a new session
        cur = c.cursor()
        cur.execute("SELECT 3")
        self.assertEqual(cur.fetchone(), (3,))
        self.assertIn("upstream lost", s.log())

    def test_a_command_the_upstream_refuses_to_read(self):
        db = MariaDB(extra_args=["--max-allowed-packet=4M"])
        self.addCleanup(db.close)
        s = self.server(upstream="127.0.0.1:%d" % db.port)
        db.sql("CREATE TABLE big (v LONGBLOB)", db="shop")
        for mib in (8, 20):  # one packet, and two (the answer's sequence id differs)
            c = self.connect(s, database="shop", max_allowed_packet=64 << 20)
            cur = c.cursor()
            cur.execute("CREATE STAGE IF NOT EXISTS stays")
            # passed on as it arrives; MariaDB drops the connection at its header
            code, msg = self.errno_of(cur, "INSERT INTO big VALUES ('%s')" % ("x" * (mib << 20)))
            self.assertIn(code, (2013, 1153), msg)
            cur.execute("SHOW STAGES LIKE 'stays'")  # the session goes on for stages
            self.assertEqual(cur.fetchone()[0], "stays")
            self.assertEqual(self.errno_of(cur, "SELECT 1")[0], 2006)
        fresh = self.connect(s).cursor()
        fresh.execute("SELECT 1")
        self.assertEqual(fresh.fetchone(), (1,))
        self.assertIn("upstream lost", s.log())

    def test_kill_ends_the_client_session_as_upstream(self):
        s = self.server()
        victim = self.connect(s)
        vcur = victim.cursor()
        vcur.execute("SELECT CONNECTION_ID()")
        vid = vcur.fetchone()[0]
        self.assertEqual(vid, victim.thread_id())  # our id is the upstream's
        killer = self.connect(s).cursor()
        killer.execute("KILL QUERY %d" % vid)  # nothing running: no effect
        vcur.execute("SELECT 1")
        killer.execute("KILL %d" % vid)
        time.sleep(0.3)
        code, msg = self.errno_of(vcur, "SELECT 1")
        self.assertIn(code, (1927, 2013))  # MariaDB's words, or the closed socket
        killer.execute("SELECT COUNT(*) FROM information_schema.processlist WHERE id = %d" % vid)
        self.assertEqual(killer.fetchone(), (0,))
        # in flight: KILL QUERY interrupts the statement only
        vcur = self.connect(s).cursor()
        vcur.execute("SELECT CONNECTION_ID()")
        vid = vcur.fetchone()[0]
        threading.Timer(0.5, lambda: killer.execute("KILL QUERY %d" % vid)).start()
        started = time.time()
        self.assertEqual(self.errno_of(vcur, "SELECT SLEEP(20)")[0], 1317)  # interrupted
        self.assertLess(time.time() - started, 10)
        vcur.execute("SELECT 5")
        self.assertEqual(vcur.fetchone(), (5,))

    def aborted_clients(self):
        return int(self.db.sql("SHOW GLOBAL STATUS LIKE 'Aborted_clients'").split()[-1])

    def test_shutdown_closes_both_sides_cleanly(self):
        s = self.server()
        before = self.aborted_clients()
        quitter = pymysql.connect(host="127.0.0.1", port=s.mysql_port, user="root")
        quitter.cursor().execute("SELECT 1")
        quitter.close()  # COM_QUIT goes upstream too
        idle = self.connect(s)
        idle.cursor().execute("SELECT 1")
        busy = self.connect(s).cursor()
        got = {}
        t = threading.Thread(target=lambda: got.update(r=busy.execute("SELECT SLEEP(2), 'done'")
                                                        and busy.fetchone()))
        t.start()
        time.sleep(0.5)
        self.assertEqual(s.stop(), 0)  # waits for the statement in flight
        t.join(10)
        self.assertEqual(got["r"], (0, "done"))
        with self.assertRaises(pymysql.err.OperationalError):
            idle.cursor().execute("SELECT 1")
        time.sleep(0.3)
        self.assertEqual(self.aborted_clients(), before)  # every upstream session said goodbye
        self.assertEqual(self.db.sql("SELECT COUNT(*) FROM information_schema.processlist "
                                     "WHERE user = 'test' AND id <> CONNECTION_ID()"),
                         "COUNT(*)\n0\n")

    def test_tls_to_the_upstream(self):
        db, ca = mariadb_with_tls(self)
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        for mode, host in (("on", "127.0.0.1"), ("verify", "127.0.0.1"), ("verify", "localhost")):
            with self.subTest(mode=mode, host=host):
                s = self.server("--upstream-tls", mode, "--upstream-tls-ca", ca,
                                upstream="%s:%d" % (host, db.port))
                rc, out, err = self.cli(s, "show session status like 'Ssl_version'; "
                                           "select count(*) from shop.seq_1_to_100000; show stages")
                self.assertEqual(rc, 0, err)
                self.assertIn("Ssl_version\tTLSv1.", out)  # the upstream session is encrypted
                self.assertIn("100000", out)
        c = self.connect(s, database="shop", max_allowed_packet=64 << 20)
        cur = c.cursor()
        cur.execute("CREATE TABLE tb (v LONGBLOB)")
        blob = os.urandom(5 << 20)  # passed on as it arrives, through TLS
        cur.execute("INSERT INTO tb VALUES (%s)", (blob,))
        cur.execute("SELECT v FROM tb")
        self.assertTrue(cur.fetchone()[0] == blob)
        # a certificate the CAs do not vouch for, and an upstream without TLS
        other = os.path.join(tmp, "other")
        os.mkdir(other)
        other_ca = make_ca(other)[0]
        s = self.server("--upstream-tls", "verify", "--upstream-tls-ca", other_ca,
                        upstream="127.0.0.1:%d" % db.port)
        rc, out, err = self.cli(s, "select 1")
        self.assertIn("TLS with the upstream MySQL server failed", err)
        self.assertIn("certificate verify failed", err)
        s = self.server("--upstream-tls", "on")
        rc, out, err = self.cli(s, "select 1")
        self.assertIn("does not offer TLS", err)
        rc, out, err = run([BINARY, "--upstream", "127.0.0.1:1", "--upstream-tls", "verify",
                            "--upstream-tls-ca", os.path.join(tmp, "missing.pem"), "--data-dir",
                            os.path.join(tmp, "d"), "--mysql-listen", "127.0.0.1:0",
                            "--http-listen", "127.0.0.1:0"])
        self.assertNotEqual(rc, 0)  # refuses to start
        self.assertIn("missing.pem", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
