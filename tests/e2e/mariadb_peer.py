"""A throwaway MariaDB for proxy-mode tests: its own data directory and a
kernel-chosen free port on 127.0.0.1, a user `test`/`testpass` with every
right, stopped (by its PID) and removed at close. Restartable on the same
port and data, for tests where the upstream goes away and comes back."""
import os
import shutil
import signal
import subprocess
import tempfile
import time

from harness import make_ca
from s3peer import free_port

USER, PASSWORD = "test", "testpass"
INIT_SQL = """FLUSH PRIVILEGES;
CREATE USER 'test'@'%' IDENTIFIED BY 'testpass';
GRANT ALL ON *.* TO 'test'@'%' WITH GRANT OPTION;
CREATE USER 'other'@'%' IDENTIFIED BY 'otherpass';
GRANT ALL ON shop.* TO 'other'@'%';
CREATE DATABASE shop;
"""


def _bin(name):
    for d in ("/usr/sbin", "/usr/bin"):
        if os.path.exists(os.path.join(d, name)):
            return os.path.join(d, name)
    return name


class MariaDB:
    def __init__(self, extra_args=()):
        # short: the unix socket path is limited to 108 bytes
        self.dir = tempfile.mkdtemp(prefix="sp-mdb-", dir="/tmp")
        self.port = free_port()
        self.extra_args = list(extra_args)
        self.proc = None
        init = os.path.join(self.dir, "init.sql")
        with open(init, "w") as f:
            f.write(INIT_SQL)
        # its own tmpdir: two installs at once in /tmp have removed each other's temp tables
        os.mkdir(self.tmpdir)
        r = subprocess.run([_bin("mariadb-install-db"), "--no-defaults", "--datadir=" + self.datadir,
                            "--tmpdir=" + self.tmpdir, "--user=root", "--auth-root-authentication-method=socket",
                            "--skip-test-db", "--skip-name-resolve", "--extra-file=" + init],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError("mariadb-install-db failed: " + r.stdout + r.stderr)
        self.start()

    @property
    def datadir(self):
        return os.path.join(self.dir, "data")

    @property
    def tmpdir(self):
        return os.path.join(self.dir, "tmp")

    def start(self):
        self.log_path = os.path.join(self.dir, "error.log")
        self.proc = subprocess.Popen(
            [_bin("mariadbd"), "--no-defaults", "--datadir=" + self.datadir, "--user=root",
             "--tmpdir=" + self.tmpdir,
             "--socket=" + os.path.join(self.dir, "s.sock"),
             "--pid-file=" + os.path.join(self.dir, "mariadbd.pid"), "--log-error=" + self.log_path,
             "--port=%d" % self.port, "--bind-address=127.0.0.1", "--skip-name-resolve",
             "--local-infile=1", "--max-allowed-packet=1G", "--innodb-buffer-pool-size=128M",
             "--skip-log-bin", "--character-set-server=utf8mb4"] + self.extra_args,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("mariadbd exited: " + self.log())
            r = subprocess.run(["mariadb-admin", "--protocol=tcp", "-h127.0.0.1",
                                "-P%d" % self.port, "-u" + USER, "-p" + PASSWORD, "ping"],
                               capture_output=True, timeout=30)
            if r.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("mariadbd did not become ready: " + self.log())

    def log(self):
        try:
            with open(self.log_path) as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill(self):
        """Gone at once, as in a crash: connections drop without goodbye."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def sql(self, script, db=None):
        """Runs a script straight on the server (not through stageproxy)."""
        cmd = ["mariadb", "--protocol=tcp", "-h127.0.0.1", "-P%d" % self.port, "-u" + USER,
               "-p" + PASSWORD, "--batch"]
        if db:
            cmd.append(db)
        r = subprocess.run(cmd, input=script, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(r.stderr)
        return r.stdout

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def mariadb_with_tls(test):
    """A MariaDB offering TLS with a certificate (for 127.0.0.1 and localhost)
    from a fresh CA, removed when `test` ends. Returns (MariaDB, CA file)."""
    tmp = tempfile.mkdtemp(prefix="sp-mdb-ca-", dir="/tmp")
    test.addCleanup(shutil.rmtree, tmp, True)
    ca, crt, key = make_ca(tmp)
    db = MariaDB(extra_args=["--ssl-cert=" + crt, "--ssl-key=" + key, "--ssl-ca=" + ca])
    test.addCleanup(db.close)
    return db, ca
