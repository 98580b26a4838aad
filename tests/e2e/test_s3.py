"""S3 stages end to end against the signature-verifying S3 server, with
Debian's aws CLI seeding and checking objects on its own: external stages
(checklist 11, 22, 47), uploads small and multipart, LIST across several
ListObjectsV2 pages, downloads, REMOVE, DROP, PRESIGN on both kinds of
storage, --storage s3://, and faults injected by a relay (SlowDown, a server
that is down, a client that aborts mid-multipart, a stalled server)."""
import hashlib
import json
import os
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from harness import Server, sql
from s3peer import FaultRelay, S3Server, VhostGateway, free_port, stage_sql

MIB = 1 << 20


def http(server, method, path, body=None, headers=None, timeout=120):
    """(status, body bytes) of one request to stageproxy's HTTP listener."""
    url = path if path.startswith("http") else "http://127.0.0.1:%d%s" % (server.http_port, path)
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def q(server, script, user="root"):
    rc, out, err = sql(server, script, user)
    return out, err


def rows(server, script):
    out, err = q(server, script)
    assert err == "", err
    return [line.split("\t") for line in out.splitlines()[1:]]


def read(path):
    with open(path, "rb") as f:
        return f.read()


class S3Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s3 = S3Server()
        cls.tmp = tempfile.TemporaryDirectory(prefix="sp-s3-test-")

    @classmethod
    def tearDownClass(cls):
        cls.s3.close()
        cls.tmp.cleanup()

    def server(self, *args):
        s = Server(args=["--s3-timeout", "5", "--s3-retries", "3"] + list(args))
        self.addCleanup(s.close)
        return s

    def file(self, name, size):
        path = os.path.join(self.tmp.name, name)
        with open(path, "wb") as f:
            left = size
            while left:
                chunk = os.urandom(min(left, 4 * MIB))
                f.write(chunk)
                left -= len(chunk)
        return path

    def aws_get(self, key):
        out = os.path.join(self.tmp.name, "got-" + key.replace("/", "_"))
        rc, _, err = self.s3.aws("s3", "cp", "--quiet", "s3://bkt/" + key, out)
        self.assertEqual(rc, 0, err)
        with open(out, "rb") as f:
            return f.read()


class ExternalStages(S3Test):
    def test_upload_list_download_remove_drop(self):
        s = self.server()
        self.assertEqual(q(s, stage_sql("e1", self.s3.endpoint, "t1/")), ("", ""))
        out = rows(s, "SHOW STAGES;")
        self.assertEqual(out[0][:3], ["e1", "External", "NULL"])  # checklist 11

        # Databend's upload API and the raw file API, both into the bucket
        boundary = "XyZ"
        body = ("--%s\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"a.csv\"\r\n"
                "\r\n1,2\n3,4\n\r\n--%s--\r\n" % (boundary, boundary)).encode()
        st, data = http(s, "PUT", "/v1/upload_to_stage", body,
                        {"X-DATABEND-STAGE-NAME": "e1", "X-DATABEND-RELATIVE-PATH": "in/",
                         "Content-Type": "multipart/form-data; boundary=" + boundary})
        self.assertEqual(st, 200, data)
        self.assertEqual(json.loads(data)["files"], ["a.csv"])
        st, _ = http(s, "PUT", "/v1/stages/e1/files/d%20ir/b%2Bc~.bin", b"x" * 1000)
        self.assertEqual(st, 201)
        self.assertEqual(self.s3.keys("t1/"), ["t1/d ir/b+c~.bin", "t1/in/a.csv"])
        self.assertEqual(self.aws_get("t1/in/a.csv"), b"1,2\n3,4\n")

        # an object put there by someone else shows up, with S3's ETag as md5
        seed = self.file("seed.txt", 123)
        self.assertEqual(self.s3.aws("s3", "cp", "--quiet", seed, "s3://bkt/t1/seed.txt")[0], 0)
        md5 = hashlib.md5(read(seed)).hexdigest()
        listed = rows(s, "LIST @e1;")
        self.assertEqual([r[0] for r in listed], ["d ir/b+c~.bin", "in/a.csv", "seed.txt"])
        self.assertEqual(listed[2][1:3], ["123", '"%s"' % md5])
        self.assertRegex(listed[2][3], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \+0000$")

        # downloads, whole and ranged, and HEAD
        st, data = http(s, "GET", "/v1/stages/e1/files/seed.txt")
        self.assertEqual((st, data), (200, read(seed)))
        st, data = http(s, "GET", "/v1/stages/e1/files/seed.txt", headers={"Range": "bytes=10-19"})
        self.assertEqual((st, data), (206, read(seed)[10:20]))
        self.assertEqual(http(s, "GET", "/v1/stages/e1/files/nope")[0], 404)

        # REMOVE with a pattern, then all; the CLI sees them go
        self.assertEqual(q(s, "REMOVE @e1 PATTERN = '.*[.]bin';"), ("", ""))
        self.assertEqual(self.s3.keys("t1/"), ["t1/in/a.csv", "t1/seed.txt"])
        self.assertEqual(http(s, "DELETE", "/v1/stages/e1/files/seed.txt")[0], 204)
        self.assertEqual(self.s3.keys("t1/"), ["t1/in/a.csv"])

        # DROP of an external stage leaves the objects (checklist 22)
        self.assertEqual(q(s, "DROP STAGE e1;"), ("", ""))
        self.assertEqual(self.s3.keys("t1/"), ["t1/in/a.csv"])

    def test_multipart_upload_of_64_mib_and_more(self):
        relay = FaultRelay(self.s3.port)
        self.addCleanup(relay.close)
        s = self.server("--s3-part-size", "5")
        q(s, stage_sql("big", relay.endpoint, "t2/"))
        path = self.file("big.bin", 64 * MIB + 12345)
        want = hashlib.md5(read(path)).hexdigest()
        rss_before = s.rss_kib()
        r = subprocess.run(["curl", "-sS", "-T", path, "-o", "/dev/null", "-w", "%{http_code}",
                            "http://127.0.0.1:%d/v1/stages/big/files/big.bin" % s.http_port],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(r.stdout, "201", r.stderr)
        self.assertEqual(len(relay.seen("POST", "?uploads")), 1)
        self.assertEqual(len(relay.seen("PUT", "partNumber=")), 13)  # 5 MiB parts
        self.assertEqual(len(relay.seen("POST", "uploadId=")), 1)  # completed once
        self.assertEqual(hashlib.md5(self.aws_get("t2/big.bin")).hexdigest(), want)
        st, data = http(s, "GET", "/v1/stages/big/files/big.bin")
        self.assertEqual((st, hashlib.md5(data).hexdigest()), (200, want))
        if not os.environ.get("STAGEPROXY_SANITIZED"):  # ASan's quarantine holds freed parts
            self.assertLess(s.peak_rss_kib(), 64 * 1024)
            grown = s.rss_kib() - rss_before
            self.assertLess(grown, 4 * 1024, "RSS grew by %d KiB" % grown)  # parts given back

    def test_list_across_pages_with_prefix_and_pattern(self):
        relay = FaultRelay(self.s3.port)
        self.addCleanup(relay.close)
        s = self.server("--s3-list-page", "2")
        q(s, stage_sql("lp", relay.endpoint, "t3/"))
        names = ["2023/meta.log", "2023/query.log", "2023/x.csv", "a.parquet", "b.log", "c/d.log",
                 "dir/", "z.txt"]
        for n in names:  # "dir/" is a console's folder marker, not a file
            rc, _, err = self.s3.aws("s3api", "put-object", "--bucket", "bkt", "--key", "t3/" + n)
            self.assertEqual(rc, 0, err)
        files = [n for n in names if not n.endswith("/")]
        self.assertEqual([r[0] for r in rows(s, "LIST @lp;")], files)
        self.assertGreaterEqual(len(relay.seen("GET", "continuation-token=")), 3)
        self.assertEqual([r[0] for r in rows(s, "LIST @lp/2023/;")],
                         ["2023/meta.log", "2023/query.log", "2023/x.csv"])
        self.assertEqual([r[0] for r in rows(s, "LIST @lp/20;")],
                         ["2023/meta.log", "2023/query.log", "2023/x.csv"])
        self.assertEqual([r[0] for r in rows(s, "LIST @lp PATTERN = '.*[.]log';")],
                         ["2023/meta.log", "2023/query.log", "b.log", "c/d.log"])
        st, data = http(s, "GET", "/v1/stages/lp/files?prefix=2023/&pattern=.*[.]csv")
        self.assertEqual([f["name"] for f in json.loads(data)["files"]], ["2023/x.csv"])
        self.assertEqual(q(s, "REMOVE @lp PATTERN = '.*[.]log';"), ("", ""))
        self.assertEqual(self.s3.keys("t3/"),
                         ["t3/2023/x.csv", "t3/a.parquet", "t3/dir/", "t3/z.txt"])

    def test_virtual_hosted_addressing(self):
        """ENABLE_VIRTUAL_HOST_STYLE: the bucket goes into the host name and
        out of the path; every signature is checked by botocore on the way."""
        gw = VhostGateway(self.s3.port)
        self.addCleanup(gw.close)
        s = self.server("--s3-part-size", "5", "--s3-list-page", "2")
        sql_text = stage_sql("vh", gw.endpoint, "t12/").replace(
            "REGION=", "ENABLE_VIRTUAL_HOST_STYLE='true' REGION=")
        self.assertEqual(q(s, sql_text), ("", ""))
        big = read(self.file("vh.bin", 11 * MIB))  # three parts
        self.assertEqual(http(s, "PUT", "/v1/stages/vh/files/d/vh.bin", big)[0], 201)
        for name in ("a.csv", "b%20c.csv", "d/e.csv"):
            self.assertEqual(http(s, "PUT", "/v1/stages/vh/files/" + name, b"x")[0], 201)
        self.assertEqual(self.s3.keys("t12/"),
                         ["t12/a.csv", "t12/b c.csv", "t12/d/e.csv", "t12/d/vh.bin"])
        self.assertEqual([r[0] for r in rows(s, "LIST @vh;")],
                         ["a.csv", "b c.csv", "d/e.csv", "d/vh.bin"])
        st, data = http(s, "GET", "/v1/stages/vh/files/d/vh.bin", headers={"Range": "bytes=7-"})
        self.assertEqual((st, data == big[7:]), (206, True))
        self.assertEqual(q(s, "REMOVE @vh PATTERN = '.*csv';"), ("", ""))
        self.assertEqual(self.s3.keys("t12/"), ["t12/d/vh.bin"])
        out = rows(s, "PRESIGN @vh/d/vh.bin;")
        self.assertTrue(out[0][2].startswith("http://bkt.localhost:%d/t12/d/vh.bin?" % gw.port))
        hosts = {h for h, _, _ in gw.verified}
        self.assertEqual(hosts, {"bkt.localhost:%d" % gw.port})
        methods = {(m, t.split("?")[1].split("=")[0] if "?" in t else "") for _, m, t in gw.verified}
        for want in [("POST", "uploads"), ("PUT", "partNumber"), ("POST", "uploadId"),
                     ("PUT", ""), ("GET", "list-type"), ("GET", ""), ("POST", "delete")]:
            self.assertIn(want, methods)
        self.assertTrue(all(not t.startswith("/bkt") for _, _, t in gw.verified))
        # a wrong secret fails botocore's check at the gateway
        q(s, stage_sql("vbad", gw.endpoint, "t12/", secret="nope").replace(
            "REGION=", "ENABLE_VIRTUAL_HOST_STYLE='true' REGION="))
        out, err = q(s, "LIST @vbad;")
        self.assertIn("S3 error SignatureDoesNotMatch (HTTP 403)", err)

    def test_wrong_secret_is_a_clear_4000_error(self):
        s = self.server()
        q(s, stage_sql("bad", self.s3.endpoint, "t4/", secret="not-the-secret"))
        out, err = q(s, "LIST @bad;")
        self.assertIn("ERROR 1105 (HY000)", err)
        self.assertIn("StorageOther. Code: 4000, Text = cannot list '': S3 error "
                      "SignatureDoesNotMatch (HTTP 403)", err)
        st, data = http(s, "PUT", "/v1/stages/bad/files/x", b"x")
        self.assertEqual(st, 502)
        self.assertIn("SignatureDoesNotMatch", json.loads(data)["error"]["message"])
        self.assertEqual(self.s3.keys("t4/"), [])


class Presign(S3Test):
    def test_presign_on_s3(self):
        s = self.server()
        q(s, stage_sql("ps", self.s3.endpoint, "t5/"))
        http(s, "PUT", "/v1/stages/ps/files/books.parquet", b"P" * 998)
        (method, headers, url), = rows(s, "PRESIGN @ps/books.parquet;")
        self.assertEqual(method, "GET")  # checklist 47
        self.assertEqual(json.loads(headers), {"host": "127.0.0.1:%d" % self.s3.port})
        self.assertIn("X-Amz-Signature=", url)
        self.assertEqual(http(s, "GET", url), (200, b"P" * 998))
        self.assertEqual(http(s, "GET", url.replace("books", "bookz"))[0], 403)  # tampered
        (method, headers, url), = rows(
            s, "PRESIGN UPLOAD @ps/up.txt EXPIRE = 600 CONTENT_TYPE = 'text/plain';")
        self.assertEqual((method, json.loads(headers)["content-type"]), ("PUT", "text/plain"))
        self.assertEqual(http(s, "PUT", url, b"via presign")[0], 200)
        self.assertEqual(self.aws_get("t5/up.txt"), b"via presign")
        (_, _, url), = rows(s, "PRESIGN @ps/books.parquet EXPIRE = 1;")
        time.sleep(2.2)
        self.assertEqual(http(s, "GET", url)[0], 403)  # expired

    def test_presign_on_local_storage(self):
        s = Server(config="[users]\nu1 = p1\n")
        self.addCleanup(s.close)
        q(s, "CREATE STAGE loc;")
        (method, headers, url), = rows(s, "PRESIGN UPLOAD @loc/dir/f.csv;")
        self.assertEqual((method, headers), ("PUT", "{}"))
        self.assertTrue(url.startswith("http://127.0.0.1:%d/v1/stages/loc/files/dir/f.csv?"
                                       % s.http_port), url)
        self.assertEqual(http(s, "PUT", url, b"a,b\n")[0], 201)  # no credentials needed
        self.assertEqual([r[0] for r in rows(s, "LIST @loc;")], ["dir/f.csv"])
        self.assertEqual(http(s, "GET", url)[0], 403)  # an upload URL does not download
        (_, _, get_url), = rows(s, "PRESIGN @loc/dir/f.csv;")
        self.assertEqual(http(s, "GET", get_url), (200, b"a,b\n"))
        self.assertEqual(http(s, "HEAD", get_url)[0], 200)
        self.assertEqual(http(s, "DELETE", get_url)[0], 403)
        for bad in (get_url.replace("f.csv", "g.csv"), get_url.replace("user=root", "user=u1"),
                    get_url[:-1] + ("0" if get_url[-1] != "0" else "1"),
                    get_url.replace("expires=", "expires=9")):
            st, data = http(s, "GET", bad)
            self.assertEqual(st, 403, bad)
            self.assertEqual(json.loads(data)["error"]["code"], 403)
        (_, _, short), = rows(s, "PRESIGN @loc/dir/f.csv EXPIRE = 1;")
        time.sleep(2.2)
        st, data = http(s, "GET", short)
        self.assertEqual(st, 403)
        self.assertIn("expired", json.loads(data)["error"]["message"])
        # rights still apply: u1 may not presign root's stage
        rc, out, err = sql(s, "PRESIGN @loc/dir/f.csv;", "u1", "p1")
        self.assertIn("Code: 1063", err)
        # the key survives a restart, so URLs do too
        s.stop()
        s.start()
        self.assertEqual(http(s, "GET", get_url.replace(
            get_url.split("/v1/")[0], "http://127.0.0.1:%d" % s.http_port))[0], 200)
        self.assertEqual(os.stat(os.path.join(s.data_dir, "presign.key")).st_mode & 0o777, 0o600)


class OwnStorageInS3(S3Test):
    def test_internal_and_user_stages_live_in_the_bucket(self):
        s = self.server("--storage", "s3://bkt/own", "--storage-endpoint", self.s3.endpoint,
                        "--storage-access-key-id", "S3RVER",
                        "--storage-secret-access-key", "S3RVER")
        self.assertEqual(q(s, "CREATE STAGE s1;"), ("", ""))
        self.assertEqual(http(s, "PUT", "/v1/stages/s1/files/a.txt", b"A")[0], 201)
        self.assertEqual(http(s, "PUT", "/v1/stages/~/files/mine.txt", b"M")[0], 201)
        self.assertEqual(self.s3.keys("own/"),
                         ["own/stages/internal/s1/a.txt", "own/stages/user/root/mine.txt"])
        self.assertEqual([r[0] for r in rows(s, "LIST @~;")], ["mine.txt"])
        (_, _, url), = rows(s, "PRESIGN @s1/a.txt;")
        self.assertIn("/bkt/own/stages/internal/s1/a.txt?X-Amz-", url)
        # a second instance sharing the bucket sees the same files
        s2 = self.server("--storage", "s3://bkt/own/", "--storage-endpoint", self.s3.endpoint,
                         "--storage-access-key-id", "S3RVER",
                         "--storage-secret-access-key", "S3RVER")
        self.assertEqual([r[0] for r in rows(s2, "LIST @~;")], ["mine.txt"])
        # DROP of an internal stage deletes its objects
        self.assertEqual(q(s, "DROP STAGE s1;"), ("", ""))
        self.assertEqual(self.s3.keys("own/"), ["own/stages/user/root/mine.txt"])


class Faults(S3Test):
    def test_slowdown_then_success_is_retried(self):
        calls = {"n": 0}

        def plan(method, target):
            if method == "PUT" and "retry.txt" in target:
                calls["n"] += 1
                return "503" if calls["n"] <= 2 else "pass"
            return "pass"

        relay = FaultRelay(self.s3.port, plan)
        self.addCleanup(relay.close)
        s = self.server()
        q(s, stage_sql("r1", relay.endpoint, "t6/"))
        self.assertEqual(http(s, "PUT", "/v1/stages/r1/files/retry.txt", b"R")[0], 201)
        self.assertEqual(len(relay.seen("PUT", "retry.txt")), 3)
        self.assertEqual(self.aws_get("t6/retry.txt"), b"R")

    def test_slowdown_for_ever_is_reported(self):
        relay = FaultRelay(self.s3.port, lambda m, t: "503")
        self.addCleanup(relay.close)
        s = self.server("--s3-retries", "2")
        q(s, stage_sql("r2", relay.endpoint, "t7/"))
        out, err = q(s, "LIST @r2;")
        self.assertIn("S3 error SlowDown (HTTP 503): Please reduce your request rate", err)
        self.assertEqual(len(relay.seen("GET")), 3)  # first try and two retries

    def test_server_down_is_a_clear_error_without_hanging(self):
        s = self.server()
        q(s, stage_sql("down", "http://127.0.0.1:%d" % free_port(), "t8/"))
        started = time.time()
        out, err = q(s, "LIST @down;")
        self.assertIn("S3 endpoint unreachable (ConnectionError after 4 attempts)", err)
        st, data = http(s, "PUT", "/v1/stages/down/files/x", b"x")
        self.assertEqual(st, 502)
        self.assertLess(time.time() - started, 20)
        self.assertEqual(rows(s, "SHOW STAGES;")[0][0], "down")  # still serving

    def test_stalled_server_times_out(self):
        relay = FaultRelay(self.s3.port, lambda m, t: "stall")
        self.addCleanup(relay.close)
        s = self.server("--s3-timeout", "1", "--s3-retries", "1")
        q(s, stage_sql("st", relay.endpoint, "t9/"))
        started = time.time()
        out, err = q(s, "LIST @st;")
        self.assertIn("Timeout", err)
        self.assertLess(time.time() - started, 15)

    def test_slow_downloader_outlasting_the_timeout_gets_every_byte(self):
        """A client that stops reading for longer than --s3-timeout leaves the
        GetObject paused; the pause must not count as a stalled server."""
        s = self.server("--s3-timeout", "1", "--s3-retries", "0")
        q(s, stage_sql("sl", self.s3.endpoint, "t11/"))
        body = read(self.file("slow.bin", 24 * MIB))
        self.assertEqual(http(s, "PUT", "/v1/stages/sl/files/slow.bin", body)[0], 201)
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        sock.connect(("127.0.0.1", s.http_port))
        self.addCleanup(sock.close)
        sock.settimeout(60)
        sock.sendall(b"GET /v1/stages/sl/files/slow.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        got = b""
        for pause in (0, 3, 3):  # each pause outlasts the timeout three times over
            time.sleep(pause)
            got += sock.recv(65536)
        while b"\r\n\r\n" not in got:
            got += sock.recv(65536)
        head, data = got.split(b"\r\n\r\n", 1)
        self.assertIn(b"200 OK", head.split(b"\r\n")[0])
        while len(data) < len(body):
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            data += chunk
        self.assertEqual(len(data), len(body))
        self.assertEqual(hashlib.md5(data).hexdigest(), hashlib.md5(body).hexdigest())
        self.assertNotIn("Timeout", s.log())

    def test_download_cut_midway_resumes_where_it_stopped(self):
        cuts = {"n": 0}

        def plan(method, target):
            if method == "GET" and "cut.bin" in target and cuts["n"] < 2:
                cuts["n"] += 1
                return "cut"
            return "pass"

        relay = FaultRelay(self.s3.port, plan)
        self.addCleanup(relay.close)
        s = self.server()
        q(s, stage_sql("cu", relay.endpoint, "t13/"))
        body = read(self.file("cut.bin", 3 * MIB))
        self.assertEqual(http(s, "PUT", "/v1/stages/cu/files/cut.bin", body)[0], 201)
        st, data = http(s, "GET", "/v1/stages/cu/files/cut.bin")
        self.assertEqual((st, len(data), data == body), (200, len(body), True))
        gets = relay.seen("GET", "cut.bin")
        self.assertEqual(len(gets), 3)  # cut twice, then the rest
        self.assertNotIn("if-match", gets[0][2])
        first = int(gets[1][2]["range"].split("=")[1].split("-")[0])
        self.assertTrue(0 < first < len(body))
        self.assertEqual(gets[1][2]["if-match"], '"%s"' % hashlib.md5(body).hexdigest())
        self.assertGreater(int(gets[2][2]["range"].split("=")[1].split("-")[0]), first)
        # a ranged download resumes inside its range, and the object changing
        # in between is an error, never a mix of two objects
        cuts["n"] = 1
        st, data = http(s, "GET", "/v1/stages/cu/files/cut.bin",
                        headers={"Range": "bytes=1000-2000999"})
        self.assertEqual((st, data == body[1000:2001000]), (206, True))
        self.assertRegex(relay.seen("GET", "cut.bin")[-1][2]["range"], r"^bytes=\d+-2000999$")
        newer = self.file("newer.bin", 3 * MIB)

        def replace_then_pass(method, target):
            if method == "GET" and "cut.bin" in target and not plan.replaced:
                plan.replaced = True
                return "cut"
            if method == "GET" and "cut.bin" in target:  # the resume: the object changes first
                self.assertEqual(self.s3.aws("s3", "cp", "--quiet", newer, "s3://bkt/t13/cut.bin")[0], 0)
            return "pass"

        plan.replaced = False
        relay.plan = replace_then_pass
        sock = socket.create_connection(("127.0.0.1", s.http_port), timeout=60)
        self.addCleanup(sock.close)
        sock.sendall(b"GET /v1/stages/cu/files/cut.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        got = b""
        while True:
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            got += chunk
        head, data = got.split(b"\r\n\r\n", 1)
        self.assertIn(b"Content-Length: %d" % len(body), head)
        self.assertLess(len(data), len(body))  # cut short: the client sees it failed
        self.assertEqual(data, body[:len(data)])  # and nothing of the newer object
        self.assertEqual(relay.seen("GET", "cut.bin")[-1][2]["if-match"],
                         '"%s"' % hashlib.md5(body).hexdigest())
        self.assertIn("S3 error PreconditionFailed (HTTP 412): the object changed while it was "
                      "read", s.log())

    def test_drop_and_replace_stop_uploads_in_flight(self):
        # DROP keeps an external stage's objects, but an upload still running
        # must not land after the answer, where no stage points any more.
        s = self.server("--s3-part-size", "5")
        src = self.file("slow.bin", 12 * MIB)
        base = "http://127.0.0.1:%d" % s.http_port
        for how in ("DROP STAGE x;", stage_sql("x", self.s3.endpoint, "t21-new/").replace(
                "CREATE STAGE", "CREATE OR REPLACE STAGE")):
            self.assertEqual(q(s, stage_sql("x", self.s3.endpoint, "t21/")), ("", ""))
            self.assertEqual(http(s, "PUT", "/v1/stages/x/files/keep.bin", b"k")[0], 201)
            proc = subprocess.Popen(["curl", "-sS", "--limit-rate", "3M", "-o", "-", "-w",
                                     "\n%{http_code}", "-T", src, base + "/v1/stages/x/files/late.bin"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            deadline = time.time() + 30
            while time.time() < deadline:
                st, metrics = http(s, "GET", "/metrics")
                if b"stageproxy_uploads_in_flight 1" in metrics:
                    break
                time.sleep(0.05)
            time.sleep(0.5)
            self.assertEqual(q(s, how), ("", ""), how)
            self.assertEqual(self.s3.keys("t21/"), ["t21/keep.bin"], how)  # at the answer
            out, err = proc.communicate(timeout=60)
            body, status = out.rsplit("\n", 1)
            self.assertEqual(status, "409", (how, out, err))
            self.assertIn("was dropped or replaced during the upload", body)
            self.assertEqual(self.s3.keys("t21/"), ["t21/keep.bin"], how)
            self.assertEqual(self.s3.keys("t21-new/"), [], how)
            if how.startswith("DROP"):
                self.assertEqual(q(s, stage_sql("x", self.s3.endpoint, "t21-new/")), ("", ""))
            # the stage of that name takes uploads again, where it now points
            self.assertEqual(http(s, "PUT", "/v1/stages/x/files/after.bin", b"a")[0], 201)
            self.assertEqual(self.s3.keys("t21-new/"), ["t21-new/after.bin"])
            self.assertEqual(q(s, "REMOVE @x; DROP STAGE x;"), ("", ""))

    def test_client_abort_mid_multipart_aborts_the_upload(self):
        relay = FaultRelay(self.s3.port)
        self.addCleanup(relay.close)
        s = self.server("--s3-part-size", "5")
        q(s, stage_sql("ab", relay.endpoint, "t10/"))
        sock = socket.create_connection(("127.0.0.1", s.http_port))
        sock.sendall(b"PUT /v1/stages/ab/files/partial.bin HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Length: %d\r\n\r\n" % (64 * MIB))
        chunk = os.urandom(MIB)
        for _ in range(24):
            sock.sendall(chunk)
        deadline = time.time() + 30
        while time.time() < deadline and len(relay.seen("PUT", "partNumber=")) < 2:
            time.sleep(0.1)
        sock.close()  # the client goes away mid-upload
        deadline = time.time() + 30
        while time.time() < deadline and not relay.seen("DELETE", "uploadId="):
            time.sleep(0.1)
        self.assertEqual(len(relay.seen("DELETE", "uploadId=")), 1)  # AbortMultipartUpload
        self.assertEqual(relay.seen("POST", "uploadId="), [])  # never completed
        self.assertEqual(self.s3.keys("t10/"), [])
        self.assertEqual(http(s, "GET", "/v1/stages/ab/files/partial.bin")[0], 404)


if __name__ == "__main__":
    unittest.main(verbosity=2)
