"""The client matrix in proxy mode, against a throwaway MariaDB: PyMySQL and
MySQLdb, the stock mariadb CLI, node mysql2 (query and execute) and the node
mariadb driver, Connector/J with server-side prepared statements. Each sees
what MariaDB itself sends, stage statements work on the same connections, and
big values and results pass through in bounded memory."""
import hashlib
import os
import tempfile
import unittest

import MySQLdb
import pymysql
import pymysql.cursors
from pymysql.constants import CLIENT

import rawmysql as rm
from harness import HERE, Server, run
from mariadb_peer import PASSWORD, USER, MariaDB

SANITIZED = os.environ.get("STAGEPROXY_SANITIZED") == "1"
MIB = 1 << 20


class ProxyClients(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB()
        cls.s = cls.proxy()
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        code = cls.s.stop()
        cls.s.close()
        cls.db.close()
        cls.tmp.cleanup()
        assert code == 0, code

    @classmethod
    def proxy(cls, *args):
        return Server(args=["--upstream", "127.0.0.1:%d" % cls.db.port, "--upstream-user", USER,
                            "--upstream-password", PASSWORD] + list(args))

    def pymysql(self, server=None, **kw):
        port = (server or self.s).mysql_port
        c = pymysql.connect(host="127.0.0.1", port=port, user="root", password="", **kw)
        self.addCleanup(c.close)
        return c

    def direct(self, **kw):
        c = pymysql.connect(host="127.0.0.1", port=self.db.port, user=USER, password=PASSWORD, **kw)
        self.addCleanup(c.close)
        return c

    def test_pymysql_sees_what_mariadb_sends(self):
        q = ("SELECT 1 AS i, 2.5 AS d, 'x' AS s, NULL AS n, CAST('2024-02-29 12:34:56.789' AS "
             "DATETIME(3)) AS t, x'00ff' AS b, 1e300 AS f, @@version AS v")
        results = []
        for c in (self.direct(), self.pymysql()):
            cur = c.cursor()
            cur.execute(q)
            results.append((cur.description, cur.fetchall()))
        self.assertEqual(results[0], results[1])

    def test_pymysql_ddl_dml_and_transactions(self):
        c = self.pymysql(database="shop")  # PyMySQL turns autocommit off
        cur = c.cursor()
        cur.execute("CREATE TABLE tx (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(10))")
        self.assertEqual(cur.execute("INSERT INTO tx (v) VALUES ('a'), ('b')"), 2)
        self.assertEqual(cur.lastrowid, 1)
        c.rollback()
        self.assertEqual(self.db.sql("SELECT COUNT(*) FROM tx", db="shop"), "COUNT(*)\n0\n")
        cur.execute("INSERT INTO tx (v) VALUES ('c')")
        cur.execute("CREATE STAGE tx_stage")  # a stage statement inside the open transaction
        cur.execute("LIST @tx_stage")
        self.assertEqual(cur.fetchall(), ())
        c.commit()
        self.assertEqual(self.db.sql("SELECT v FROM tx", db="shop"), "v\nc\n")
        with self.assertRaises(pymysql.err.IntegrityError) as e:
            cur.execute("INSERT INTO tx VALUES (3, 'dup')")
        self.assertEqual(e.exception.args[0], 1062)
        cur.execute("SELECT DATABASE(), @@autocommit")
        self.assertEqual(cur.fetchone(), ("shop", 0))
        c.select_db("mysql")  # COM_INIT_DB
        cur.execute("SELECT DATABASE()")
        self.assertEqual(cur.fetchone(), ("mysql",))
        cur.execute("DROP STAGE tx_stage")

    def test_pymysql_multi_statements_mixing_stage_statements(self):
        c = self.pymysql(database="shop", client_flag=CLIENT.MULTI_STATEMENTS, autocommit=True)
        cur = c.cursor()
        cur.execute("CREATE TABLE ms (id INT); INSERT INTO ms VALUES (1),(2); CREATE STAGE ms_s;"
                    "SELECT COUNT(*) FROM ms; SHOW STAGES LIKE 'ms%'; SELECT 'end'")
        sets = []
        while True:
            sets.append(cur.fetchall())
            if not cur.nextset():
                break
        self.assertEqual(len(sets), 6)
        self.assertEqual(sets[3], ((2,),))
        self.assertEqual(sets[4][0][0], "ms_s")
        self.assertEqual(sets[5], (("end",),))
        # an error stops the rest, whichever side it comes from
        with self.assertRaises(pymysql.err.ProgrammingError) as e:
            cur.execute("SELECT 1; SELECT * FROM nope; CREATE STAGE never")
            while cur.nextset():
                pass
        self.assertEqual(e.exception.args[0], 1146)
        cur.execute("SHOW STAGES LIKE 'never'")
        self.assertEqual(cur.fetchall(), ())
        cur.execute("DROP STAGE ms_s")

    def csv(self, name, rows):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            for i in range(rows):
                f.write("%d,name %d\n" % (i, i))
        return path

    def test_load_data_local_infile(self):
        path = self.csv("rows.csv", 200000)
        c = self.pymysql(database="shop", local_infile=True, autocommit=True)
        cur = c.cursor()
        cur.execute("CREATE TABLE li (id INT PRIMARY KEY, v VARCHAR(20))")
        n = cur.execute("LOAD DATA LOCAL INFILE '%s' INTO TABLE li FIELDS TERMINATED BY ','" % path)
        self.assertEqual(n, 200000)
        cur.execute("SELECT COUNT(*), SUM(id), MAX(v) FROM li")
        self.assertEqual(cur.fetchone(), (200000, 19999900000, "name 99999"))
        # the stock CLI, and its empty answer when the file is missing
        cli = ["mariadb", "-h127.0.0.1", "-P%d" % self.s.mysql_port, "-uroot", "--batch",
               "--local-infile=1", "shop", "-e"]
        rc, out, err = run(cli + ["TRUNCATE li; LOAD DATA LOCAL INFILE '%s' INTO TABLE li FIELDS "
                                  "TERMINATED BY ','; SELECT COUNT(*) FROM li" % path])
        self.assertEqual((rc, out), (0, "COUNT(*)\n200000\n"), err)
        rc, out, err = run(cli + ["LOAD DATA LOCAL INFILE '/nonexistent/x.csv' INTO TABLE li"])
        self.assertNotEqual(rc, 0)
        self.assertIn("/nonexistent/x.csv", err)
        cur.execute("SELECT COUNT(*) FROM li")  # the session goes on
        self.assertEqual(cur.fetchone(), (200000,))

    def test_clients_over_tls(self):
        ca = os.path.join(self.s.data_dir, "tls", "server.crt")  # generated at first start
        c = self.pymysql(database="shop", ssl={"ca": ca}, max_allowed_packet=64 * MIB,
                         autocommit=True)
        cur = c.cursor()
        cur.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")  # the upstream hop is plain here
        self.assertEqual(cur.fetchone(), ("Ssl_cipher", ""))
        cur.execute("SELECT @@ssl_cipher IS NOT NULL")
        cur.execute("CREATE TABLE IF NOT EXISTS tls_blobs (id INT PRIMARY KEY, v LONGBLOB)")
        blob = os.urandom(5 * MIB)  # passed on as it arrives, after decryption
        cur.execute("REPLACE INTO tls_blobs VALUES (1, %s)", (blob,))
        cur.execute("SELECT v FROM tls_blobs WHERE id = 1")
        self.assertTrue(cur.fetchone()[0] == blob)
        cur.execute("SELECT COUNT(*) FROM (SELECT seq FROM seq_1_to_200000) t")
        self.assertEqual(cur.fetchone(), (200000,))
        cur.execute("SHOW STAGES")
        rc, out, err = run(["mariadb", "-h127.0.0.1", "-P%d" % self.s.mysql_port, "-uroot",
                            "--ssl-ca=" + ca, "--ssl-verify-server-cert", "--batch", "-e",
                            "status; select count(*) from shop.seq_1_to_1000"])
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"SSL:\s+Cipher in use is TLS_")
        self.assertIn("1000", out)

    def test_load_data_local_infile_of_64_mib_in_bounded_memory(self):
        s = self.proxy()
        self.addCleanup(s.close)
        path = os.path.join(self.tmp.name, "big.csv")
        with open(path, "w") as f:
            pad = "x" * 200
            f.writelines("%d,%s\n" % (i, pad) for i in range(330000))
        self.assertGreater(os.path.getsize(path), 64 * MIB)
        rc, out, err = run(["mariadb", "-h127.0.0.1", "-P%d" % s.mysql_port, "-uroot", "--batch",
                            "--local-infile=1", "shop", "-e",
                            "CREATE TABLE li_big (id INT PRIMARY KEY, v TEXT); LOAD DATA LOCAL INFILE "
                            "'%s' INTO TABLE li_big FIELDS TERMINATED BY ','; SELECT COUNT(*), "
                            "SUM(LENGTH(v)) FROM li_big" % path], timeout=300)
        self.assertEqual((rc, out), (0, "COUNT(*)\tSUM(LENGTH(v))\n330000\t66000000\n"), err)
        if not SANITIZED:
            self.assertLess(s.peak_rss_kib(), 24 * 1024)

    def raw_infile(self, s, sql, packets, flags=rm.BASE_FLAGS):
        """LOAD DATA LOCAL through a raw client that sends the file in
        `packets`; returns the answer to the query."""
        c = rm.Conn(s.mysql_port, timeout=120)
        self.addCleanup(c.close)
        self.assertEqual(c.login(flags=flags | 0x80, db="shop")[0], 0)  # CLIENT_LOCAL_FILES
        c.query(sql)
        while True:  # the answers of statements before the LOAD DATA
            p = c.read_packet()
            if p[0] == 0xFB:
                break
            self.assertEqual(p[0], 0x00, p)
        self.assertEqual(p[1:], b"rows.csv")
        for data in packets:
            c.write_packet(data)
        c.write_packet(b"")
        return c.read_result()

    def test_load_data_local_infile_in_big_packets(self):
        """Connector/J sends the file in packets as big as max_allowed_packet:
        they go on as they arrive, never held whole."""
        s = self.proxy()
        self.addCleanup(s.close)
        line = b"%08d," + b"y" * 1000 + b"\n"
        rows = 15 * MIB // len(line % 0)
        packet = b"".join(line % i for i in range(rows))  # 15 MiB of whole lines
        self.direct().cursor().execute("CREATE TABLE shop.li_packets (id INT, v TEXT)")
        r = self.raw_infile(s, "LOAD DATA LOCAL INFILE 'rows.csv' INTO TABLE li_packets FIELDS "
                               "TERMINATED BY ','", [packet] * 3)
        self.assertEqual(r[0], "ok", r)
        cur = self.direct().cursor()
        cur.execute("SELECT COUNT(*), SUM(LENGTH(v)) FROM shop.li_packets")
        self.assertEqual(cur.fetchone(), (3 * rows, 3 * rows * 1000))
        if not SANITIZED:
            self.assertLess(s.peak_rss_kib(), 24 * 1024)
        # After a stage statement in the same query the client numbers its
        # packets differently from the upstream: each is then reframed.
        cur.execute("CREATE TABLE shop.li_small (id INT, v TEXT)")
        r = self.raw_infile(s, "CREATE STAGE IF NOT EXISTS li_stage; LOAD DATA LOCAL INFILE "
                               "'rows.csv' INTO TABLE li_small FIELDS TERMINATED BY ','",
                            [b"1,a\n2,b\n", b"3,c\n"],
                            flags=rm.BASE_FLAGS | rm.CLIENT_MULTI_STATEMENTS)
        self.assertEqual(r[0], "ok", r)
        cur.execute("SELECT GROUP_CONCAT(v ORDER BY id) FROM shop.li_small")
        self.assertEqual(cur.fetchone(), ("a,b,c",))

    def test_load_data_local_infile_out_of_order_is_refused(self):
        s = self.proxy()
        self.addCleanup(s.close)
        c = rm.Conn(s.mysql_port)
        self.addCleanup(c.close)
        self.assertEqual(c.login(flags=rm.BASE_FLAGS | 0x80, db="shop")[0], 0)
        self.direct().cursor().execute("CREATE TABLE IF NOT EXISTS shop.li_order (v TEXT)")
        c.query("LOAD DATA LOCAL INFILE 'rows.csv' INTO TABLE li_order")
        self.assertEqual(c.read_packet()[0], 0xFB)
        c.write_packet(b"1,a\n", seq=(c.seq + 5) & 0xFF)  # a sequence id the client skipped
        r = c.read_result()
        self.assertEqual(r[:2], ("err", 1156), r)  # ER_NET_PACKETS_OUT_OF_ORDER
        fresh = self.pymysql(s)
        fresh.cursor().execute("SELECT 1")  # the server goes on

    def test_mysqldb(self):
        c = MySQLdb.connect(host="127.0.0.1", port=self.s.mysql_port, user="root", passwd="",
                            db="shop")
        self.addCleanup(c.close)
        cur = c.cursor()
        cur.execute("CREATE TABLE my (id INT PRIMARY KEY, v TEXT)")
        cur.executemany("INSERT INTO my VALUES (%s, %s)", [(i, "v%d" % i) for i in range(50)])
        c.commit()
        cur.execute("SELECT COUNT(*), CONNECTION_ID() = %s FROM my", (c.thread_id(),))
        self.assertEqual(cur.fetchone(), (50, 1))
        cur.execute("SHOW STAGES")
        c.ping()
        with self.assertRaises(MySQLdb.OperationalError) as e:
            cur.execute("SELECT nope FROM my")
        self.assertEqual(e.exception.args[0], 1054)

    def test_blob_of_32_mib_round_trip_in_bounded_memory(self):
        s = self.proxy()
        self.addCleanup(s.close)
        c = self.pymysql(s, database="shop", max_allowed_packet=256 * MIB, autocommit=True)
        cur = c.cursor()
        cur.execute("CREATE TABLE blobs (id INT PRIMARY KEY, v LONGBLOB)")
        blob = os.urandom(32 * MIB)
        cur.execute("INSERT INTO blobs VALUES (1, %s)", (blob,))
        cur.execute("SELECT v, LENGTH(v), MD5(v) FROM blobs WHERE id = 1")
        v, n, md5 = cur.fetchone()
        self.assertEqual((n, md5), (32 * MIB, hashlib.md5(blob).hexdigest()))
        self.assertTrue(v == blob)
        cur.execute("SHOW STAGES")  # in step afterwards
        if not SANITIZED:  # neither the 32 MiB command nor its answer was held
            self.assertLess(s.peak_rss_kib(), 24 * 1024)

    def test_million_row_result_in_bounded_memory(self):
        s = self.proxy()
        self.addCleanup(s.close)
        c = self.pymysql(s, database="shop", cursorclass=pymysql.cursors.SSCursor)
        cur = c.cursor()
        cur.execute("SELECT seq, CONCAT('row ', seq) FROM seq_1_to_1000000")
        n = total = 0
        for i, text in cur:
            n += 1
            total += i
        self.assertEqual((n, total, text), (1000000, 500000500000, "row 1000000"))
        cur.execute("SELECT 1")
        self.assertEqual(list(cur.fetchall()), [(1,)])
        if not SANITIZED:
            self.assertLess(s.peak_rss_kib(), 24 * 1024)

    def test_sysbench_oltp_read_only_without_errors(self):
        sb = ["sysbench", "oltp_read_only", "--db-driver=mysql", "--mysql-host=127.0.0.1",
              "--mysql-port=%d" % self.s.mysql_port, "--mysql-user=root", "--mysql-password=",
              "--mysql-db=shop", "--tables=2", "--table-size=10000"]
        rc, out, err = run(sb + ["prepare"], timeout=300)  # its DDL and inserts go through us too
        self.assertEqual(rc, 0, out + err)
        rc, out, err = run(sb + ["--threads=4", "--time=5", "run"], timeout=120)
        self.assertEqual(rc, 0, out + err)
        stats = dict(line.strip().split(":", 1) for line in out.splitlines()
                     if line.strip().startswith(("transactions:", "ignored errors:", "reconnects:")))
        self.assertEqual(stats["ignored errors"].split()[0], "0", out)
        self.assertEqual(stats["reconnects"].split()[0], "0", out)
        self.assertGreater(int(stats["transactions"].split()[0]), 100, out)

    def test_node_mysql2_and_mariadb(self):
        env = dict(os.environ, SP_PROXY_PORT=str(self.s.mysql_port), SP_DB_PORT=str(self.db.port))
        rc, out, err = run(["node", "--test", os.path.join(HERE, "node", "test_proxy_drivers.mjs")],
                           env=env, timeout=300)
        self.assertEqual(rc, 0, out[-6000:] + err[-3000:])

    def test_connector_j_server_side_prepared_statements(self):
        jar = "/usr/share/java/mariadb-java-client.jar"
        src = os.path.join(HERE, "java", "ProxyConnectorJTest.java")
        rc, out, err = run(["java", "-cp", jar, src, str(self.s.mysql_port)], timeout=300)
        self.assertEqual((rc, out.strip()), (0, "ok"), err[-4000:] + self.s.log()[-2000:])


if __name__ == "__main__":
    unittest.main(verbosity=2)
