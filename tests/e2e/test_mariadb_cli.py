"""The stock mariadb CLI and mariadb-admin against stageproxy."""
import os
import tempfile
import unittest

from harness import Server, make_ca, run

USERS = "[users]\nalice = s3cret-pw\n"


def cli(server, *args, user="root", password=None, input=None, extra=()):
    cmd = ["mariadb", "-h127.0.0.1", "-P%d" % server.mysql_port, "-u" + user, "--batch"]
    if password is not None:
        cmd.append("-p" + password)
    return run(cmd + list(extra) + list(args), input=input)


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sha2 = Server(config=USERS, args=["--log-level", "debug"])
        cls.native = Server(config=USERS, args=["--auth-plugin", "mysql_native_password",
                                                "--log-level", "debug"])

    @classmethod
    def tearDownClass(cls):
        codes = [s.stop() for s in (cls.sha2, cls.native)]
        for s in (cls.sha2, cls.native):
            s.close()
        assert codes == [0, 0], "exit status on SIGTERM: %s" % codes

    def test_version_comment_as_in_the_readme(self):
        for s in (self.sha2, self.native):
            rc, out, err = cli(s, "-e", "select @@version_comment limit 1")
            self.assertEqual(rc, 0, err)
            self.assertEqual(out, "@@version_comment\nstageproxy - Databend-style stages for MySQL\n")

    def test_select_one_both_plugins_with_and_without_password(self):
        for s in (self.sha2, self.native):
            for user, pw in (("root", None), ("alice", "s3cret-pw")):
                rc, out, err = cli(s, "-e", "select 1", user=user, password=pw)
                self.assertEqual((rc, out), (0, "1\n1\n"), err)

    def test_client_answering_with_the_other_plugin_gets_switched(self):
        # The client starts with the plugin it is told; the server requires its own.
        for s, other in ((self.sha2, "mysql_native_password"),
                         (self.native, "caching_sha2_password")):
            rc, out, err = cli(s, "-e", "select current_user()", user="alice",
                               password="s3cret-pw", extra=["--default-auth=" + other])
            self.assertEqual(rc, 0, err)
            self.assertEqual(out, "current_user()\nalice@%\n")
            self.assertIn("client answered with %s: switching to" % other, s.log())

    def test_tls_is_used_by_default_and_can_be_refused(self):
        rc, out, err = cli(self.sha2, "-e", "show session variables like 'ssl_cipher'")
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"ssl_cipher\tTLS_")
        rc, out, err = cli(self.sha2, "--skip-ssl", "-e", "show session variables like 'ssl_cipher'")
        self.assertEqual((rc, out), (0, "Variable_name\tValue\nssl_cipher\t\n"), err)

    def test_wrong_password_unknown_user(self):
        rc, out, err = cli(self.sha2, "-e", "select 1", user="alice", password="nope")
        self.assertEqual(rc, 1)
        self.assertIn("ERROR 1045 (28000): Access denied for user 'alice'@'127.0.0.1' (using password: YES)", err)
        rc, out, err = cli(self.native, "-e", "select 1", user="mallory", password="x")
        self.assertIn("ERROR 1045 (28000)", err)
        rc, out, err = cli(self.sha2, "-e", "select 1", user="alice")
        self.assertIn("(using password: NO)", err)

    def test_statements_of_a_batch_session(self):
        script = """
select database();
use stageproxy;
select database();
set names utf8mb4;
select @@character_set_client, @@collation_connection;
set autocommit=0;
select @@autocommit;
show databases;
show tables;
select count(*) from information_schema.tables;
select $$;
"""
        rc, out, err = cli(self.sha2, "--force", input=script)
        self.assertEqual(out.split("\n")[:12], [
            "database()", "NULL", "database()", "stageproxy",
            "@@character_set_client\t@@collation_connection", "utf8mb4\tutf8mb4_0900_ai_ci",
            "@@autocommit", "0", "Database", "information_schema", "stageproxy",
            "count(*)"])
        self.assertIn("ERROR 1054 (42S22) at line 12: Unknown column '$$' in 'field list'", err)

    def test_status_command(self):
        rc, out, err = cli(self.sha2, "-e", "status")
        self.assertEqual(rc, 0, err)
        self.assertIn("Server version:\t\t8.0.36-stageproxy", out)
        self.assertIn("Cipher in use is TLS_", out)
        self.assertRegex(out, r"Uptime:\s+\d+ sec")

    def test_statements_without_upstream_get_a_clear_error(self):
        rc, out, err = cli(self.sha2, "-e", "create table t (a int)")
        self.assertEqual(rc, 1)
        self.assertIn("ERROR 1105 (HY000)", err)
        self.assertIn("No upstream database is configured", err)

    def test_multi_statements_in_one_query(self):
        rc, out, err = cli(self.sha2, "-e", "select 1 as a; select 2 as b")
        self.assertEqual((rc, out), (0, "a\n1\nb\n2\n"), err)

    def test_mariadb_admin_ping(self):
        for s in (self.sha2, self.native):
            rc, out, err = run(["mariadb-admin", "-h127.0.0.1", "-P%d" % s.mysql_port,
                                "-ualice", "-ps3cret-pw", "ping"])
            self.assertEqual((rc, out.strip()), (0, "mysqld is alive"), err)


class RootPasswordTest(unittest.TestCase):
    def test_empty_root_password_refused_once_one_is_set(self):
        with Server(env={"STAGEPROXY_ROOT_PASSWORD": "rootpw"}) as s:
            rc, out, err = cli(s, "-e", "select 1")
            self.assertIn("ERROR 1045 (28000)", err)
            rc, out, err = cli(s, "-e", "select 1", password="rootpw")
            self.assertEqual((rc, out), (0, "1\n1\n"), err)

    def test_root_password_from_the_config_file(self):
        with Server(config="[users]\nroot = filepw\n") as s:
            self.assertIn("ERROR 1045", cli(s, "-e", "select 1")[2])
            self.assertEqual(cli(s, "-e", "select 1", password="filepw")[0], 0)


class VerifiedTlsTest(unittest.TestCase):
    def test_verify_server_cert_with_the_configured_ca(self):
        with tempfile.TemporaryDirectory() as d:
            ca, crt, key = make_ca(d)
            with Server(args=["--tls-cert", crt, "--tls-key", key]) as s:
                rc, out, err = cli(s, "-e", "select 1", extra=[
                    "--ssl-ca=" + ca, "--ssl-verify-server-cert"])
                self.assertEqual((rc, out), (0, "1\n1\n"), err)
                # A CA that did not sign the certificate is refused by the client.
                other = os.path.join(d, "other")
                os.mkdir(other)
                other_ca, _, _ = make_ca(other)
                rc, out, err = cli(s, "-e", "select 1", extra=[
                    "--ssl-ca=" + other_ca, "--ssl-verify-server-cert"])
                self.assertNotEqual(rc, 0)
                self.assertIn("2026", err)

    def test_self_signed_certificate_is_generated_once_and_can_be_pinned(self):
        with Server() as s:
            crt = os.path.join(s.data_dir, "tls", "server.crt")
            self.assertTrue(os.path.exists(crt))
            self.assertEqual(os.stat(os.path.join(s.data_dir, "tls", "server.key")).st_mode & 0o777, 0o600)
            with open(crt) as f:
                before = f.read()
            rc, out, err = cli(s, "-e", "select 1", extra=["--ssl-ca=" + crt, "--ssl-verify-server-cert"])
            self.assertEqual((rc, out), (0, "1\n1\n"), err)
            self.assertEqual(s.stop(), 0)
            s.start()
            with open(crt) as f:
                self.assertEqual(f.read(), before)


if __name__ == "__main__":
    unittest.main(verbosity=2)
