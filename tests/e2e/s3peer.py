"""The S3 peers of the end-to-end tests: the signature-verifying S3 server
(npm @20minutes/s3rver, started on a kernel-chosen port), Debian's aws CLI
to seed and check objects independently of stageproxy, and a small
fault-injecting HTTP relay that sits between stageproxy and the server."""
import hmac
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
import warnings

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
    (method, path-with-query, {lower-case header: value}). `plan` is
    consulted per request: a function (method, target) -> "pass" | "503" |
    "stall" | "reset" | "cut" (the answer stops halfway, then the socket
    closes)."""

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
                self.requests.append((method, target, {n.lower(): v for n, v in headers}))
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
            answer = self._forward(method, target, headers, body)
            if action == "cut":
                sock.sendall(answer[:len(answer) // 2])
                sock.close()
                return
            sock.sendall(answer)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        for s in self.stalled:
            try:
                s.close()
            except OSError:
                pass


class VhostGateway(FaultRelay):
    """Takes virtual-hosted requests (Host: BUCKET.localhost:port, no bucket
    in the path), checks each signature with botocore, an implementation
    independent of ours, and passes them on to the S3 server re-signed in
    path style, which is all that server accepts. Records (host, method,
    target) of every request it verified."""

    def __init__(self, upstream_port, bucket=BUCKET):
        with warnings.catch_warnings():  # botocore's vendored six and urllib3 are noisy
            warnings.simplefilter("ignore")
            import awscli  # noqa: F401  (puts Debian's bundled botocore on the path)
            from botocore.auth import S3SigV4Auth
            from botocore.awsrequest import AWSRequest
            from botocore.credentials import Credentials
        self._auth = lambda region: S3SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", region)
        self._request = AWSRequest
        self.bucket = bucket
        self.verified = []
        super().__init__(upstream_port)
        self.endpoint = "http://localhost:%d" % self.port

    def _signature_ok(self, method, target, headers, body):
        h = {n.lower(): v for n, v in headers}
        m = re.match(r"AWS4-HMAC-SHA256 Credential=[^/]+/(\d{8})/([^/]+)/s3/aws4_request, "
                     r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$", h.get("authorization", ""))
        if not m:
            return False
        signed = m.group(3).split(";")
        req = self._request(method=method, url="http://%s%s" % (h["host"], target),
                            headers={n: h[n] for n in signed if n in h}, data=body)
        req.context["timestamp"] = h.get("x-amz-date", "")
        auth = self._auth(m.group(2))
        auth._modify_request_before_signing(req)
        canonical = auth.canonical_request(req)
        signature = auth.signature(auth.string_to_sign(req, canonical), req)
        return (hmac.compare_digest(signature, m.group(4))
                and sorted(auth.headers_to_sign(req)) == sorted(signed)
                and req.context["timestamp"][:8] == m.group(1))

    def _forward(self, method, target, headers, body):
        host = next((v for n, v in headers if n.lower() == "host"), "")
        if not host.startswith(self.bucket + ".") or not self._signature_ok(method, target,
                                                                         headers, body):
            xml = b"<Error><Code>SignatureDoesNotMatch</Code><Message>gateway</Message></Error>"
            return (b"HTTP/1.1 403 Forbidden\r\nContent-Length: %d\r\n\r\n" % len(xml)) + xml
        with self.lock:
            self.verified.append((host, method, target))
        path, _, query = target.partition("?")
        up_target = "/" + self.bucket + (path if path != "/" else "") + ("?" + query if query else "")
        keep = {n: v for n, v in headers
                if n.lower() in ("content-type", "content-md5", "range", "x-amz-content-sha256")}
        req = self._request(method=method, url="http://127.0.0.1:%d%s" % (self.upstream_port,
                                                                         up_target),
                            headers=keep, data=body)
        self._auth("us-east-1").add_auth(req)
        out = [(n, v) for n, v in req.headers.items()]
        out.append(("Host", "127.0.0.1:%d" % self.upstream_port))
        if body:
            out.append(("Content-Length", str(len(body))))
        return super()._forward(method, up_target, out, body)


def free_port():
    """A port nothing listens on (bound, then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
