"""MariaDB Connector/J (Debian's libmariadb-java) on the machine's Java."""
import os
import unittest

from harness import Server, run

JAR = "/usr/share/java/mariadb-java-client.jar"
SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "java", "ConnectorJTest.java")


class ConnectorJ(unittest.TestCase):
    def test_both_plugins_with_and_without_password_and_tls(self):
        for plugin in ("caching_sha2_password", "mysql_native_password"):
            with Server(config="[users]\ndave = j4va\n", args=["--auth-plugin", plugin]) as s:
                for user, pw, opts in (("root", "", None), ("dave", "j4va", None),
                                       ("dave", "j4va", "useSsl=true&trustServerCertificate=true")):
                    with self.subTest(plugin=plugin, user=user, opts=opts):
                        cmd = ["java", "-cp", JAR, SOURCE, str(s.mysql_port), user, pw]
                        if opts:
                            cmd.append(opts)
                        rc, out, err = run(cmd, timeout=120)
                        self.assertEqual((rc, out.strip()), (0, "ok"), err[-3000:] + s.log()[-2000:])


if __name__ == "__main__":
    unittest.main(verbosity=2)
