"""Proxy mode against a throwaway MariaDB started here: the greeting mirrors
the upstream, logins go through to it (or fail with its words), statements
and their errors come back as the upstream sent them, and stage statements
stay local, also between upstream statements and inside a transaction."""
import unittest

import rawmysql as rm
from harness import Server, run
from mariadb_peer import PASSWORD, USER, MariaDB
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

    def test_upstream_users_map_local_users(self):
        s = Server(config="[users]\nzoe = zpw\n[upstream_users]\nzoe = other:otherpass\n",
                   args=["--upstream", "127.0.0.1:%d" % self.db.port])
        self.addCleanup(s.close)
        rc, out, err = self.cli(s, "select current_user()", user="zoe", password="zpw")
        self.assertEqual((rc, out), (0, "current_user()\nother@%\n"), err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
