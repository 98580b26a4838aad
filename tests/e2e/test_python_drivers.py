"""PyMySQL and MySQLdb (mysqlclient), as Debian ships them, against stageproxy."""
import ssl
import tempfile
import unittest

import MySQLdb
import pymysql
from pymysql.constants import FIELD_TYPE

from harness import Server, make_ca

USERS = "[users]\nbob = hunter2\n"


class DriverMatrix(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.ca, crt, key = make_ca(cls.tmp.name)
        cls.servers = {
            "caching_sha2_password": Server(config=USERS, args=["--tls-cert", crt, "--tls-key", key,
                                                                "--log-level", "debug"]),
            "mysql_native_password": Server(config=USERS, args=[
                "--tls-cert", crt, "--tls-key", key, "--auth-plugin", "mysql_native_password"]),
        }

    @classmethod
    def tearDownClass(cls):
        codes = [s.stop() for s in cls.servers.values()]
        for s in cls.servers.values():
            s.close()
        cls.tmp.cleanup()
        assert codes == [0, 0], codes

    def pymysql_connect(self, server, **kw):
        return pymysql.connect(host="127.0.0.1", port=server.mysql_port, **kw)

    def test_pymysql_setup_and_select_one(self):
        for plugin, s in self.servers.items():
            for user, pw in (("root", ""), ("bob", "hunter2")):
                with self.subTest(plugin=plugin, user=user):
                    conn = self.pymysql_connect(s, user=user, password=pw)
                    # PyMySQL's own set-up: SET NAMES utf8mb4 and SET AUTOCOMMIT = 0
                    self.assertFalse(conn.get_autocommit())
                    cur = conn.cursor()
                    cur.execute("SELECT 1")
                    self.assertEqual(cur.fetchall(), ((1,),))
                    self.assertEqual(cur.description[0][1], FIELD_TYPE.LONGLONG)
                    cur.execute("SELECT @@character_set_client, @@autocommit, DATABASE()")
                    self.assertEqual(cur.fetchone(), ("utf8mb4", 0, None))
                    conn.commit()
                    conn.rollback()
                    conn.ping()
                    conn.select_db("stageproxy")
                    cur.execute("SELECT DATABASE(), CURRENT_USER()")
                    self.assertEqual(cur.fetchone(), ("stageproxy", user + "@%"))
                    conn.close()

    def test_pymysql_tls_verified(self):
        for s in self.servers.values():
            ctx = ssl.create_default_context(cafile=self.ca)
            conn = self.pymysql_connect(s, user="bob", password="hunter2", ssl=ctx)
            cur = conn.cursor()
            cur.execute("SHOW SESSION STATUS LIKE 'Uptime'")
            self.assertEqual(len(cur.fetchall()), 1)
            cur.execute("SELECT @@ssl_cipher")
            self.assertTrue(cur.fetchone()[0].startswith("TLS_"))
            conn.close()

    def test_pymysql_errors(self):
        s = self.servers["caching_sha2_password"]
        with self.assertRaises(pymysql.err.OperationalError) as e:
            self.pymysql_connect(s, user="bob", password="wrong")
        self.assertEqual(e.exception.args[0], 1045)
        conn = self.pymysql_connect(s, user="bob", password="hunter2")
        cur = conn.cursor()
        with self.assertRaises(pymysql.err.OperationalError) as e:
            cur.execute("SELECT * FROM shop.orders")
        self.assertEqual(e.exception.args[0], 1105)
        with self.assertRaises(pymysql.err.ProgrammingError) as e:
            cur.execute("SELECT 1 FROM")
        self.assertEqual(e.exception.args[0], 1064)
        cur.execute("SELECT 2")  # the connection keeps serving
        self.assertEqual(cur.fetchone(), (2,))
        conn.close()

    def test_mysqldb_setup_and_select_one(self):
        for plugin, s in self.servers.items():
            for user, pw in (("root", ""), ("bob", "hunter2")):
                with self.subTest(plugin=plugin, user=user):
                    conn = MySQLdb.connect(host="127.0.0.1", port=s.mysql_port, user=user,
                                           passwd=pw, charset="utf8mb4")
                    cur = conn.cursor()
                    cur.execute("SELECT 1")
                    self.assertEqual(cur.fetchall(), ((1,),))
                    cur.execute("SELECT @@autocommit, @@sql_mode LIKE '%STRICT_TRANS_TABLES%'")
                    self.assertEqual(cur.fetchone(), (0, 1))
                    cur.execute("SELECT VERSION()")
                    self.assertTrue(cur.fetchone()[0].startswith("8.0.36-stageproxy"))
                    conn.rollback()
                    conn.ping()
                    conn.close()

    def test_mysqldb_tls_verified(self):
        s = self.servers["mysql_native_password"]
        conn = MySQLdb.connect(host="127.0.0.1", port=s.mysql_port, user="bob", passwd="hunter2",
                               ssl={"ca": self.ca})
        cur = conn.cursor()
        cur.execute("SELECT @@ssl_cipher")
        self.assertTrue(cur.fetchone()[0].startswith("TLS_"))
        conn.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
