"""The HTTP listener end to end: Databend's upload_to_stage (checklist items
23 and 36-46, the seed example verbatim), the raw file API, streaming round
trips checked from the mariadb CLI, and faults (clients killed mid-upload, a
full disk, slowloris, oversized headers, malformed bodies, concurrency)."""
import base64
import concurrent.futures
import hashlib
import http.client
import json
import os
import re
import socket
import subprocess
import tempfile
import time
import unittest

from harness import Server, make_ca, run, small_tmpfs, sql

USERS = "[users]\nu1 = p1\nu2 = p2\n"




def list_rows(server, location, user="root", password=None):
    rc, out, err = sql(server, "LIST %s;" % location, user, password)
    assert rc == 0 and not err, (out, err)
    lines = out.splitlines()
    if not lines:
        return []
    assert lines[0].split("\t") == ["name", "size", "md5", "last_modified", "creator"], lines[0]
    return [line.split("\t") for line in lines[1:]]


def basic(user, password):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def multipart(parts, boundary="----stageproxyTestBoundary"):
    """parts: (field, filename or None, bytes) -> (content type, body)."""
    out = []
    for field, filename, data in parts:
        disp = 'form-data; name="%s"' % field
        if filename is not None:
            disp += '; filename="%s"' % filename
        out.append(("--%s\r\nContent-Disposition: %s\r\nContent-Type: application/octet-stream"
                    "\r\n\r\n" % (boundary, disp)).encode() + data + b"\r\n")
    out.append(("--%s--\r\n" % boundary).encode())
    return "multipart/form-data; boundary=" + boundary, b"".join(out)


class Http:
    def __init__(self, server):
        self.s = server

    def request(self, method, path, body=None, headers=None, timeout=60):
        conn = http.client.HTTPConnection("127.0.0.1", self.s.http_port, timeout=timeout)
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data

    def upload(self, stage, parts, extra=None, legacy=False, **kw):
        ctype, body = multipart(parts)
        headers = {"Content-Type": ctype}
        headers["stage_name" if legacy else "X-DATABEND-STAGE-NAME"] = stage
        headers.update(extra or {})
        return self.request("PUT", "/v1/upload_to_stage", body, headers, **kw)

    def json(self, *a, **kw):
        status, headers, data = self.request(*a, **kw)
        return status, json.loads(data) if data else None


def raw_exchange(port, data, read_until_close=True, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(data)
    chunks = []
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
            if not read_until_close:
                break
    except socket.timeout:
        pass
    s.close()
    return b"".join(chunks)


def temp_files(server):
    tmp = os.path.join(server.data_dir, "tmp")
    return [n for n in os.listdir(tmp)] if os.path.isdir(tmp) else []


class HttpTestCase(unittest.TestCase):
    config = USERS
    args = ()

    def setUp(self):
        self.work = tempfile.TemporaryDirectory(prefix="sp-http-")
        self.s = Server(config=self.config, args=self.args)
        self.h = Http(self.s)

    def tearDown(self):
        code = self.s.stop()
        self.s.close()
        self.work.cleanup()
        self.assertEqual(code, 0)

    def create(self, *names, user="root", password=None):
        rc, out, err = sql(self.s, "".join("CREATE STAGE %s;" % n for n in names), user, password)
        self.assertEqual((rc, err), (0, ""))

    def path(self, name, data):
        p = os.path.join(self.work.name, name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
        return p


class UploadToStage(HttpTestCase):
    def test_seed_example_verbatim(self):  # and checklist item 23
        self.create("my_internal_stage")
        data = os.urandom(998)
        self.path("books.parquet", data)
        # verbatim, from the directory holding the file, to localhost
        cmd = 'curl -H "stage_name:my_internal_stage" -F "upload=@books.parquet" -XPUT ' \
              '"http://localhost:%d/v1/upload_to_stage"' % self.s.http_port
        p = subprocess.run(cmd, shell=True, cwd=self.work.name, capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        answer = json.loads(p.stdout)
        self.assertEqual(list(answer), ["id", "stage_name", "state", "files"])
        self.assertRegex(answer["id"], r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                                       r"[0-9a-f]{12}$")
        self.assertEqual(answer["stage_name"], "my_internal_stage")
        self.assertEqual(answer["state"], "SUCCESS")
        self.assertEqual(answer["files"], ["books.parquet"])
        rows = list_rows(self.s, "@my_internal_stage")
        self.assertEqual(len(rows), 1)
        name, size, md5, modified, creator = rows[0]
        self.assertEqual((name, size, creator), ("books.parquet", "998", "NULL"))
        self.assertEqual(md5, '"%s"' % hashlib.md5(data).hexdigest())
        self.assertRegex(modified, r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \+0000$")
        self.assertEqual(temp_files(self.s), [])

    def test_checklist_36_to_46(self):
        self.create("s1")
        # 36: Basic root: with an empty password
        ctype, body = multipart([("upload", "a.csv", b"1,2\n")])
        status, answer = self.h.json("PUT", "/v1/upload_to_stage", body,
                                     {"Authorization": basic("root", ""), "Content-Type": ctype,
                                      "X-DATABEND-STAGE-NAME": "s1"})
        self.assertEqual(status, 200)
        self.assertIsInstance(answer["id"], str)
        self.assertEqual((answer["stage_name"], answer["state"], answer["files"]),
                         ("s1", "SUCCESS", ["a.csv"]))
        self.assertEqual([r[0] for r in list_rows(self.s, "@s1")], ["a.csv"])
        # 37: the legacy header
        status, _, data = self.h.upload("s1", [("upload", "b.csv", b"x")], legacy=True)
        self.assertEqual(status, 200, data)
        self.assertEqual(json.loads(data)["files"], ["b.csv"])
        # 38: a relative path, trimmed of its slashes; files keep the bare name
        status, _, data = self.h.upload("s1", [("upload", "a.csv", b"rel")],
                                        {"X-DATABEND-RELATIVE-PATH": "/x/y/"})
        self.assertEqual((status, json.loads(data)["files"]), (200, ["a.csv"]))
        status, _, data = self.h.upload("s1", [("upload", "c.csv", b"legacy rel")],
                                        {"relative_path": "2024/05"})
        self.assertEqual(status, 200, data)
        # 39: two parts
        status, _, data = self.h.upload("s1", [("upload", "d.csv", b"d"), ("upload", "e.csv", b"e")])
        self.assertEqual(json.loads(data)["files"], ["d.csv", "e.csv"])
        # 40: a part without a file name gets a UUID
        status, _, data = self.h.upload("s1", [("anything", None, b"anonymous")])
        self.assertEqual(status, 200)
        (uuid,) = json.loads(data)["files"]
        self.assertRegex(uuid, r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                               r"[0-9a-f]{12}$")
        names = [r[0] for r in list_rows(self.s, "@s1")]
        self.assertEqual(names, sorted(["a.csv", "b.csv", "x/y/a.csv", "2024/05/c.csv", "d.csv",
                                        "e.csv", uuid]))
        # 42: no stage name
        ctype, body = multipart([("upload", "a.csv", b"1")])
        status, answer = self.h.json("PUT", "/v1/upload_to_stage", body, {"Content-Type": ctype})
        self.assertEqual((status, answer), (400, {"error": {
            "code": 400, "message": "Parse stage_name error, please check your arguments"}}))
        # 43: an unknown stage
        status, _, data = self.h.upload("nope", [("upload", "a.csv", b"1")])
        self.assertEqual(status, 500)
        self.assertIn("Code: 2501", json.loads(data)["error"]["message"])
        # 45: POST is not an upload
        status, headers, data = self.h.request("POST", "/v1/upload_to_stage", body,
                                               {"Content-Type": ctype,
                                                "X-DATABEND-STAGE-NAME": "s1"})
        self.assertEqual(status, 405)
        self.assertEqual(headers["allow"], "PUT")
        # 46: an existing name is overwritten
        status, _, _ = self.h.upload("s1", [("upload", "a.csv", b"a much longer content")])
        self.assertEqual(status, 200)
        sizes = {r[0]: r[1] for r in list_rows(self.s, "@s1")}
        self.assertEqual(sizes["a.csv"], str(len(b"a much longer content")))
        # nothing but the stage's files, and no temp file
        self.assertEqual(temp_files(self.s), [])

    def test_user_stage_and_rights(self):  # 41, 44 and the write check
        self.create("root_stage")
        auth1 = {"Authorization": basic("u1", "p1")}
        status, _, data = self.h.upload("~", [("upload", "mine.csv", b"u1 data")], auth1)
        self.assertEqual((status, json.loads(data)["stage_name"]), (200, "~"))
        self.assertEqual([r[0] for r in list_rows(self.s, "@~", "u1", "p1")], ["mine.csv"])
        self.assertEqual(list_rows(self.s, "@~", "u2", "p2"), [])
        self.assertEqual(list_rows(self.s, "@~"), [])
        # another user's stage: no right to write
        status, _, data = self.h.upload("root_stage", [("upload", "x.csv", b"x")], auth1)
        self.assertEqual(status, 403)
        self.assertIn("PermissionDenied. Code: 1063", json.loads(data)["error"]["message"])
        self.assertEqual(list_rows(self.s, "@root_stage"), [])
        # wrong password, unknown user, other schemes
        for auth in (basic("u1", "wrong"), basic("nobody", ""), "Bearer abc", "Basic !!!!",
                     basic("root", "x")):
            status, _, data = self.h.upload("~", [("upload", "a.csv", b"1")],
                                            {"Authorization": auth})
            self.assertEqual(status, 401, auth)
            self.assertIn(json.loads(data)["error"]["code"], (5100, 2201))

    def test_hostile_names(self):
        self.create("s")
        outside = os.path.join(self.s.data_dir, "stages", "internal")
        before = sorted(os.listdir(outside))
        for rel, name in ((None, "../evil.csv"), (None, "a/../../evil.csv"), ("../x", "a.csv"),
                          (None, "a\\\\b.csv"), (None, "dir//a.csv"), ("x/..", "a.csv"),
                          (None, "x" * 300 + ".csv"), (None, "./a.csv")):
            extra = {"X-DATABEND-RELATIVE-PATH": rel} if rel else {}
            status, _, data = self.h.upload("s", [("upload", name, b"evil")], extra)
            self.assertEqual(status, 400, (rel, name, data))
            self.assertIn("error", json.loads(data))
        for path in ("/v1/stages/s/files/%2e%2e/evil", "/v1/stages/s/files/..%2fevil",
                     "/v1/stages/s/files/a/%2E%2E/%2E%2E/evil", "/v1/stages/s/files/%00",
                     "/v1/stages/s/files/a%5Cb", "/v1/stages/..%2Fs/files/a"):
            status, _, data = self.h.request("PUT", path, b"evil")
            self.assertIn(status, (400, 404), path)
        self.assertEqual(sorted(os.listdir(outside)), before)
        self.assertEqual(list_rows(self.s, "@s"), [])
        for root, dirs, files in os.walk(self.s.data_dir):
            self.assertNotIn("evil", " ".join(files))

    def test_malformed_multipart(self):
        self.create("s")
        bodies = [
            b"--B\r\nContent-Disposition: form-data; name=a; filename=a.csv\r\n\r\nno end",
            b"--B\r\nContent-Type: text/plain\r\n\r\nx\r\n--B--\r\n",
            b"garbage without a boundary",
            b"--B\r\n" + b"X-Pad: " + b"a" * 10000 + b"\r\n\r\nx\r\n--B--\r\n",
        ]
        for body in bodies:
            status, _, data = self.h.request("PUT", "/v1/upload_to_stage", body,
                                             {"Content-Type": "multipart/form-data; boundary=B",
                                              "X-DATABEND-STAGE-NAME": "s"})
            self.assertEqual(status, 400, body[:40])
            self.assertEqual(json.loads(data)["error"]["code"], 400)
        status, _, data = self.h.request("PUT", "/v1/upload_to_stage", b"x",
                                         {"Content-Type": "text/csv", "X-DATABEND-STAGE-NAME": "s"})
        self.assertEqual(status, 400)
        self.assertEqual(list_rows(self.s, "@s"), [])
        self.assertEqual(temp_files(self.s), [])
        # the server keeps serving
        self.assertEqual(self.h.request("GET", "/healthz")[0], 200)


class RoundTrips(HttpTestCase):
    SIZES = [0, 1, 65535, 65536, 65537, 16 * 1024 * 1024 + 7]

    def check_listed(self, stage, name, data):
        rows = {r[0]: r for r in list_rows(self.s, "@" + stage)}
        self.assertEqual(rows[name][1], str(len(data)))
        self.assertEqual(rows[name][2], '"%s"' % hashlib.md5(data).hexdigest())

    def download(self, stage, name):
        status, headers, got = self.h.request("GET", "/v1/stages/%s/files/%s" % (stage, name))
        self.assertEqual(status, 200)
        return headers, got

    def test_sizes_raw_and_multipart(self):
        self.create("s")
        for size in self.SIZES:
            data = os.urandom(size)
            for how in ("raw", "multipart", "curl-T", "curl-F"):
                name = "%s-%d.bin" % (how, size)
                if how == "raw":
                    status, _, answer = self.h.request("PUT", "/v1/stages/s/files/" + name, data)
                    self.assertEqual(status, 201, answer)
                    self.assertEqual(json.loads(answer)["size"], size)
                elif how == "multipart":
                    status, _, answer = self.h.upload("s", [("upload", name, data)])
                    self.assertEqual(status, 200, answer)
                else:
                    p = self.path(name, data)
                    url = "http://127.0.0.1:%d" % self.s.http_port
                    cmd = ["curl", "-sS", "--fail-with-body"] + (
                        ["-T", p, url + "/v1/stages/s/files/" + name] if how == "curl-T" else
                        ["-H", "X-DATABEND-STAGE-NAME: s", "-F", "upload=@" + p, "-XPUT",
                         url + "/v1/upload_to_stage"])
                    rc, out, err = run(cmd)
                    self.assertEqual(rc, 0, err + out)
                headers, got = self.download("s", name)
                self.assertEqual(len(got), size)
                self.assertTrue(got == data, name)
                self.assertEqual(headers["etag"], '"%s"' % hashlib.md5(data).hexdigest())
                self.check_listed("s", name, data)
        self.assertEqual(temp_files(self.s), [])

    def test_one_gib_streams_in_bounded_memory(self):
        self.create("s")
        path = os.path.join(self.work.name, "big.bin")
        md5 = hashlib.md5()
        block = os.urandom(1 << 20)
        with open(path, "wb") as f:
            for i in range(1024):
                b = block[:-8] + i.to_bytes(8, "little")
                md5.update(b)
                f.write(b)
        url = "http://127.0.0.1:%d/v1/stages/s/files/big.bin" % self.s.http_port
        peak = [0]

        def watch(proc):
            while proc.poll() is None:
                peak[0] = max(peak[0], self.s.rss_kib())
                time.sleep(0.05)

        for how in ("raw", "multipart"):
            cmd = ["curl", "-sS", "--fail-with-body", "-T", path, url] if how == "raw" else [
                "curl", "-sS", "--fail-with-body", "-H", "X-DATABEND-STAGE-NAME: s",
                "-F", "upload=@%s;filename=big-mp.bin" % path, "-XPUT",
                "http://127.0.0.1:%d/v1/upload_to_stage" % self.s.http_port]
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            watch(proc)
            out, err = proc.communicate()
            self.assertEqual(proc.returncode, 0, err)
        rows = {r[0]: r for r in list_rows(self.s, "@s")}
        for name in ("big.bin", "big-mp.bin"):
            self.assertEqual(rows[name][1], str(1 << 30))
            self.assertEqual(rows[name][2], '"%s"' % md5.hexdigest())
        # download and hash in a stream
        got = hashlib.md5()
        conn = http.client.HTTPConnection("127.0.0.1", self.s.http_port, timeout=120)
        conn.request("GET", "/v1/stages/s/files/big-mp.bin")
        r = conn.getresponse()
        self.assertEqual(int(r.getheader("content-length")), 1 << 30)
        while True:
            b = r.read(1 << 20)
            if not b:
                break
            got.update(b)
            peak[0] = max(peak[0], self.s.rss_kib())
        conn.close()
        self.assertEqual(got.hexdigest(), md5.hexdigest())
        if not os.environ.get("STAGEPROXY_SANITIZED"):
            self.assertLess(peak[0], 32 * 1024, "peak RSS %d KiB" % peak[0])

    def test_chunked_and_expect_continue(self):
        self.create("s")
        data = os.urandom(300000)
        p = self.path("c.bin", data)
        rc, out, err = run(["curl", "-sS", "--fail-with-body", "-H", "Transfer-Encoding: chunked",
                            "-T", p, "http://127.0.0.1:%d/v1/stages/s/files/chunked.bin"
                            % self.s.http_port])
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.download("s", "chunked.bin")[1], data)
        # multipart in chunks
        ctype, body = multipart([("upload", "mc.bin", data)])
        conn = http.client.HTTPConnection("127.0.0.1", self.s.http_port, timeout=30)
        conn.request("PUT", "/v1/upload_to_stage", body=iter([body[:1000], body[1000:77777],
                                                              body[77777:]]),
                     headers={"Content-Type": ctype, "X-DATABEND-STAGE-NAME": "s"},
                     encode_chunked=True)
        self.assertEqual(conn.getresponse().status, 200)
        conn.close()
        self.assertEqual(self.download("s", "mc.bin")[1], data)
        # Expect: 100-continue, by hand: the 100 comes before the body is sent
        sock = socket.create_connection(("127.0.0.1", self.s.http_port), timeout=10)
        sock.sendall(b"PUT /v1/stages/s/files/e.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                     b"Expect: 100-continue\r\n\r\n")
        self.assertEqual(sock.recv(100), b"HTTP/1.1 100 Continue\r\n\r\n")
        sock.sendall(b"hello")
        self.assertIn(b"HTTP/1.1 201 Created", sock.recv(1000))
        # refused before the body: no 100, and the connection is not reused
        sock.sendall(b"PUT /v1/stages/nope/files/e.bin HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        answer = sock.recv(1000)
        self.assertTrue(answer.startswith(b"HTTP/1.1 404"), answer)
        self.assertIn(b"Connection: close", answer)
        sock.close()
        self.assertEqual(self.download("s", "e.bin")[1], b"hello")


class FileApi(HttpTestCase):
    def test_get_head_range_etag_delete_list(self):
        self.create("s")
        data = bytes(range(256)) * 40
        for name in ("2023/meta.log", "2023/query.log", "books.parquet"):
            status, _, _ = self.h.request("PUT", "/v1/stages/s/files/" + name, data)
            self.assertEqual(status, 201)
        base = "/v1/stages/s/files/"
        status, headers, body = self.h.request("HEAD", base + "books.parquet")
        self.assertEqual((status, body, headers["content-length"]), (200, b"", str(len(data))))
        etag = headers["etag"]
        self.assertEqual(etag, '"%s"' % hashlib.md5(data).hexdigest())
        self.assertRegex(headers["last-modified"], r"^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$")
        self.assertEqual(headers["accept-ranges"], "bytes")
        status, headers, body = self.h.request("GET", base + "books.parquet",
                                               headers={"Range": "bytes=100-199"})
        self.assertEqual((status, body), (206, data[100:200]))
        self.assertEqual(headers["content-range"], "bytes 100-199/%d" % len(data))
        status, _, body = self.h.request("GET", base + "books.parquet",
                                         headers={"Range": "bytes=-10"})
        self.assertEqual((status, body), (206, data[-10:]))
        status, _, body = self.h.request("GET", base + "books.parquet",
                                         headers={"Range": "bytes=10000-"})
        self.assertEqual((status, body), (206, data[10000:]))
        status, headers, _ = self.h.request("GET", base + "books.parquet",
                                            headers={"Range": "bytes=99999-"})
        self.assertEqual((status, headers["content-range"]), (416, "bytes */%d" % len(data)))
        status, headers, body = self.h.request("GET", base + "books.parquet",
                                               headers={"If-None-Match": etag})
        self.assertEqual((status, body, headers["etag"]), (304, b"", etag))
        status, _, body = self.h.request("GET", base + "books.parquet",
                                         headers={"If-None-Match": '"other"'})
        self.assertEqual((status, body), (200, data))
        status, _, body = self.h.request("GET", base + "missing.csv")
        self.assertEqual(status, 404)
        # the listing, as LIST's rows
        status, answer = self.h.json("GET", "/v1/stages/s/files?prefix=2023/")
        self.assertEqual(status, 200)
        self.assertEqual([f["name"] for f in answer["files"]], ["2023/meta.log", "2023/query.log"])
        self.assertEqual(list(answer["files"][0]), ["name", "size", "md5", "last_modified",
                                                    "creator"])
        self.assertEqual(answer["files"][0]["size"], len(data))
        self.assertIsNone(answer["files"][0]["creator"])
        status, answer = self.h.json("GET", "/v1/stages/s/files?pattern=.*%5B.%5Dparquet")
        self.assertEqual([f["name"] for f in answer["files"]], ["books.parquet"])
        status, answer = self.h.json("GET", "/v1/stages/s/files?pattern=(")
        self.assertEqual(status, 400)
        self.assertIn("Pattern format invalid", answer["error"]["message"])
        # DELETE, then it is gone everywhere
        status, _, _ = self.h.request("DELETE", base + "2023/meta.log")
        self.assertEqual(status, 204)
        self.assertEqual(self.h.request("DELETE", base + "2023/meta.log")[0], 404)
        self.assertEqual([r[0] for r in list_rows(self.s, "@s")],
                         ["2023/query.log", "books.parquet"])
        # a file copied in by hand: no MD5, a weak tag
        with open(os.path.join(self.s.data_dir, "stages", "internal", "s", "hand.txt"), "wb") as f:
            f.write(b"by hand")
        status, headers, body = self.h.request("GET", base + "hand.txt")
        self.assertEqual((status, body), (200, b"by hand"))
        self.assertTrue(headers["etag"].startswith('W/"'))
        # unknown stage, wrong methods
        self.assertEqual(self.h.request("GET", "/v1/stages/nope/files/x")[0], 404)
        self.assertEqual(self.h.request("POST", base + "x", b"")[0], 405)
        self.assertEqual(self.h.request("GET", "/v1/nothing")[0], 404)

    def test_keep_alive_and_pipelining(self):
        self.create("s")
        self.h.request("PUT", "/v1/stages/s/files/a.txt", b"AAAA")
        one = b"GET /v1/stages/s/files/a.txt HTTP/1.1\r\nHost: x\r\n\r\n"
        last = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        answer = raw_exchange(self.s.http_port, one * 3 + last)
        self.assertEqual(answer.count(b"HTTP/1.1 200 OK"), 4, answer)
        self.assertEqual(answer.count(b"\r\n\r\nAAAA"), 3)
        self.assertTrue(answer.endswith(b'{"status":"ok"}'))

    def test_metrics(self):
        self.create("s")
        self.h.request("PUT", "/v1/stages/s/files/a.txt", b"12345")
        self.h.request("GET", "/v1/stages/s/files/a.txt")
        self.h.request("GET", "/v1/stages/s/files/none.txt")
        status, headers, body = self.h.request("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/plain; version=0.0.4"))
        text = body.decode()
        # earlier connections may still be closing: at least this one is open
        self.assertGreaterEqual(int(re.search(r'stageproxy_connections\{protocol="http"\} (\d+)',
                                              text).group(1)), 1)
        for needle in ('stageproxy_connections{protocol="mysql"}',
                       'stageproxy_http_requests_total{status="201"} 1',
                       'stageproxy_http_errors_total{status="404"} 1',
                       "stageproxy_uploads_in_flight 0", "stageproxy_uploads_total 1",
                       "stageproxy_upload_bytes_total 5", "stageproxy_download_bytes_total 5",
                       'stageproxy_http_request_duration_seconds_bucket{le="+Inf"}',
                       "# TYPE stageproxy_http_request_duration_seconds histogram"):
            self.assertIn(needle, text)


class Faults(HttpTestCase):
    args = ("--http-header-timeout", "1", "--http-idle-timeout", "2")

    def test_client_killed_mid_upload(self):
        self.create("s")
        for how in ("raw", "multipart"):
            sock = socket.create_connection(("127.0.0.1", self.s.http_port))
            if how == "raw":
                sock.sendall(b"PUT /v1/stages/s/files/partial.bin HTTP/1.1\r\nHost: x\r\n"
                             b"Content-Length: 10000000\r\n\r\n" + os.urandom(3000000))
            else:
                head, body = multipart([("upload", "partial.bin", os.urandom(10000000))])
                sock.sendall(b"PUT /v1/upload_to_stage HTTP/1.1\r\nHost: x\r\n"
                             b"X-DATABEND-STAGE-NAME: s\r\nContent-Type: " + head.encode() +
                             b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body[:3000000])
            time.sleep(0.3)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            sock.close()  # a reset, as when the client is killed
            deadline = time.time() + 10
            while temp_files(self.s) and time.time() < deadline:
                time.sleep(0.05)
            self.assertEqual(temp_files(self.s), [])
            self.assertEqual(list_rows(self.s, "@s"), [])
        status, headers, body = self.h.request("GET", "/metrics")
        self.assertIn(b"stageproxy_uploads_in_flight 0", body)

    def test_slowloris_and_huge_headers(self):
        sock = socket.create_connection(("127.0.0.1", self.s.http_port), timeout=10)
        start = time.time()
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        closed = False
        try:
            for _ in range(40):
                sock.sendall(b"X-Slow: 1\r\n")
                time.sleep(0.2)
                if sock.recv(1, socket.MSG_DONTWAIT | socket.MSG_PEEK) == b"":
                    closed = True
                    break
        except (BlockingIOError,):
            pass
        except (ConnectionResetError, BrokenPipeError):
            closed = True
        if not closed:
            try:
                closed = sock.recv(100) == b""
            except (ConnectionResetError, socket.timeout):
                closed = True
        self.assertTrue(closed)
        self.assertLess(time.time() - start, 6)
        sock.close()
        # 200 kB of headers
        answer = raw_exchange(self.s.http_port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" +
                              b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 190) for i in range(1000)) +
                              b"\r\n")
        self.assertTrue(answer.startswith(b"HTTP/1.1 431 "), answer[:100])
        answer = raw_exchange(self.s.http_port, b"GET /healthz HTTP/1.1\r\n" +
                              b"".join(b"X-%d: 1\r\n" % i for i in range(150)) + b"\r\n")
        self.assertTrue(answer.startswith(b"HTTP/1.1 431 "), answer[:100])
        answer = raw_exchange(self.s.http_port, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n")
        self.assertTrue(answer.startswith(b"HTTP/1.1 414 "), answer[:100])
        answer = raw_exchange(self.s.http_port, b"NOT HTTP AT ALL\r\n\r\n")
        self.assertTrue(answer.startswith(b"HTTP/1.1 400 "), answer[:100])
        self.assertEqual(self.h.request("GET", "/healthz")[0], 200)

    def test_fifty_concurrent_uploads(self):
        self.create("s")
        blobs = [os.urandom(10 * 1024 * 1024) for _ in range(5)]

        def one(i):
            data = blobs[i % 5]
            if i % 2:
                status, _, answer = self.h.request("PUT", "/v1/stages/s/files/c%02d.bin" % i, data,
                                                   timeout=120)
            else:
                status, _, answer = self.h.upload("s", [("upload", "c%02d.bin" % i, data)],
                                                  timeout=120)
            return status

        with concurrent.futures.ThreadPoolExecutor(50) as pool:
            statuses = list(pool.map(one, range(50)))
        self.assertEqual(set(statuses), {200, 201})
        rows = list_rows(self.s, "@s")
        self.assertEqual(len(rows), 50)
        for name, size, md5, _, _ in rows:
            i = int(name[1:3])
            self.assertEqual(md5, '"%s"' % hashlib.md5(blobs[i % 5]).hexdigest())
        self.assertEqual(temp_files(self.s), [])


    def test_uploads_beside_removes_that_prune_their_directories(self):
        # REMOVE takes away directories it leaves empty, the stage's own
        # included; uploads into them go on working (each commit makes its
        # directories again, and retries when one vanishes before its
        # rename, a window too narrow for this test to hit reliably).
        self.create("s")
        stop = time.time() + 3
        statuses, removed = [], [0]

        def uploads():
            i = 0
            while time.time() < stop:
                statuses.append(self.h.request("PUT", "/v1/stages/s/files/a/b/f%d.bin" % i,
                                               b"x" * 100)[0])
                i += 1

        def removes():
            while time.time() < stop:
                rc, out, err = sql(self.s, "REMOVE @s/a/;")
                self.assertEqual(err, "")
                removed[0] += 1

        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            futures = [pool.submit(uploads), pool.submit(uploads), pool.submit(removes)]
            for f in futures:
                f.result()
        self.assertGreater(removed[0], 5)
        self.assertGreater(len(statuses), 20)
        self.assertEqual(set(statuses), {201})
        self.assertEqual(temp_files(self.s), [])

    def test_drop_and_replace_stop_uploads_in_flight(self):
        # An upload that ends after its stage was dropped (or replaced) must
        # not leave a file that a stage of the same name would show later.
        src = self.path("slow.bin", os.urandom(2 * 1024 * 1024))
        early = self.path("early.bin", b"e" * 1000)
        base = "http://127.0.0.1:%d" % self.s.http_port
        for how in ("DROP STAGE o;", "CREATE OR REPLACE STAGE o;"):
            self.create("o")
            self.assertEqual(self.h.request("PUT", "/v1/stages/o/files/keep.bin", b"k")[0], 201)
            slow = ["curl", "-sS", "--limit-rate", "1M", "-o", "-", "-w", "\n%{http_code}"]
            procs = [
                subprocess.Popen(slow + ["-T", src, base + "/v1/stages/o/files/late.bin"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True),
                subprocess.Popen(slow + ["-H", "X-DATABEND-STAGE-NAME: o", "-F",
                                         "a=@%s" % early, "-F", "b=@%s;filename=late-mp.bin" % src,
                                         "-XPUT", base + "/v1/upload_to_stage"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)]
            deadline = time.time() + 10
            while time.time() < deadline:
                if "early.bin" in [r[0] for r in list_rows(self.s, "@o")]:
                    break  # the multipart upload's first file is in, the rest still coming
                time.sleep(0.05)
            rc, out, err = sql(self.s, how)
            self.assertEqual((rc, err), (0, ""), how)
            for p in procs:
                out, err = p.communicate(timeout=30)
                body, status = out.rsplit("\n", 1)
                self.assertEqual(status, "409", (how, out, err))
                self.assertIn("was dropped or replaced during the upload", body)
            stage_dir = os.path.join(self.s.data_dir, "stages", "internal", "o")
            if how.startswith("DROP"):
                self.assertFalse(os.path.exists(stage_dir), os.listdir(stage_dir)
                                 if os.path.isdir(stage_dir) else stage_dir)
                self.create("o")
            self.assertEqual(list_rows(self.s, "@o"), [], how)
            self.assertEqual(temp_files(self.s), [])
            # and the stage takes uploads again
            self.assertEqual(self.h.request("PUT", "/v1/stages/o/files/after.bin", b"a")[0], 201)
            self.assertEqual(sql(self.s, "DROP STAGE o;")[0], 0)


class Https(unittest.TestCase):
    def test_uploads_and_downloads_over_tls(self):
        with tempfile.TemporaryDirectory(prefix="sp-https-") as work:
            ca, crt, key = make_ca(work)
            s = Server(args=["--http-tls", "on", "--tls-cert", crt, "--tls-key", key])
            try:
                self.assertEqual(sql(s, "CREATE STAGE s;")[0], 0)
                data = os.urandom(3 * 1024 * 1024 + 5)
                path = os.path.join(work, "f.bin")
                with open(path, "wb") as f:
                    f.write(data)
                base = "https://127.0.0.1:%d" % s.http_port
                rc, out, err = run(["curl", "-sS", "--fail-with-body", "--cacert", ca, "-T", path,
                                    base + "/v1/stages/s/files/f.bin"])
                self.assertEqual(rc, 0, err)
                rc, out, err = run(["curl", "-sS", "--fail-with-body", "--cacert", ca, "-H",
                                    "stage_name: s", "-F", "upload=@" + path + ";filename=g.bin",
                                    "-XPUT", base + "/v1/upload_to_stage"])
                self.assertEqual((rc, json.loads(out)["files"]), (0, ["g.bin"]), err)
                for name in ("f.bin", "g.bin"):
                    p = subprocess.run(["curl", "-sS", "--fail", "--cacert", ca,
                                        base + "/v1/stages/s/files/" + name], capture_output=True)
                    self.assertEqual(p.returncode, 0, p.stderr)
                    self.assertTrue(p.stdout == data)
                # keep-alive over TLS: two requests, one connection
                rc, out, err = run(["curl", "-sS", "-v", "--cacert", ca, base + "/healthz",
                                    base + "/healthz"])
                self.assertEqual(out, '{"status":"ok"}' * 2)
                self.assertIn("Re-using existing connection", err)
                # plain HTTP on the HTTPS port gets nowhere, and the server goes on
                rc, out, err = run(["curl", "-sS", "http://127.0.0.1:%d/healthz" % s.http_port])
                self.assertNotEqual(rc, 0)
                self.assertEqual([r[0] for r in list_rows(s, "@s")], ["f.bin", "g.bin"])
                self.assertEqual(s.stop(), 0)
            finally:
                s.close()


def big_file(path, mib):
    """A file of `mib` MiB that does not repeat; returns its hex MD5."""
    md5 = hashlib.md5()
    block = os.urandom(1 << 20)
    with open(path, "wb") as f:
        for i in range(mib):
            b = block[:-8] + i.to_bytes(8, "little")
            md5.update(b)
            f.write(b)
    return md5.hexdigest()


def md5_attr(path):
    try:
        return os.getxattr(path, "user.stageproxy.md5").decode()
    except OSError:
        return None


def attr_for(path, word, size=None):
    st = os.stat(path)
    return "%s %d %d.%09d" % (word, st.st_size if size is None else size,
                              st.st_mtime_ns // 10**9, st.st_mtime_ns % 10**9)


class LaterMd5(HttpTestCase):
    """The MD5 is computed after the answer; nobody may see it missing or
    wrong because of that."""

    def stage_file(self, key):
        return os.path.join(self.s.data_dir, "stages", "internal", "s", key)

    def readers(self, n_lists=3):
        """LISTs from the CLI, a HEAD and the JSON listing, all at once."""
        def head():
            status, headers, _ = self.h.request("HEAD", "/v1/stages/s/files/big.bin")
            return headers.get("etag")

        def json_list():
            status, answer = self.h.json("GET", "/v1/stages/s/files")
            return {r["name"]: r["md5"] for r in answer["files"]}

        with concurrent.futures.ThreadPoolExecutor(n_lists + 2) as pool:
            lists = [pool.submit(lambda: {r[0]: r[2] for r in list_rows(self.s, "@s")})
                     for _ in range(n_lists)]
            etag, listed = pool.submit(head), pool.submit(json_list)
            return [f.result() for f in lists], etag.result(), listed.result()

    def put_big(self, mib):
        """curl -T of a new `mib` MiB file to @s/big.bin; returns its quoted MD5."""
        self.create("s")
        src = os.path.join(self.work.name, "big.bin")
        want = '"%s"' % big_file(src, mib)
        url = "http://127.0.0.1:%d/v1/stages/s/files/big.bin" % self.s.http_port
        rc, _, err = run(["curl", "-sS", "--fail-with-body", "-T", src, url], timeout=300)
        self.assertEqual(rc, 0, err)
        return want

    def test_readers_right_after_an_upload_get_its_md5(self):
        want = self.put_big(256)
        lists, etag, listed = self.readers()
        for rows in lists:
            self.assertEqual(rows["big.bin"], want)
        self.assertEqual(etag, want)
        self.assertEqual(listed["big.bin"], want)
        path = self.stage_file("big.bin")
        self.assertEqual(md5_attr(path), attr_for(path, want.strip('"')))

    def test_a_pending_mark_is_hashed_by_the_first_reader(self):
        # as after a crash between an upload's answer and its hash
        self.create("s")
        status, _, _ = self.h.request("PUT", "/v1/stages/s/files/other.bin", b"o" * 10)
        self.assertEqual(status, 201)
        path = self.stage_file("big.bin")
        want = '"%s"' % big_file(path, 64)
        os.setxattr(path, "user.stageproxy.md5", attr_for(path, "pending").encode())
        changed = self.stage_file("changed.bin")
        with open(changed, "wb") as f:
            f.write(b"c" * 100)
        os.setxattr(changed, "user.stageproxy.md5", attr_for(changed, "pending", 99).encode())
        with open(self.stage_file("copied.bin"), "wb") as f:
            f.write(b"operator")
        lists, etag, listed = self.readers(n_lists=4)
        for rows in lists + [listed]:
            self.assertEqual(rows["big.bin"], want)
            self.assertIn(rows["changed.bin"], ("NULL", None))  # changed behind our back
            self.assertIn(rows["copied.bin"], ("NULL", None))
            self.assertEqual(rows["other.bin"], '"%s"' % hashlib.md5(b"o" * 10).hexdigest())
        self.assertEqual(etag, want)
        self.assertEqual(md5_attr(path), attr_for(path, want.strip('"')))

    def test_a_stop_right_after_an_upload_keeps_the_mark_for_the_next_start(self):
        want = self.put_big(1024)
        self.assertEqual(self.s.stop(), 0)  # does not wait for the hash
        path = self.stage_file("big.bin")
        self.assertEqual(md5_attr(path), attr_for(path, "pending"))
        self.s.start()
        self.assertEqual({r[0]: r[2] for r in list_rows(self.s, "@s")}, {"big.bin": want})
        self.assertEqual(md5_attr(path), attr_for(path, want.strip('"')))


class DiskFull(unittest.TestCase):
    def test_full_disk_answers_and_leaves_nothing(self):
        with small_tmpfs(self, "6m") as mnt:
            s = Server(data_dir=os.path.join(mnt, "data"))
            try:
                h = Http(s)
                self.assertEqual(sql(s, "CREATE STAGE s;")[0], 0)
                status, _, _ = h.request("PUT", "/v1/stages/s/files/small.bin", b"x" * 1000)
                self.assertEqual(status, 201)
                for how in ("raw", "multipart"):
                    big = os.urandom(8 * 1024 * 1024)
                    if how == "raw":
                        status, _, data = h.request("PUT", "/v1/stages/s/files/big.bin", big)
                    else:
                        status, _, data = h.upload("s", [("upload", "big.bin", big)])
                    self.assertIn(status, (500, 507))
                    self.assertIn("No space left on device", json.loads(data)["error"]["message"])
                    self.assertEqual([r[0] for r in list_rows(s, "@s")], ["small.bin"])
                    self.assertEqual(temp_files(s), [])
                # still serving, and room again once the failed upload is gone
                status, _, _ = h.request("PUT", "/v1/stages/s/files/after.bin", b"y" * 1000)
                self.assertEqual(status, 201)
                self.assertEqual(s.stop(), 0)
            finally:
                s.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
