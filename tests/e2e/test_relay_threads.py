"""Relay threads in proxy mode, against a throwaway MariaDB: logged-in
sessions are spread over the threads, every session keeps its state while
it moves to the main thread for stage statements and back, many clients at
once (plain and TLS) get exactly their own answers, and the setting is
checked at start."""
import os
import random
import threading
import time
import unittest
import urllib.request

import pymysql
from pymysql.constants import CLIENT

import rawmysql as rm
from harness import BINARY, Server, run
from mariadb_peer import PASSWORD, USER, MariaDB


def run_at_once(client, n, timeout):
    """Runs client(0) .. client(n - 1) on threads of their own and waits."""
    workers = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout)


class RelayThreads(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB()
        cls.db.sql("CREATE TABLE IF NOT EXISTS kv (k INT PRIMARY KEY, v VARCHAR(64))", db="shop")

    @classmethod
    def tearDownClass(cls):
        cls.db.close()

    def server(self, *args):
        s = Server(args=["--upstream", "127.0.0.1:%d" % self.db.port, "--upstream-user", USER,
                         "--upstream-password", PASSWORD] + list(args))
        self.addCleanup(s.close)
        return s

    def connect(self, s, **kw):
        c = pymysql.connect(host="127.0.0.1", port=s.mysql_port, user="root", password="",
                            autocommit=True, **kw)
        self.addCleanup(lambda: c.open and c.close())
        return c

    def relay_metrics(self, s):
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % s.http_port, timeout=10) as r:
            lines = r.read().decode().splitlines()
        return {k: int(float(v)) for k, v in (ln.rsplit(" ", 1) for ln in lines
                                              if ln.startswith("stageproxy_relay"))}

    def test_sessions_are_spread_over_the_threads(self):
        s = self.server("--relay-threads", "3")
        conns = [self.connect(s) for _ in range(6)]
        for i, c in enumerate(conns):
            cur = c.cursor()
            cur.execute("SELECT %d" % i)
            self.assertEqual(cur.fetchone(), (i,))
        m = self.relay_metrics(s)
        self.assertEqual(m["stageproxy_relay_threads"], 3)
        self.assertEqual([m['stageproxy_relay_sessions{thread="%d"}' % i] for i in range(3)],
                         [2, 2, 2])
        # a stage statement runs on the main thread; the session comes back to its relay
        cur = conns[0].cursor()
        cur.execute("CREATE STAGE spread")
        cur.execute("SELECT CONNECTION_ID()")
        self.assertEqual(cur.fetchone(), (conns[0].thread_id(),))
        self.assertEqual(sum(v for k, v in self.relay_metrics(s).items() if "{" in k), 6)
        for c in conns[:4]:
            c.close()
        for _ in range(100):  # closed on their threads, counted on the main one
            if sum(v for k, v in self.relay_metrics(s).items() if "{" in k) == 2:
                break
            threading.Event().wait(0.05)
        self.assertEqual(sum(v for k, v in self.relay_metrics(s).items() if "{" in k), 2)

    def test_a_session_running_stage_statements_stays_on_the_main_thread(self):
        """Each move costs tens of µs: a session that mixes stage statements
        into its queries moves home once and goes back to its relay only
        after four statements in a row did not need the main thread."""
        s = self.server("--relay-threads", "2")
        cur = self.connect(s).cursor()
        cur.execute("CREATE STAGE mixer")
        for i in range(20):
            cur.execute("SHOW STAGES LIKE 'mixer'" if i % 2 else "SELECT %d" % i)
            self.assertEqual(cur.fetchone()[0], "mixer" if i % 2 else i)
        self.assertEqual(self.relay_metrics(s)["stageproxy_relay_homecomings_total"], 1)
        for i in range(4):
            cur.execute("SELECT %d" % i)
        cur.execute("LIST @mixer")  # it went back, and comes home again
        self.assertEqual(self.relay_metrics(s)["stageproxy_relay_homecomings_total"], 2)

    def test_session_state_survives_the_moves(self):
        for threads in ("2", "0"):
            with self.subTest(relay_threads=threads):
                s = self.server("--relay-threads", threads)
                self.assertEqual(self.relay_metrics(s)["stageproxy_relay_threads"], int(threads))
                c = self.connect(s, database="shop", client_flag=CLIENT.MULTI_STATEMENTS)
                cur = c.cursor()
                cur.execute("SET @mark = 'kept'")
                cur.execute("BEGIN")
                cur.execute("INSERT INTO kv VALUES (1000, 'in the transaction')")
                cur.execute("CREATE STAGE IF NOT EXISTS st_%s" % threads)  # on the main thread
                cur.execute("LIST @st_%s" % threads)
                self.assertEqual(cur.fetchall(), ())
                cur.execute("SELECT v, @mark, DATABASE() FROM kv WHERE k = 1000")
                self.assertEqual(cur.fetchone(), ("in the transaction", "kept", "shop"))
                cur.execute("ROLLBACK")
                cur.execute("SELECT COUNT(*) FROM kv WHERE k = 1000")
                self.assertEqual(cur.fetchone(), (0,))
                # one query: upstream, stage, upstream statements in a row
                cur.execute("SELECT 1; SHOW STAGES LIKE 'st_%s'; SELECT @mark" % threads)
                self.assertEqual(cur.fetchall(), ((1,),))
                self.assertTrue(cur.nextset())
                self.assertEqual(cur.fetchone()[0], "st_" + threads)
                self.assertTrue(cur.nextset())
                self.assertEqual(cur.fetchall(), (("kept",),))
                self.assertFalse(cur.nextset())

    def test_many_clients_at_once_get_their_own_answers(self):
        s = self.server("--relay-threads", "2")
        ca = os.path.join(s.data_dir, "tls", "server.crt")
        errors = []

        def client(i):
            try:
                kw = {"ssl": {"ca": ca}} if i % 2 else {}  # TLS state moves with the session
                c = pymysql.connect(host="127.0.0.1", port=s.mysql_port, user="root",
                                    password="", autocommit=True, database="shop", **kw)
                cur = c.cursor()
                cur.execute("CREATE STAGE IF NOT EXISTS busy_%d" % i)
                for j in range(40):
                    cur.execute("SELECT %d * 1000 + %d, REPEAT('x', %d)" % (i, j, j * 100))
                    self.assertEqual(cur.fetchone(), (i * 1000 + j, "x" * (j * 100)))
                    if j % 5 == 0:
                        cur.execute("SHOW STAGES LIKE 'busy_%d'" % i)
                        self.assertEqual(cur.fetchone()[0], "busy_%d" % i)
                        cur.execute("REPLACE INTO kv VALUES (%d, 'client %d round %d')"
                                    % (i, i, j))
                cur.execute("SELECT v FROM kv WHERE k = %d" % i)
                self.assertEqual(cur.fetchone(), ("client %d round 35" % i,))
                cur.execute("SELECT COUNT(*) FROM information_schema.processlist")
                self.assertGreater(cur.fetchone()[0], 0)
                c.close()
            except Exception as e:  # reported by the main thread
                errors.append((i, repr(e)))

        run_at_once(client, 12, 120)
        self.assertEqual(errors, [])
        rc, out, err = run(["mariadb", "-h127.0.0.1", "-P%d" % s.mysql_port, "-uroot", "--batch",
                            "-e", "show stages like 'busy_%'"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.count("busy_"), 12)

    def test_clients_that_come_go_and_interrupt_each_other(self):
        """For a few seconds, clients log in, mix relayed and main-thread
        statements, KILL QUERY each other and vanish mid-session; every answer
        is right, and the counts come back to zero."""
        s = self.server("--relay-threads", "3")
        errors, ids, ops = [], {}, [0]

        def client(i):
            rnd = random.Random(i)
            end = time.time() + 4
            while time.time() < end:
                try:
                    c = pymysql.connect(host="127.0.0.1", port=s.mysql_port, user="root",
                                        password="", autocommit=True,
                                        client_flag=CLIENT.MULTI_STATEMENTS)
                    cur = c.cursor()
                    ids[i] = c.thread_id()
                    for _ in range(rnd.randint(1, 30)):
                        r = rnd.random()
                        ops[0] += 1
                        if r < 0.45:
                            v = rnd.randint(0, 10 ** 6)
                            cur.execute("SELECT %d, REPEAT('z', %d)" % (v, v % 3000))
                            self.assertEqual(cur.fetchone(), (v, "z" * (v % 3000)))
                        elif r < 0.6:
                            cur.execute("CREATE STAGE IF NOT EXISTS churn_%d" % (i % 4))
                            cur.execute("LIST @churn_%d" % (i % 4))
                            self.assertEqual(cur.fetchall(), ())
                        elif r < 0.7:
                            cur.execute("SELECT 1; SHOW STAGES LIKE 'churn_0'; SELECT 2")
                            while cur.nextset():
                                pass
                        elif r < 0.75:
                            c.select_db(rnd.choice(["shop", "mysql"]))
                        elif r < 0.8:
                            cur.execute("KILL QUERY %d" % rnd.choice(list(ids.values())))
                        else:
                            cur.execute("SELECT SLEEP(0.005)")
                            cur.fetchall()
                    if rnd.random() < 0.3:
                        c._sock.close()  # gone without COM_QUIT
                    else:
                        c.close()
                except pymysql.err.OperationalError as e:
                    # interrupted by KILL QUERY, or a KILL of a client already gone
                    if e.args[0] not in (1317, 1094):
                        errors.append((i, repr(e)))
                except Exception as e:  # reported by the main thread
                    errors.append((i, repr(e)))

        run_at_once(client, 16, 60)
        self.assertEqual(errors, [])
        self.assertGreater(ops[0], 200)
        for _ in range(100):  # the last closes are counted on the main thread
            m = self.relay_metrics(s)
            if sum(v for k, v in m.items() if "{" in k) == 0:
                break
            time.sleep(0.05)
        self.assertEqual(sum(v for k, v in m.items() if "{" in k), 0, m)

    def test_pipelined_commands_keep_their_order_across_moves(self):
        """Commands sent at once, some for the main thread, some relayed: each
        move takes the rest of the input along, and answers come in order."""
        s = self.server("--relay-threads", "2")
        for tls in (False, True):
            with self.subTest(tls=tls):
                c = rm.Conn(s.mysql_port)
                self.addCleanup(c.close)
                self.assertEqual(c.login(tls=tls)[0], 0)
                c.query("select 0")  # logged in and moved to its relay
                self.assertEqual(c.read_result()[2], [["0"]])
                stage = "pipe_%d" % tls
                sqls = ["create stage %s" % stage]
                for i in range(1, 30):
                    sqls.append("select %d" % i if i % 3 else "show stages like '%s'" % stage)
                payload = b""
                for q in sqls:
                    q = b"\x03" + q.encode()
                    payload += len(q).to_bytes(3, "little") + b"\0" + q
                c.sock.sendall(payload)
                self.assertEqual(c.read_result()[0], "ok")
                for i in range(1, 30):
                    r = c.read_result()
                    self.assertEqual(r[0], "rows", r)
                    self.assertEqual(r[2][0][0], str(i) if i % 3 else stage)

    def test_the_setting_is_checked_at_start(self):
        for value in ("65", "-1", "many"):
            rc, out, err = run([BINARY, "--relay-threads", value, "--data-dir", "/nonexistent"])
            self.assertEqual(rc, 2)
            self.assertIn("invalid value '%s' for relay_threads" % value, err)
        s = Server(env={"STAGEPROXY_RELAY_THREADS": "1"},
                   args=["--upstream", "127.0.0.1:%d" % self.db.port])
        self.addCleanup(s.close)
        self.assertEqual(self.relay_metrics(s)["stageproxy_relay_threads"], 1)
        s = Server(args=["--relay-threads", "4"])  # stage-only mode relays nothing
        self.addCleanup(s.close)
        self.assertEqual(self.relay_metrics(s), {"stageproxy_relay_threads": 0})


if __name__ == "__main__":
    unittest.main(verbosity=2)
