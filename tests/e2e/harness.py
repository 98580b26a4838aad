"""Starts a real stageproxy for end-to-end tests.

Every server gets its own data directory and kernel-chosen ports on
127.0.0.1, so tests can run beside a developer's own server. Only the
processes started here are ever stopped, by their PID.
"""
import contextlib
import os
import re
import signal
import socket
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BINARY = os.environ.get("STAGEPROXY_BIN", os.path.join(ROOT, "build", "stageproxy"))


class Server:
    def __init__(self, args=(), env=None, config=None, data_dir=None, start=True, wrapper=()):
        self.wrapper = list(wrapper)
        self.tmp = tempfile.TemporaryDirectory(prefix="sp-e2e-")
        self.data_dir = data_dir or os.path.join(self.tmp.name, "data")
        self.log_path = os.path.join(self.tmp.name, "server.log")
        self.args = list(args)
        self.env = dict(os.environ)
        for k in list(self.env):
            if k.startswith("STAGEPROXY_") and k != "STAGEPROXY_BIN":
                del self.env[k]
        self.env.update(env or {})
        self.config_path = None
        if config is not None:
            self.config_path = os.path.join(self.tmp.name, "stageproxy.ini")
            with open(self.config_path, "w") as f:
                f.write(config)
            os.chmod(self.config_path, 0o600)
        self.proc = None
        self.mysql_port = self.http_port = None
        if start:
            self.start()

    def command(self):
        cmd = [BINARY, "--data-dir", self.data_dir,
               "--mysql-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"]
        if self.config_path:
            cmd += ["--config", self.config_path]
        return self.wrapper + cmd + self.args

    def start(self, timeout=30):
        if getattr(self, "_log", None):
            self._log.close()
        self._log = open(self.log_path, "ab")
        start_at = self._log.tell()  # a restart must not find the previous run's lines
        self.proc = subprocess.Popen(self.command(), stdout=self._log, stderr=self._log,
                                     env=self.env, stdin=subprocess.DEVNULL)
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = re.search(r"MySQL listening on 127\.0\.0\.1:(\d+), HTTP listening on "
                          r"127\.0\.0\.1:(\d+)", self.log()[start_at:])
            if m:
                self.mysql_port, self.http_port = int(m.group(1)), int(m.group(2))
                return self
            if self.proc.poll() is not None:
                raise RuntimeError("stageproxy exited %s:\n%s" % (self.proc.returncode, self.log()))
            time.sleep(0.02)
        raise RuntimeError("stageproxy did not start:\n" + self.log())

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def rss_kib(self, field="VmRSS"):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return 0

    def peak_rss_kib(self):
        """The most resident memory the process has had since it started."""
        return self.rss_kib("VmHWM")

    def stop(self, sig=signal.SIGTERM, timeout=20):
        """Stops the server; returns its exit status."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def close(self):
        try:
            self.stop()
            report = re.search(r"(ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|"
                               r"runtime error:).*", self.log())
            if report:  # a sanitizer finding fails the test that ran the server
                raise AssertionError("sanitizer report in the server log:\n" +
                                     self.log()[report.start():report.start() + 4000])
        finally:
            self._log.close()
            self.tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def connect_raw(self, timeout=5):
        s = socket.create_connection(("127.0.0.1", self.mysql_port), timeout=timeout)
        return s


@contextlib.contextmanager
def small_tmpfs(test, size):
    """A tmpfs of `size` (e.g. "6m") mounted for a full-disk test; the test
    is skipped where mounting is not allowed."""
    mnt = tempfile.mkdtemp(prefix="sp-full-")
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", mnt],
                       capture_output=True, text=True)
    if p.returncode != 0:
        os.rmdir(mnt)
        test.skipTest("cannot mount a small tmpfs here: " + p.stderr.strip())
    try:
        yield mnt
    finally:
        subprocess.run(["umount", mnt])
        os.rmdir(mnt)


def run(cmd, input=None, timeout=60, env=None):
    """Runs a client command; returns (exit status, stdout, stderr)."""
    p = subprocess.run(cmd, input=input, capture_output=True, timeout=timeout, env=env,
                       text=True)
    return p.returncode, p.stdout, p.stderr


def socket_stage_check(test, path, stage, expect_user):
    """Through our unix socket at `path` with the stock CLI: USER() is
    `expect_user` (a socket client is @localhost) and `stage` can be made."""
    rc, out, err = run(["mariadb", "--socket=" + path, "-uroot", "--batch", "-e",
                        "select user(); create stage %s; show stages" % stage], timeout=30)
    test.assertEqual(rc, 0, err)
    test.assertTrue(out.startswith("user()\n%s\n" % expect_user), out)
    test.assertIn(stage + "\tInternal", out)


def sql(server, script, user="root", password=None):
    """Runs a script through the stock mariadb CLI in batch mode."""
    cmd = ["mariadb", "-h127.0.0.1", "-P%d" % server.mysql_port, "-u" + user, "--batch",
           "--force"]
    if password:
        cmd.append("-p" + password)
    return run(cmd, input=script)


def make_ca(directory):
    """A CA and a server certificate for 127.0.0.1, made with the openssl CLI."""
    ca_key, ca_crt = os.path.join(directory, "ca.key"), os.path.join(directory, "ca.crt")
    key, csr, crt = (os.path.join(directory, n) for n in ("server.key", "server.csr", "server.crt"))
    ext = os.path.join(directory, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    q = dict(check=True, capture_output=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", ca_key, "-out", ca_crt,
                    "-days", "2", "-subj", "/CN=stageproxy test CA"], **q)
    subprocess.run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"], **q)
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key,
                    "-CAcreateserial", "-out", crt, "-days", "2", "-extfile", ext], **q)
    return ca_crt, crt, key
