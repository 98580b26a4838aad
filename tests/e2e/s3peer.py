"""The S3 peers of the end-to-end tests: the signature-verifying S3 server
(npm @20minutes/s3rver, started on a kernel-chosen port), Debian's aws CLI
to seed and check objects independently of stageproxy, and a small
fault-injecting HTTP relay that sits between stageproxy and the server."""
import http.client
import json
import os
import re
import socket
import socketserver
import subprocess
import tempfile
import threading
import time

from harness import HERE

NODE_DIR = os.path.join(HERE, "node")
ACCESS_KEY = SECRET_KEY = "S3RVER"
BUCKET = "bkt"


class S3Server:
    def __init__(self, bucket=BUCKET):
        self.tmp = tempfile.TemporaryDirectory(prefix="sp-s3-")
        self.bucket = bucket
        self.log_path = os.path.join(self.tmp.name, "s3rver.log")
        self._log = open(self.log_path, "wb")
        env = dict(os.environ, NODE_OPTIONS="--openssl-legacy-provider")
        self.proc = subprocess.Popen(
            ["node", os.path.join(NODE_DIR, "s3rver.js"), "-d", os.path.join(self.tmp.name, "d"),
             "-a", "127.0.0.1", "-p", "0", "--configure-bucket", bucket],
            cwd=NODE_DIR, stdout=self._log, stderr=self._log, stdin=subprocess.DEVNULL, env=env)
        deadline = time.time() + 30
        while time.time() < deadline:
            with open(self.log_path, "rb") as f:
                m = re.search(rb"listening on 127\.0\.0\.1:(\d+)", f.read())
            if m:
                self.port = int(m.group(1))
                self.endpoint = "http://127.0.0.1:%d" % self.port
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("s3rver did not start: " + open(self.log_path).read())

    def aws(self, *args, timeout=600):
        """Runs Debian's aws CLI against the server; returns (status, stdout, stderr)."""
        env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
                   AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_PAGER="")
        p = subprocess.run(["/usr/bin/aws", "--endpoint-url", self.endpoint] + list(args),
                           capture_output=True, text=True, env=env, timeout=timeout)
        return p.returncode, p.stdout, p.stderr

    def keys(self, prefix=""):
        rc, out, err = self.aws("s3api", "list-objects-v2", "--bucket", self.bucket,
                                "--prefix", prefix, "--query", "Contents[].Key", "--output", "json")
        assert rc == 0, err
        return sorted(json.loads(out) or [])

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        self.tmp.cleanup()


def stage_sql(name, endpoint, prefix="pre/", secret=SECRET_KEY, bucket=BUCKET):
    return ("CREATE STAGE %s URL='s3://%s/%s' CONNECTION=(ENDPOINT_URL='%s' "
            "ACCESS_KEY_ID='%s' SECRET_ACCESS_KEY='%s' REGION='us-east-1');"
            % (name, bucket, prefix, endpoint, ACCESS_KEY, secret))


SLOWDOWN = (b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>"
            b"<Message>Please reduce your request rate.</Message></Error>")


class FaultRelay:
    """Forwards HTTP requests to `upstream_port`, recording each one as
    (method, path-with-query). `plan` is consulted per request: a function
    (method, target) -> "pass" | "503" | "stall" | "reset"."""

    def __init__(self, upstream_port, plan=None):
        self.upstream_port = upstream_port
        self.plan = plan or (lambda method, target: "pass")
        self.requests = []
        self.lock = threading.Lock()
        self.stalled = []
        relay = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                relay._serve(self.request)

        class TCPServer(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = TCPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.endpoint = "http://127.0.0.1:%d" % self.port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def seen(self, method=None, contains=""):
        with self.lock:
            return [r for r in self.requests
                    if (method is None or r[0] == method) and contains in r[1]]

    @staticmethod
    def _read_request(f):
        line = f.readline()
        if not line:
            return None
        method, target, _ = line.decode("latin-1").split(" ", 2)
        headers = []
        while True:
            h = f.readline()
            if h in (b"\r\n", b"\n", b""):
                break
            name, value = h.decode("latin-1").split(":", 1)
            headers.append((name.strip(), value.strip()))
        length = int(next((v for n, v in headers if n.lower() == "content-length"), "0"))
        body = f.read(length) if length else b""
        return method, target, headers, body

    def _forward(self, method, target, headers, body):
        up = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=60)
        up.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        for n, v in headers:
            up.putheader(n, v)
        up.endheaders(body if body else None)
        resp = up.getresponse()
        data = resp.read()
        out = ["HTTP/1.1 %d %s" % (resp.status, resp.reason)]
        for n, v in resp.getheaders():
            if n.lower() not in ("transfer-encoding", "connection", "content-length"):
                out.append("%s: %s" % (n, v))
        if method != "HEAD" or not resp.getheader("content-length"):
            out.append("Content-Length: %d" % len(data))
        else:
            out.append("Content-Length: %s" % resp.getheader("content-length"))
        up.close()
        return ("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + data

    def _serve(self, sock):
        f = sock.makefile("rb")
        while True:
            try:
                req = self._read_request(f)
            except (OSError, ValueError):
                return
            if req is None:
                return
            method, target, headers, body = req
            with self.lock:
                self.requests.append((method, target))
            action = self.plan(method, target)
            if action == "stall":
                self.stalled.append(sock)  # answer nothing, keep the socket open
                time.sleep(3600)
                return
            if action == "reset":
                sock.close()
                return
            if action == "503":
                sock.sendall(b"HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\n"
                             b"Content-Length: %d\r\n\r\n" % len(SLOWDOWN) + SLOWDOWN)
                continue
            sock.sendall(self._forward(method, target, headers, body))

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        for s in self.stalled:
            try:
                s.close()
            except OSError:
                pass


def free_port():
    """A port nothing listens on (bound, then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
