"""The binary as a process: flags, environment, config file, signals, logs,
and the HTTP health check."""
import base64
import json
import os
import resource
import shutil
import signal
import socket
import ssl
import stat
import struct
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import pymysql

import rawmysql as rm
from harness import BINARY, Server, make_ca, run, socket_stage_check


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAGEPROXY_")}
    env.update(extra)
    return env


class CommandLine(unittest.TestCase):
    def test_help_and_version(self):
        rc, out, err = run([BINARY, "--help"])
        self.assertEqual(rc, 0)
        for flag in ("--config", "--data-dir", "--mysql-listen", "--http-listen", "--upstream",
                     "--upstream-user", "--upstream-password", "--tls-cert", "--tls-key",
                     "--log-level"):
            self.assertIn(flag, out)
        rc, out, err = run([BINARY, "--version"])
        self.assertEqual(rc, 0)
        self.assertRegex(out, r"^stageproxy \d+\.\d+\.\d+\n$")

    def test_bad_values_exit_2_with_one_line_naming_the_key(self):
        with tempfile.TemporaryDirectory() as d:
            ini = os.path.join(d, "bad.ini")
            with open(ini, "w") as f:
                f.write("[stageproxy]\nhttp_listen = here\n")
            cases = [
                ([BINARY, "--mysql-listen", "nowhere"], {}, "mysql_listen"),
                ([BINARY, "--log-level=loud"], {}, "log_level"),
                ([BINARY, "--max-connections", "-1"], {}, "max_connections"),
                ([BINARY], {"STAGEPROXY_MYSQL_LISTEN": "1.2.3.4:99999"}, "mysql_listen"),
                ([BINARY, "--config", ini], {}, "http_listen"),
                ([BINARY, "--bogus", "x"], {}, "--bogus"),
                ([BINARY, "--tls-key", "/x.pem"], {}, "tls_cert"),
                ([BINARY, "--proxy-protocol-from", "10.0.0.0/33"], {}, "proxy_protocol_from"),
                ([BINARY, "--proxy-protocol-from", "10.0.0.1,nope"], {}, "proxy_protocol_from"),
            ]
            for argv, env, key in cases:
                with self.subTest(argv=argv, env=env):
                    rc, out, err = run(argv, env=clean_env(**env))
                    self.assertEqual(rc, 2)
                    self.assertEqual(len(err.strip().splitlines()), 1, err)
                    self.assertIn(key, err)

    def test_precedence_flags_env_file(self):
        with tempfile.TemporaryDirectory() as d:
            ini = os.path.join(d, "sp.ini")
            with open(ini, "w") as f:
                f.write("[stageproxy]\nmysql_listen = 127.0.0.1:0\nhttp_listen = 127.0.0.1:0\n"
                        "data_dir = %s/from-file\nlog_level = error\n" % d)
            env = clean_env(STAGEPROXY_DATA_DIR=d + "/from-env", STAGEPROXY_LOG_LEVEL="info")
            p = subprocess.Popen([BINARY, "--config", ini, "--log-level", "warn"], env=env,
                                 stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
            time.sleep(0.5)
            self.assertTrue(os.path.isdir(d + "/from-env"))       # env beats file
            self.assertFalse(os.path.exists(d + "/from-file"))
            p.send_signal(signal.SIGTERM)
            _, err = p.communicate(timeout=10)
            self.assertEqual(p.returncode, 0)
            self.assertNotIn(b" info ", err)                        # flag beats env
            p2 = subprocess.Popen([BINARY], env=clean_env(STAGEPROXY_CONFIG=ini),
                                  stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
            time.sleep(0.5)
            p2.send_signal(signal.SIGINT)
            _, err = p2.communicate(timeout=10)
            self.assertEqual(p2.returncode, 0)
            self.assertNotIn(b" info ", err)                        # the file's level
            self.assertTrue(os.path.isdir(d + "/from-file"))
            p3 = subprocess.Popen([BINARY], env=clean_env(STAGEPROXY_CONFIG=ini, STAGEPROXY_LOG_LEVEL="info"),
                                  stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
            time.sleep(0.5)
            p3.send_signal(signal.SIGTERM)
            _, err = p3.communicate(timeout=10)
            self.assertIn(b" info ", err)                           # env beats file


class OpenFilesLimit(unittest.TestCase):
    def start(self, limits, *args):
        tmp = tempfile.mkdtemp(prefix="sp-nofile-")
        self.addCleanup(shutil.rmtree, tmp)
        log = open(os.path.join(tmp, "log"), "w+")
        self.addCleanup(log.close)
        p = subprocess.Popen([BINARY, "--data-dir", os.path.join(tmp, "d"), "--mysql-listen",
                              "127.0.0.1:0", "--http-listen", "127.0.0.1:0"] + list(args),
                             stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=clean_env(),
                             preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, limits))
        self.addCleanup(lambda: p.poll() is None and (p.terminate(), p.wait(10)))
        for _ in range(500):
            log.seek(0)
            text = log.read()
            if "MySQL listening" in text:
                break
            time.sleep(0.02)
        with open("/proc/%d/limits" % p.pid) as f:
            soft = next(int(ln.split()[3]) for ln in f if ln.startswith("Max open files"))
        return soft, text

    def test_raised_for_max_connections(self):
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        if hard != resource.RLIM_INFINITY and hard < 8000:
            self.skipTest("the hard limit here is %d" % hard)
        # 3000 proxied clients: their sockets and their upstreams', and the uploads
        soft, log = self.start((256, hard), "--max-connections", "3000", "--upstream",
                               "127.0.0.1:1")
        self.assertEqual(soft, 3000 * 2 + 1024 * 2 + 256)
        self.assertNotIn("open files are limited", log)
        soft, log = self.start((256, hard), "--max-connections", "3000")  # stage-only: one each
        self.assertEqual(soft, 3000 + 1024 * 2 + 256)
        soft, log = self.start((9000, hard), "--max-connections", "100")  # never lowered
        self.assertEqual(soft, 9000)

    def test_a_low_hard_limit_is_named(self):
        soft, log = self.start((256, 1024), "--max-connections", "3000", "--upstream",
                               "127.0.0.1:1")
        self.assertEqual(soft, 1024)
        self.assertIn("open files are limited to 1024: about 384 MySQL clients fit, not "
                      "max_connections = 3000", log)


class Signals(unittest.TestCase):
    def test_sigterm_with_connections_open_exits_0(self):
        s = Server()
        try:
            conns = []
            for _ in range(5):
                c = rm.Conn(s.mysql_port)
                self.assertEqual(c.login()[0], 0)
                conns.append(c)
            half = rm.Conn(s.mysql_port)
            half.read_greeting()
            t0 = time.time()
            self.assertEqual(s.stop(signal.SIGTERM), 0)
            self.assertLess(time.time() - t0, 5)
            for c in conns:
                self.assertEqual(c.sock.recv(10), b"")
            with self.assertRaises(OSError):
                socket.create_connection(("127.0.0.1", s.mysql_port), timeout=2).recv(10) or \
                    (_ for _ in ()).throw(ConnectionRefusedError())
            log = s.log()
            self.assertIn("received SIGTERM", log)
            self.assertRegex(log, r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info  \[m1\] login 'root'")
        finally:
            s.close()

    def test_port_in_use_fails_start(self):
        with Server() as s:
            rc, out, err = run([BINARY, "--mysql-listen", "127.0.0.1:%d" % s.mysql_port,
                                "--http-listen", "127.0.0.1:0", "--data-dir",
                                os.path.join(s.tmp.name, "d2")], env=clean_env(), timeout=10)
            self.assertEqual(rc, 1)
            self.assertIn("cannot listen for MySQL", err)


class Reload(unittest.TestCase):
    """SIGHUP reads the configuration again: users, passwords and the TLS
    certificate change for new logins; sessions and the process go on."""

    def reload(self, s, expect="configuration reloaded"):
        seen = s.log().count(expect)
        os.kill(s.proc.pid, signal.SIGHUP)
        deadline = time.time() + 10
        while s.log().count(expect) == seen:
            self.assertIsNone(s.proc.poll(), s.log())
            self.assertLess(time.time(), deadline, s.log())
            time.sleep(0.02)

    def login_errno(self, s, user, password):
        try:
            pymysql.connect(host="127.0.0.1", port=s.mysql_port, user=user, password=password,
                            connect_timeout=10).close()
            return 0
        except pymysql.err.OperationalError as e:
            return e.args[0]

    def http_status(self, s, user, password):
        req = urllib.request.Request("http://127.0.0.1:%d/v1/stages/~/files" % s.http_port)
        req.add_header("Authorization", "Basic " + base64.b64encode(
            ("%s:%s" % (user, password)).encode()).decode())
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def write_config(self, s, text):
        with open(s.config_path, "w") as f:
            f.write(text)

    def test_users_change_and_sessions_stay(self):
        s = Server(config="[users]\nalice = apw\n")
        self.addCleanup(s.close)
        alice = pymysql.connect(host="127.0.0.1", port=s.mysql_port, user="alice",
                                password="apw")
        self.addCleanup(alice.close)
        self.write_config(s, "[stageproxy]\nlog_level = debug\nmax_connections = 7\n"
                             "[users]\nbob = bpw\n")
        self.reload(s)
        self.assertIn("configuration reloaded: 2 users", s.log())  # root and bob
        self.assertIn("reload: max_connections changed; it takes effect at the next start",
                      s.log())
        self.assertEqual(self.login_errno(s, "alice", "apw"), 1045)
        self.assertEqual(self.login_errno(s, "bob", "bpw"), 0)
        self.assertEqual((self.http_status(s, "bob", "bpw"), self.http_status(s, "alice", "apw")),
                         (200, 401))
        with alice.cursor() as cur:  # a session keeps going as it logged in
            cur.execute("SELECT CURRENT_USER()")
            self.assertEqual(cur.fetchone()[0], "alice@%")
        self.assertIn(" debug ", s.log())  # log_level took effect
        # a file with an error changes nothing, and the process serves on
        self.write_config(s, "[stageproxy]\nmax_connections = banana\n[users]\ncarol = cpw\n")
        self.reload(s, "the configuration was not taken over; the running one stays")
        self.assertIn("invalid value 'banana' for max_connections (config file)", s.log())
        self.assertEqual(self.login_errno(s, "carol", "cpw"), 1045)
        self.assertEqual(self.login_errno(s, "bob", "bpw"), 0)
        self.assertEqual(s.stop(signal.SIGTERM), 0)

    def test_login_halfway_when_its_user_goes(self):
        s = Server(config="[users]\nalice = apw\n")
        self.addCleanup(s.close)
        c = rm.Conn(s.mysql_port)
        self.addCleanup(c.close)
        g = c.read_greeting()
        self.assertEqual(g["plugin"], "caching_sha2_password")
        c.send_response("alice", rm.native_scramble(b"apw", g["nonce"]), "mysql_native_password")
        switch = c.read_packet()
        self.assertEqual(switch[0], 0xFE)  # the server asks for the other plugin's answer
        self.write_config(s, "[users]\nbob = bpw\n")
        self.reload(s)
        c.write_packet(rm.sha2_scramble(b"apw", g["nonce"]))
        err = c.read_packet()
        self.assertEqual((err[0], struct.unpack_from("<H", err, 1)[0]), (0xFF, 1045))
        # and the other way round: a user added while another login is halfway
        c2 = rm.Conn(s.mysql_port)
        self.addCleanup(c2.close)
        g2 = c2.read_greeting()
        c2.send_response("bob", rm.native_scramble(b"bpw", g2["nonce"]), "mysql_native_password")
        self.assertEqual(c2.read_packet()[0], 0xFE)
        self.write_config(s, "[users]\nbob = newpw\n")
        self.reload(s)
        c2.write_packet(rm.sha2_scramble(b"newpw", g2["nonce"]))  # checked against the new one
        ok = c2.read_packet()
        if ok[:2] == b"\x01\x03":
            ok = c2.read_packet()
        self.assertEqual(ok[0], 0x00, ok)

    def test_tls_certificate_replaced(self):
        tmp = tempfile.mkdtemp(prefix="sp-reload-")
        self.addCleanup(shutil.rmtree, tmp, True)
        pairs = []
        for name in ("one", "two"):
            d = os.path.join(tmp, name)
            os.mkdir(d)
            pairs.append(make_ca(d))
        cert, key = os.path.join(tmp, "server.crt"), os.path.join(tmp, "server.key")
        shutil.copy(pairs[0][1], cert)
        shutil.copy(pairs[0][2], key)
        s = Server(args=["--tls-cert", cert, "--tls-key", key, "--http-tls", "on"])
        self.addCleanup(s.close)

        def trusted_by(ca):
            ctx = ssl.create_default_context(cafile=ca)
            try:
                with socket.create_connection(("127.0.0.1", s.http_port), timeout=10) as raw:
                    with ctx.wrap_socket(raw, server_hostname="127.0.0.1"):
                        return True
            except ssl.SSLCertVerificationError:
                return False
        self.assertEqual((trusted_by(pairs[0][0]), trusted_by(pairs[1][0])), (True, False))
        held = pymysql.connect(host="127.0.0.1", port=s.mysql_port, user="root", password="",
                               ssl={"ca": pairs[0][0]})
        self.addCleanup(held.close)
        shutil.copy(pairs[1][1], cert)
        shutil.copy(pairs[1][2], key)
        self.reload(s)
        self.assertEqual((trusted_by(pairs[0][0]), trusted_by(pairs[1][0])), (False, True))
        mysql = pymysql.connect(host="127.0.0.1", port=s.mysql_port, user="root", password="",
                                ssl={"ca": pairs[1][0]})
        mysql.close()
        with held.cursor() as cur:  # a TLS session from before goes on
            cur.execute("SELECT 1")
        # a key that does not match its certificate keeps the running ones
        shutil.copy(pairs[0][2], key)
        self.reload(s, "the configuration was not taken over; the running one stays")
        self.assertEqual(trusted_by(pairs[1][0]), True)


def v2_header(src, dst, sport, dport, command=0x21):
    body = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack(">HH", sport, dport)
    body += b"\x04\x00\x02hi"  # a TLV, as balancers add them; skipped
    return (b"\r\n\r\n\x00\r\nQUIT\n" + bytes([command, 0x11]) + struct.pack(">H", len(body))
            + body)


class ProxyProtocol(unittest.TestCase):
    """Behind a load balancer: the PROXY header names the client, and the
    client is who USER(), the logs and the loopback rule see."""

    @classmethod
    def setUpClass(cls):
        cls.s = Server(config="[users]\nzoe = zpw\n",
                       args=["--proxy-protocol-from", "10.9.9.9, 127.0.0.0/8"])

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def mysql(self, *header_parts):
        c = rm.Conn(self.s.mysql_port)
        self.addCleanup(c.close)
        for part in header_parts:
            c.sock.sendall(part)
            time.sleep(0.05)
        return c

    def user_of(self, c):
        c.query("select user()")
        r = c.read_result()
        self.assertEqual(r[0], "rows", r)
        return r[2][0][0]

    def test_mysql_clients_named_by_v1_and_v2(self):
        c = self.mysql(b"PROXY TCP4 192.0.2.7 127.0.0.1 51234 3307\r\n")
        self.assertEqual(c.login(user="zoe", password=b"zpw")[0], 0)
        self.assertEqual(self.user_of(c), "zoe@192.0.2.7")
        self.assertIn("login 'zoe'@'192.0.2.7'", self.s.log())
        # in two writes, and in version 2
        c = self.mysql(*(lambda h: (h[:10], h[10:]))(v2_header("198.51.100.4", "127.0.0.1", 4000, 3307)))
        self.assertEqual(c.login(user="zoe", password=b"zpw")[0], 0)
        self.assertEqual(self.user_of(c), "zoe@198.51.100.4")
        c = self.mysql(b"PROXY TCP4 192.0.2.9 127.0.0.1 51234 3307\r\n")  # then TLS
        self.assertEqual(c.login(user="zoe", password=b"zpw", tls=True)[0], 0)
        self.assertEqual(self.user_of(c), "zoe@192.0.2.9")

    def test_the_loopback_rule_follows_the_client(self):
        # root without a password is for loopback clients: the one named, not the balancer
        c = self.mysql(b"PROXY TCP4 192.0.2.7 127.0.0.1 51234 3307\r\n")
        self.assertEqual(c.login(user="root")[0], 0xFF)
        c = self.mysql(b"PROXY TCP6 ::1 ::1 51234 3307\r\n")
        self.assertEqual(c.login(user="root")[0], 0)
        # a health check names no client: the balancer's own address stands
        c = self.mysql(v2_header("192.0.2.7", "127.0.0.1", 1, 2, command=0x20))
        self.assertEqual(c.login(user="root")[0], 0)
        c = self.mysql(b"PROXY UNKNOWN\r\n")
        self.assertEqual(c.login(user="root")[0], 0)

    def test_no_header_from_a_balancer_closes(self):
        c = self.mysql(b"\x20\x00\x00\x01" + b"x" * 32)  # a client talking first
        self.assertEqual(c.sock.recv(100), b"")
        self.assertIn("no valid PROXY protocol header from 127.0.0.1", self.s.log())
        c = self.mysql(b"PROXY TCP4 192.0.2.7 127.0.0.1 51234 70000\r\n")
        self.assertEqual(c.sock.recv(100), b"")
        # the server keeps serving
        c = self.mysql(b"PROXY TCP4 192.0.2.8 127.0.0.1 51234 3307\r\n")
        self.assertEqual(c.login(user="zoe", password=b"zpw")[0], 0)

    def http(self, header, request):
        with socket.create_connection(("127.0.0.1", self.s.http_port), timeout=10) as sock:
            sock.sendall(header + request)
            data = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    return data
                data += chunk

    def test_http_clients_named(self):
        req = b"GET /v1/stages/~/files HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        # root needs no password from loopback only: the client named decides
        self.assertTrue(self.http(b"PROXY TCP4 127.0.0.5 127.0.0.1 1 2\r\n", req)
                        .startswith(b"HTTP/1.1 200"))
        self.assertTrue(self.http(b"PROXY TCP4 192.0.2.7 127.0.0.1 1 2\r\n", req)
                        .startswith(b"HTTP/1.1 401"))
        self.assertTrue(self.http(v2_header("192.0.2.7", "127.0.0.1", 1, 2), req)
                        .startswith(b"HTTP/1.1 401"))
        self.assertIn("authentication failed from 192.0.2.7", self.s.log())
        self.assertEqual(self.http(b"", req), b"")  # no header: closed unanswered

    def test_a_header_that_never_comes_times_out(self):
        s = Server(args=["--proxy-protocol-from", "127.0.0.1", "--handshake-timeout", "1",
                         "--http-header-timeout", "1"])
        self.addCleanup(s.close)
        started = time.time()
        for port in (s.mysql_port, s.http_port):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(b"PROXY TCP4 192.0.2.7")  # and then nothing
                self.assertEqual(sock.recv(100), b"")  # closed, unanswered
        self.assertLess(time.time() - started, 8)
        self.assertIn("PROXY header timeout", s.log())
        self.assertIn("handshake timeout from 127.0.0.1", s.log())

    def test_peers_outside_the_networks_are_not_believed(self):
        s = Server(args=["--proxy-protocol-from", "10.0.0.0/8"])
        self.addCleanup(s.close)
        c = rm.Conn(s.mysql_port)
        self.addCleanup(c.close)
        self.assertEqual(c.read_greeting()["version"][:1].isdigit(), True)  # greeted at once
        c.write_packet(b"PROXY TCP4 127.0.0.9 127.0.0.1 1 2\r\n")
        self.assertEqual(c.read_packet()[0], 0xFF)  # a bad handshake, not a client's name


class MysqlSocket(unittest.TestCase):
    """--mysql-socket: local clients and tools that connect to "localhost"
    through a unix socket reach us as they reach mysqld."""

    def sock_path(self):
        tmp = tempfile.mkdtemp(prefix="sp-sock-", dir="/tmp")  # short: sun_path is 108 bytes
        self.addCleanup(shutil.rmtree, tmp, True)
        return os.path.join(tmp, "s.sock")

    def test_clients_on_the_socket(self):
        path = self.sock_path()
        s = Server(args=["--mysql-socket", path])
        self.addCleanup(s.close)
        st = os.stat(path)
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual(st.st_mode & 0o666, 0o666)  # any local user; the login decides
        socket_stage_check(self, path, "ss", "root@localhost")
        conn = pymysql.connect(unix_socket=path, user="root", password="")
        with conn.cursor() as cur:
            cur.execute("list @ss")
            self.assertEqual(cur.fetchall(), ())
            cur.execute("select 1 + 1")
            self.assertEqual(cur.fetchall(), ((2,),))
        conn.close()
        with self.assertRaises(pymysql.err.OperationalError) as e:
            pymysql.connect(unix_socket=path, user="root", password="wrong")
        self.assertEqual(e.exception.args[0], 1045)
        self.assertIn("'root'@'localhost'", e.exception.args[1])
        self.assertEqual(s.stop(), 0)
        self.assertFalse(os.path.exists(path))  # gone with the server

    def test_what_is_in_the_way(self):
        path = self.sock_path()
        stale = socket.socket(socket.AF_UNIX)
        stale.bind(path)
        stale.close()  # a socket file nobody listens on, as a crash leaves it
        with Server(args=["--mysql-socket", path]):
            conn = pymysql.connect(unix_socket=path, user="root", password="")
            conn.close()
        live = socket.socket(socket.AF_UNIX)
        live.bind(path)
        live.listen(1)
        self.addCleanup(live.close)
        plain = os.path.join(os.path.dirname(path), "plain")
        with open(plain, "w") as f:
            f.write("keep me")
        for target, words in ((path, "address already in use"),
                              (plain, "a file that is not a socket is in the way")):
            rc, out, err = run([BINARY, "--mysql-socket", target, "--mysql-listen", "127.0.0.1:0",
                                "--http-listen", "127.0.0.1:0", "--data-dir",
                                os.path.join(os.path.dirname(path), "d")], env=clean_env(),
                               timeout=10)
            self.assertEqual(rc, 1)
            self.assertIn("cannot listen for MySQL on socket %s: %s" % (target, words), err)
        self.assertTrue(stat.S_ISSOCK(os.stat(path).st_mode))  # the live one is left alone
        with open(plain) as f:
            self.assertEqual(f.read(), "keep me")


class Health(unittest.TestCase):
    def test_healthz(self):
        with Server() as s:
            base = "http://127.0.0.1:%d" % s.http_port
            with urllib.request.urlopen(base + "/healthz", timeout=5) as r:
                self.assertEqual(r.status, 200)
                self.assertEqual(json.loads(r.read()), {"status": "ok"})
            with self.assertRaises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(base + "/nope", timeout=5)
            self.assertEqual(e.exception.code, 404)
            self.assertEqual(json.loads(e.exception.read())["error"]["code"], 404)
            # 200 kB of headers: 431 and the server keeps serving
            sock = socket.create_connection(("127.0.0.1", s.http_port), timeout=5)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: " + b"a" * 200000 + b"\r\n\r\n")
            self.assertTrue(sock.recv(100).startswith(b"HTTP/1.1 431"))
            sock.close()
            sock = socket.create_connection(("127.0.0.1", s.http_port), timeout=5)
            sock.sendall(b"BREW /coffee HTCPCP/1.0\r\n\r\n")
            self.assertTrue(sock.recv(100).startswith(b"HTTP/1.1 400"))
            sock.close()
            with urllib.request.urlopen(base + "/healthz", timeout=5) as r:
                self.assertEqual(r.status, 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
