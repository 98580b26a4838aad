"""Stage SQL end to end (Databend checklist items 1-35 that need no upload,
plus stageproxy's own decisions), with the stock mariadb CLI and PyMySQL."""
import json
import os
import re
import signal
import subprocess
import time
import unittest

import pymysql
from pymysql.constants import FIELD_TYPE as T, FLAG

from harness import BINARY, Server, run, small_tmpfs, sql
from mariadb_peer import PASSWORD, USER, MariaDB

USERS = "[users]\nu1 = p1\nu2 = p2\n"




def put_file(server, stage, key, data, kind="internal"):
    """What an operator does: copy a file into the stage's directory."""
    base = os.path.join(server.data_dir, "stages", kind, stage)
    path = os.path.join(base, key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def stages_on_disk(data_dir):
    """The stage names the catalog files hold: the snapshot, then the
    journal's records replayed over it, as the server does at start-up."""
    stages = {}
    path = os.path.join(data_dir, "catalog.json")
    if os.path.exists(path):
        with open(path) as f:
            stages = {st["name"]: st for st in json.load(f)["stages"]}
    path = os.path.join(data_dir, "catalog.journal")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                rec = json.loads(line)
                if "put" in rec:
                    stages[rec["put"]["name"]] = rec["put"]
                else:
                    stages.pop(rec["drop"], None)
    return stages


def db_error(err):
    m = re.search(r"ERROR 1105 \(HY000\)[^:]*: (\w+)\. Code: (\d+), Text = (.*)", err)
    return (m.group(1), int(m.group(2)), m.group(3)) if m else None


class Checklist(unittest.TestCase):
    def setUp(self):
        self.s = Server(config=USERS)

    def tearDown(self):
        code = self.s.stop()
        self.s.close()
        self.assertEqual(code, 0)

    def q(self, script, **kw):
        rc, out, err = sql(self.s, script, **kw)
        return out, err

    def err_code(self, statement):
        out, err = self.q(statement + ";")
        e = db_error(err)
        self.assertIsNotNone(e, "no Databend error for %r: %r %r" % (statement, out, err))
        return e[1]

    def test_create_show_replace_drop(self):  # items 1-9, 14-16, 18-21
        out, err = self.q("CREATE STAGE s1; SHOW STAGES;")
        self.assertEqual(err, "")
        lines = out.splitlines()
        self.assertEqual(lines[0], "name\tstage_type\tnumber_of_files\tcreator\tcreated_on\tcomment")
        self.assertRegex(lines[1], r"^s1\tInternal\t0\t'root'@'%'\t\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}\t$")
        out, err = self.q("CREATE STAGE s1;")
        self.assertEqual(db_error(err), ("StageAlreadyExists", 2502, "Stage 's1' already exists."))
        out, err = self.q("CREATE STAGE IF NOT EXISTS s1 COMMENT='changed'; SHOW STAGES;")
        self.assertEqual(err, "")
        self.assertTrue(out.splitlines()[1].endswith("\t"))  # unchanged
        self.assertEqual(self.err_code("CREATE OR REPLACE STAGE IF NOT EXISTS s1"), 1005)
        self.assertEqual(self.err_code("CREATE STAGE ~"), 2506)
        self.assertEqual(self.err_code("DROP STAGE ~"), 2506)
        self.assertEqual(self.err_code('CREATE STAGE "my stage"'), 1005)
        self.assertEqual(self.err_code("CREATE STAGE _databend_load"), 2004)
        self.assertEqual(self.err_code("CREATE STAGE _DATABEND_LOAD"), 2004)
        self.assertEqual(self.err_code("CREATE STAGE c2 COPY_OPTIONS=(PURGE=true)"), 1005)
        out, err = self.q("CREATE STAGE c1 COMMENT='x'; SHOW STAGES LIKE 'C%'; DESC STAGE c1;")
        self.assertEqual(out.splitlines()[1].split("\t")[-1], "x")  # COMMENT is persisted
        desc = out.splitlines()
        self.assertEqual(desc[2], "name\tstage_type\tstage_params\tcopy_options\tfile_format_options\t"
                                  "number_of_files\tcreator\tcreated_on\tcomment\towner")
        row = desc[3].split("\t")
        self.assertEqual((row[0], row[1], row[5], row[6], row[8], row[9]),
                         ("c1", "Internal", "0", "'root'@'%'", "x", "NULL"))
        out, err = self.q("SHOW STAGES LIMIT 1; DESC STAGE nope;")
        self.assertEqual(out.splitlines(), ["name\tstage_type\tnumber_of_files\tcreator\tcreated_on\tcomment",
                                            out.splitlines()[1]])
        self.assertTrue(out.splitlines()[1].startswith("c1\t"))  # sorted by name
        self.assertEqual(self.err_code("DESC STAGE ~"), 1005)
        out, err = self.q("DROP STAGE nope;")
        self.assertEqual(db_error(err), ("UnknownStage", 2501, "Stage 'nope' does not exist."))
        out, err = self.q("DROP STAGE IF EXISTS nope;")
        self.assertEqual(err, "")

    def test_replace_and_drop_delete_internal_files(self):  # items 5, 21
        self.q("CREATE STAGE s1;")
        put_file(self.s, "s1", "a.csv", b"1,2\n")
        out, _ = self.q("LIST @s1;")
        self.assertIn("a.csv", out)
        out, err = self.q("CREATE OR REPLACE STAGE s1; LIST @s1;")
        self.assertEqual((out, err), ("", ""))
        put_file(self.s, "s1", "dir/b.csv", b"x")
        self.assertEqual(self.q("DROP STAGE s1;"), ("", ""))
        # nothing of it is left, not even its directory
        self.assertEqual(os.listdir(os.path.join(self.s.data_dir, "stages", "internal")), [])
        out, err = self.q("CREATE STAGE s1; LIST @s1;")
        self.assertEqual((out, err), ("", ""))
        put_file(self.s, "s1", "d/e/f.csv", b"x")
        self.assertEqual(self.q("REMOVE @s1/d/e/f.csv; LIST @s1;"), ("", ""))
        self.assertEqual(os.listdir(os.path.join(self.s.data_dir, "stages", "internal")), [])

    def test_external_stages(self):  # items 11-13, 17, 22
        out, err = self.q("CREATE STAGE e1 URL='s3://load/files/' CONNECTION=(ACCESS_KEY_ID='1a2b3c' "
                          "SECRET_ACCESS_KEY='4x5y6z'); CREATE STAGE e2 URL='s3://load/files/' "
                          "CREDENTIALS=(AWS_KEY_ID='1a2b3c' AWS_SECRET_KEY='4x5y6z'); SHOW STAGES; "
                          "DESC STAGE e1;")
        self.assertEqual(err, "")
        lines = out.splitlines()
        self.assertTrue(lines[1].startswith("e1\tExternal\tNULL\t"))
        self.assertTrue(lines[2].startswith("e2\tExternal\tNULL\t"))
        self.assertIn('access_key_id: "******b3c"', lines[4])
        self.assertIn('secret_access_key: "******y6z"', lines[4])
        self.assertNotIn("1a2b3c", out)
        self.assertNotIn("4x5y6z", out)
        out, err = self.q("CREATE STAGE e3 URL='s3://b/' CONNECTION=(FOO='1');")
        e = db_error(err)
        self.assertEqual(e[1], 1006)
        self.assertIn("connection params invalid", e[2])
        self.assertEqual(self.err_code("CREATE STAGE e4 URL='azblob://c/' CONNECTION=(ACCOUNT_NAME='a')"), 2002)
        self.q("CREATE STAGE e5 URL='gcs://bucket/p/' CONNECTION=(CREDENTIAL='c2VjcmV0c2VjcmV0')")
        self.assertEqual(self.err_code("CREATE STAGE e6 URL='ftp://x/'"), 1006)
        # a malformed endpoint or bucket is refused at CREATE, not at first use
        out, err = self.q("CREATE STAGE e7 URL='s3://b/' CONNECTION=(ENDPOINT_URL='ftp://h:1');")
        self.assertEqual(db_error(err)[:2], ("InvalidConfig", 2002))
        self.assertIn("endpoint_url must be http:// or https://, got 'ftp://h:1'", err)
        self.assertEqual(self.err_code("CREATE STAGE e8 URL='s3://Bad!Bucket/'"), 2002)
        self.assertEqual(self.err_code("CREATE STAGE e9 URL='s3://b/' "
                                       "CONNECTION=(ENDPOINT_URL='http://u@h/')"), 2002)
        out, err = self.q("SHOW STAGES LIKE 'e_';")  # none of those was made
        self.assertEqual([l.split("\t")[0] for l in out.splitlines()[1:]], ["e1", "e2", "e5"])
        self.assertEqual(self.err_code("LIST @e5"), 3902)  # only s3:// has a driver so far
        out, err = self.q("DROP STAGE e1; SHOW STAGES LIKE 'e1';")
        self.assertEqual((out, err), ("", ""))
        self.assertNotIn("1a2b3c", self.s.log())  # never logged either
        for name in ("catalog.json", "catalog.journal"):  # both hold secrets
            path = os.path.join(self.s.data_dir, name)
            if os.path.exists(path):
                self.assertEqual(os.stat(path).st_mode & 0o777, 0o600, name)
        self.assertEqual(sorted(stages_on_disk(self.s.data_dir)), ["e2", "e5"])

    def test_list_paths_and_patterns(self):  # items 23-33
        self.q("CREATE STAGE s1; CREATE STAGE s_empty;")
        put_file(self.s, "s1", "books.parquet", os.urandom(998))
        put_file(self.s, "s1", "2023/meta.log", b"m")
        put_file(self.s, "s1", "2023/query.log", b"qq")
        out, err = self.q("LIST @s1;")
        lines = out.splitlines()
        self.assertEqual(lines[0], "name\tsize\tmd5\tlast_modified\tcreator")
        self.assertRegex(lines[3], r"^books\.parquet\t998\tNULL\t\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \+0000\tNULL$")
        self.assertEqual([l.split("\t")[0] for l in lines[1:]], ["2023/meta.log", "2023/query.log", "books.parquet"])
        names = lambda o: [l.split("\t")[0] for l in o.splitlines()[1:]]
        self.assertEqual(names(self.q("LIST @s1/2023/;")[0]), ["2023/meta.log", "2023/query.log"])
        self.assertEqual(names(self.q("LIST @s1 PATTERN = '.*[.]log';")[0]), ["2023/meta.log", "2023/query.log"])
        self.assertEqual(self.q("LIST @s1 PATTERN = '.log';")[0], "")
        self.assertEqual(names(self.q("LIST @s1/20;")[0]), ["2023/meta.log", "2023/query.log"])
        self.assertEqual(names(self.q("LIST @s1/2023/ PATTERN = 'q.*';")[0]), ["2023/query.log"])
        self.assertEqual(names(self.q("LIST @s1/books.parquet PATTERN = 'nomatch';")[0]), ["books.parquet"])
        out, err = self.q("LIST @s1 PATTERN = '(';")
        self.assertEqual(db_error(err)[1], 1005)
        self.assertIn("Pattern format invalid", err)
        out, err = self.q("LIST @nope;")
        self.assertEqual(db_error(err), ("UnknownStage", 2501, "Stage 'nope' does not exist."))
        out, err = self.q("LIST @s_empty;")
        self.assertEqual((out, err), ("", ""))
        out, err = self.q("SELECT name FROM LIST_STAGE(location => '@s1', pattern => '.*[.]parquet');")
        self.assertEqual(out, "name\nbooks.parquet\n")
        self.assertIn("location must start with @", self.q("SELECT * FROM LIST_STAGE(location => 's1');")[1])
        self.assertEqual(self.err_code("SELECT * FROM LIST_STAGE(foo => '@s1')"), 1006)
        out, _ = self.q("SELECT name, size FROM LIST_STAGE(location => '@s1') WHERE size < 900 "
                        "ORDER BY size DESC LIMIT 1;")
        self.assertEqual(out, "name\tsize\n2023/query.log\t2\n")
        out, err = self.q("REMOVE @s1 PATTERN = '2023/.*'; LIST @s1;")
        self.assertEqual(names(out), ["books.parquet"])
        out, err = self.q("REMOVE @s1/nonexistent.csv; REMOVE @s1; LIST @s1;")
        self.assertEqual((out, err), ("", ""))

    def test_catastrophic_pattern_cannot_hang(self):
        self.q("CREATE STAGE s1;")
        put_file(self.s, "s1", "a" * 40 + "!", b"")
        t0 = time.time()
        out, err = self.q("LIST @s1 PATTERN = '(a+)+$';")
        self.assertLess(time.time() - t0, 10)
        out, _ = self.q("SELECT 1;")  # still serving
        self.assertEqual(out, "1\n1\n")

    def test_user_stage_isolation(self):  # items 34, 35
        put_file(self.s, "u1", "mine.csv", b"1", kind="user")
        out, err = self.q("LIST @~;", user="u1", password="p1")
        self.assertIn("mine.csv", out)
        out, err = self.q("LIST @~;", user="u2", password="p2")
        self.assertEqual((out, err), ("", ""))
        out, err = self.q("SHOW STAGES;", user="u1", password="p1")
        self.assertEqual(out, "")
        out, err = self.q("REMOVE @~; LIST @~;", user="u1", password="p1")
        self.assertEqual((out, err), ("", ""))

    def test_owners_and_root_only(self):
        """Without GRANT, a stage belongs to its creator (and root sees all)."""
        out, err = self.q("CREATE STAGE mine COMMENT = 'u1s';", user="u1", password="p1")
        self.assertEqual(err, "")
        self.q("CREATE STAGE roots;")
        put_file(self.s, "mine", "a.csv", b"1")
        out, err = self.q("LIST @mine; SHOW STAGES;", user="u1", password="p1")
        self.assertIn("a.csv", out)
        self.assertIn("mine\tInternal", out)
        self.assertNotIn("roots", out)
        out, err = self.q("SHOW STAGES;")
        self.assertIn("mine\tInternal", out)
        self.assertIn("roots\tInternal", out)
        for statement, right in (("LIST @mine", "Read"), ("REMOVE @mine", "Write"),
                                 ("DROP STAGE mine", "Write"),
                                 ("CREATE OR REPLACE STAGE mine", "Write"),
                                 ("SELECT name FROM LIST_STAGE(location => '@mine')", "Read")):
            out, err = self.q(statement + ";", user="u2", password="p2")
            e = db_error(err)
            self.assertEqual(e[:2], ("PermissionDenied", 1063), (statement, err))
            self.assertIn("privilege [%s] is required on STAGE mine for user 'u2'@'%%'" % right,
                          e[2])
        out, err = self.q("DESC STAGE mine; SHOW STAGES;", user="u2", password="p2")
        self.assertEqual((out, err), ("", ""))
        # nothing was touched, and root may do anything
        out, err = self.q("LIST @mine; REMOVE @mine; DROP STAGE mine;")
        self.assertIn("a.csv", out)
        self.assertEqual(err, "")


class ColumnTypes(unittest.TestCase):
    def test_list_and_show_stages_wire_types(self):  # item 24
        with Server() as s:
            sql(s, "CREATE STAGE s1; CREATE STAGE e1 URL='s3://b/p/';")
            put_file(s, "s1", "a.csv", b"abc")
            conn = pymysql.connect(host="127.0.0.1", port=s.mysql_port, user="root")
            cur = conn.cursor()
            cur.execute("LIST @s1")
            self.assertEqual([(d[0], d[1], d[6]) for d in cur.description],
                             [("name", T.VAR_STRING, False), ("size", T.LONGLONG, False),
                              ("md5", T.VAR_STRING, True), ("last_modified", T.VAR_STRING, False),
                              ("creator", T.VAR_STRING, True)])
            self.assertEqual(cur.fetchall()[0][:3], ("a.csv", 3, None))
            cur.execute("SHOW STAGES")
            self.assertEqual([(d[0], d[1]) for d in cur.description],
                             [("name", T.VAR_STRING), ("stage_type", T.VAR_STRING),
                              ("number_of_files", T.LONGLONG), ("creator", T.VAR_STRING),
                              ("created_on", T.DATETIME), ("comment", T.VAR_STRING)])
            rows = cur.fetchall()
            self.assertEqual([(r[0], r[1], r[2]) for r in rows], [("e1", "External", None), ("s1", "Internal", 0)])
            # a stage statement inside a multi-statement query, then the rest
            conn2 = pymysql.connect(host="127.0.0.1", port=s.mysql_port, user="root",
                                    client_flag=pymysql.constants.CLIENT.MULTI_STATEMENTS)
            c2 = conn2.cursor()
            c2.execute("LIST @s1; SELECT 42; CREATE STAGE s2; SHOW STAGES LIKE 's2'")
            self.assertEqual(c2.fetchall()[0][0], "a.csv")
            c2.nextset()
            self.assertEqual(c2.fetchall(), ((42,),))
            c2.nextset()
            c2.nextset()
            self.assertEqual(c2.fetchall()[0][0], "s2")
            conn.close()
            conn2.close()


class Durability(unittest.TestCase):
    def test_stages_comments_and_files_survive_restarts(self):
        s = Server()
        try:
            sql(s, "CREATE STAGE keep COMMENT='across restarts'; CREATE STAGE ext URL='s3://b/x/' "
                   "CONNECTION=(ACCESS_KEY_ID='akey123' SECRET_ACCESS_KEY='skey456');")
            put_file(s, "keep", "d/f.csv", b"data")
            self.assertEqual(s.stop(), 0)
            s.start()
            rc, out, err = sql(s, "SHOW STAGES; LIST @keep; DESC STAGE ext;")
            self.assertIn("keep\tInternal\t0\t'root'@'%'", out)
            self.assertIn("across restarts", out)
            self.assertIn("d/f.csv\t4\t", out)
            self.assertIn('"******456"', out)
        finally:
            s.close()

    def test_corrupt_catalog_stops_start_up(self):
        s = Server()
        try:
            sql(s, "CREATE STAGE a;")
            self.assertEqual(s.stop(), 0)
            with open(os.path.join(s.data_dir, "catalog.json"), "w") as f:
                f.write('{"version": 1, "stages": [{"name": ')
            with self.assertRaises(RuntimeError) as e:
                s.start()
            self.assertIn("refusing to start with an unreadable catalog", str(e.exception))
        finally:
            s.close()

    def test_kill_9_during_catalog_writes(self):
        s = Server()
        try:
            seen = set()
            for round_ in range(8):
                script = "".join("CREATE STAGE r%d_%d;" % (round_, i) for i in range(200))
                p = subprocess.Popen(["mariadb", "-h127.0.0.1", "-P%d" % s.mysql_port, "-uroot",
                                      "--force"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
                p.stdin.write(script.encode())
                p.stdin.close()
                time.sleep(0.05 + 0.03 * round_)
                s.proc.send_signal(signal.SIGKILL)
                s.proc.wait()
                p.wait()
                s.start()  # fails the test if the catalog were broken
                rc, out, err = sql(s, "SHOW STAGES;")
                names = {l.split("\t")[0] for l in out.splitlines()[1:]}
                self.assertTrue(seen <= names, "stages committed before were lost")
                for n in names:  # old or new, never a half: every stage of a round is a prefix
                    self.assertRegex(n, r"^r\d+_\d+$")
                seen = names
            self.assertGreater(len(seen), 0, "no CREATE STAGE got through before the kills")
            self.assertEqual(os.listdir(os.path.join(s.data_dir)).count("catalog.json.tmp"), 0)
        finally:
            s.close()


class ListStageSelect(unittest.TestCase):
    """SELECT ... FROM LIST_STAGE(...): rows are filtered and sent as the
    listing pages come unless the statement needs them all (ORDER BY...)."""

    @classmethod
    def setUpClass(cls):
        cls.s = Server()
        sql(cls.s, "CREATE STAGE ls;")
        cls.files = {}
        for i in range(40):
            key = "d%d/f%02d.%s" % (i % 3, i, "csv" if i % 2 else "json")
            put_file(cls.s, "ls", key, b"x" * (i * 7 % 50))
            cls.files[key] = i * 7 % 50

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def fetch(self, statement):
        conn = pymysql.connect(host="127.0.0.1", port=self.s.mysql_port, user="root")
        try:
            with conn.cursor() as cur:
                cur.execute(statement)
                desc = [(d[0], d[1]) for d in cur.description]
                rows = cur.fetchall()
                cur.execute("SELECT 1")  # the connection goes on after an early end
                self.assertEqual(cur.fetchall(), ((1,),))
            return desc, list(rows)
        finally:
            conn.close()

    def test_streamed_rows_match_the_collected_ones(self):
        # LIST is sorted by name, so ORDER BY name (collected first) must give
        # the same rows and columns as the same statement streamed.
        for tail in ("", " WHERE size > 20", " WHERE name LIKE '%.csv' AND size < 30",
                     " LIMIT 5", " WHERE size >= 10 LIMIT 4 OFFSET 3", " LIMIT 0",
                     " WHERE size > 1000", " LIMIT 100 OFFSET 38"):
            for cols in ("*", "name, size", "UPPER(name) AS n, size * 2 AS twice, md5 IS NULL"):
                base = "SELECT %s FROM LIST_STAGE(location => '@ls')" % cols
                where, _, limit = tail.partition(" LIMIT")
                streamed = self.fetch(base + tail)
                collected = self.fetch(base + where + " ORDER BY name" +
                                       (" LIMIT" + limit if limit else ""))
                self.assertEqual(streamed, collected, base + tail)
        desc, rows = self.fetch("SELECT name, size FROM LIST_STAGE(location => '@ls') "
                                "WHERE size >= 10 LIMIT 4 OFFSET 3")
        expected = [(k, v) for k, v in sorted(self.files.items()) if v >= 10][3:7]
        self.assertEqual(rows, expected)

    def test_order_by_with_limit_keeps_only_the_best_rows(self):
        # Sorted with a LIMIT, only OFFSET + LIMIT rows are kept as the
        # listing goes; the rows must be those of the whole sort, ties in
        # listing order.
        for order in ("size DESC", "size", "size DESC, name DESC", "md5, size", "2 DESC",
                      "UPPER(name) DESC", "size % 7, name", "twice"):
            for where in ("", " WHERE size > 10"):
                base = ("SELECT name, size * 2 AS twice FROM LIST_STAGE(location => '@ls')%s "
                        "ORDER BY %s" % (where, order))
                desc, whole = self.fetch(base)  # no LIMIT: collected, then sorted
                for limit, offset in ((1, 0), (5, 0), (7, 3), (0, 0), (100, 35), (3, 100)):
                    got = self.fetch(base + " LIMIT %d OFFSET %d" % (limit, offset))
                    self.assertEqual(got, (desc, whole[offset:offset + limit]),
                                     base + " LIMIT %d OFFSET %d" % (limit, offset))

    def test_aggregates_folded_match_the_collected_ones(self):
        # Aggregates fold row by row as the listing pages come; with DISTINCT
        # the same statement is collected first. Both must agree.
        for cols in ("count(*)", "count(*), sum(size), min(size), max(size)",
                     "min(name), max(name), max(upper(name)), count(md5)",
                     "name, count(*) + 1, sum(size * 2) / 3", "max(last_modified) IS NOT NULL",
                     "min(name) AS first_name"):
            for tail in ("", " WHERE size > 20", " WHERE size > 1000", " LIMIT 0",
                         " LIMIT 1 OFFSET 1", " WHERE name LIKE '%.csv' ORDER BY 1"):
                base = "SELECT %s FROM LIST_STAGE(location => '@ls')" % cols
                folded = self.fetch(base + tail)
                collected = self.fetch(base.replace("SELECT", "SELECT DISTINCT", 1) + tail)
                self.assertEqual(folded, collected, base + tail)
        desc, rows = self.fetch("SELECT count(*), sum(size), min(name), max(name) "
                                "FROM LIST_STAGE(location => '@ls') WHERE size > 20")
        big = sorted(k for k, v in self.files.items() if v > 20)
        self.assertEqual(rows, [(len(big), sum(self.files[k] for k in big), big[0], big[-1])])

    def test_path_and_pattern_with_where(self):
        desc, rows = self.fetch("SELECT name FROM LIST_STAGE(location => '@ls/d1/', "
                                "pattern => '.*[.]csv') WHERE size > 0 LIMIT 3")
        expected = [(k,) for k, v in sorted(self.files.items())
                    if k.startswith("d1/") and k.endswith(".csv") and v > 0][:3]
        self.assertEqual(rows, expected)

    def test_errors_before_any_row(self):
        rc, out, err = sql(self.s, "SELECT nope FROM LIST_STAGE(location => '@ls');")
        self.assertIn("ERROR 1054 (42S22)", err)
        self.assertIn("Unknown column 'nope' in 'field list'", err)
        rc, out, err = sql(self.s, "SELECT name FROM LIST_STAGE(location => '@missing') "
                                   "WHERE size > 1;")
        self.assertEqual(db_error(err), ("UnknownStage", 2501, "Stage 'missing' does not exist."))

    def test_memory_stays_flat_over_many_files(self):
        s = Server(args=["--max-select-memory", "1"])  # MiB: only held rows count
        try:
            sql(s, "CREATE STAGE many;")
            base = os.path.join(s.data_dir, "stages", "internal", "many")
            for d in range(100):
                os.makedirs(os.path.join(base, "dir%03d" % d))
                for f in range(400):
                    with open(os.path.join(base, "dir%03d" % d, "file%03d.csv" % f), "w") as fh:
                        fh.write("x" * (f % 5))
            rc, out, err = sql(s, "LIST @many;")
            self.assertEqual(len(out.splitlines()), 40001)
            after_list = s.peak_rss_kib()
            rc, out, err = sql(s, "SELECT name, size FROM LIST_STAGE(location => '@many') "
                                  "WHERE size > 0;")
            self.assertEqual((rc, err), (0, ""))
            self.assertEqual(len(out.splitlines()), 32001)
            rc, out, err = sql(s, "SELECT name, size FROM LIST_STAGE(location => '@many') "
                                  "ORDER BY size DESC, name DESC LIMIT 3;")
            self.assertEqual((rc, err), (0, ""))
            self.assertEqual(out.splitlines()[1:], ["dir099/file399.csv\t4", "dir099/file394.csv\t4",
                                                    "dir099/file389.csv\t4"])
            # Collected, these 40,000 rows took about 12 MiB more than LIST.
            if not os.environ.get("STAGEPROXY_SANITIZED"):  # ASan's quarantine keeps freed rows
                self.assertLess(s.peak_rss_kib() - after_list, 2048)
            # Statements that must hold rows, groups or distinct values stop
            # at max_select_memory with an error the CLI shows without rows,
            # and the session goes on.
            for held in ("SELECT name FROM LIST_STAGE(location => '@many') ORDER BY size;",
                         "SELECT DISTINCT name FROM LIST_STAGE(location => '@many') "
                         "ORDER BY name DESC;",
                         "SELECT name FROM LIST_STAGE(location => '@many') ORDER BY size "
                         "LIMIT 1000000;",
                         "SELECT count(DISTINCT name) FROM LIST_STAGE(location => '@many');",
                         "SELECT DISTINCT name FROM LIST_STAGE(location => '@many');",
                         "SELECT name, count(*) FROM LIST_STAGE(location => '@many') "
                         "GROUP BY name;"):
                rc, out, err = sql(s, held + " SELECT 'after';")
                self.assertIn("ERROR 1038 (HY001)", err, held)
                self.assertIn("Out of sort memory: the rows or groups this SELECT on LIST_STAGE "
                              "holds need more than 1 MiB (max_select_memory)", err)
                self.assertEqual(out, "after\nafter\n")
            # A DISTINCT without ORDER BY sends rows as it finds them, so
            # its error ends a result already begun; the session goes on.
            conn = pymysql.connect(host="127.0.0.1", port=s.mysql_port, user="root",
                                   cursorclass=pymysql.cursors.SSCursor)
            with conn.cursor() as cur:
                cur.execute("SELECT DISTINCT name FROM LIST_STAGE(location => '@many')")
                got = []
                with self.assertRaises(pymysql.err.OperationalError) as ctx:
                    for row in cur:
                        got.append(row[0])
                self.assertEqual(ctx.exception.args[0], 1038)
                self.assertGreater(len(got), 1000)
                self.assertEqual(got, sorted(set(got)))
                cur.execute("SELECT DISTINCT size FROM LIST_STAGE(location => '@many') "
                            "ORDER BY size DESC")
                self.assertEqual(list(cur.fetchall()), [(4,), (3,), (2,), (1,), (0,)])
            conn.close()
            # Only distinct rows and groups are held: 5 sizes, 100 directories fit.
            rc, out, err = sql(s, "SELECT DISTINCT substring_index(name, '/', 1) AS dir FROM "
                                  "LIST_STAGE(location => '@many') ORDER BY dir DESC LIMIT 2 "
                                  "OFFSET 97;")
            self.assertEqual((rc, out, err), (0, "dir\ndir002\ndir001\n", ""))
            rc, out, err = sql(s, "SELECT count(DISTINCT substring_index(name, '/', 1)), "
                                  "count(DISTINCT size) FROM LIST_STAGE(location => '@many');")
            self.assertEqual((rc, out, err), (0, "count(DISTINCT substring_index(name, '/', 1))\t"
                                                 "count(DISTINCT size)\n100\t5\n", ""))
            rc, out, err = sql(s, "SELECT substring_index(name, '/', 1) AS dir, count(*), "
                                  "sum(size) FROM LIST_STAGE(location => '@many') GROUP BY dir "
                                  "ORDER BY dir DESC LIMIT 2;")
            self.assertEqual((rc, out, err), (0, "dir\tcount(*)\tsum(size)\ndir099\t400\t800\n"
                                                 "dir098\t400\t800\n", ""))
            rc, out, err = sql(s, "SELECT count(*), sum(size) FROM "
                                  "LIST_STAGE(location => '@many/dir007/');")
            self.assertEqual((rc, out, err), (0, "count(*)\tsum(size)\n400\t800\n", ""))
            # Aggregates without GROUP BY fold as the listing goes: no cap.
            rc, out, err = sql(s, "SELECT count(*), sum(size), min(name), max(name), max(size), "
                                  "count(md5) FROM LIST_STAGE(location => '@many') ORDER BY 1;")
            self.assertEqual((rc, err), (0, ""))
            self.assertEqual(out.splitlines()[1], "40000\t80000\tdir000/file000.csv\t"
                                                  "dir099/file399.csv\t4\t0")
        finally:
            s.close()


class ListStageGroupBy(unittest.TestCase):
    """GROUP BY and HAVING over LIST_STAGE answer what MariaDB answers for
    the same rows in a table: groups, their order, aggregates, types and
    errors."""

    @classmethod
    def setUpClass(cls):
        cls.s = Server()
        cls.db = MariaDB()
        sql(cls.s, "CREATE STAGE gb;")
        files = {}
        for i in range(60):
            key = "d%d/f%02d.%s" % (i % 4, i, ("csv", "json", "CSV", "parquet")[i % 4 if i < 50 else 0])
            files[key] = i * 13 % 70
        files["d1/Read.me"] = 5  # names equal but for case are one group, as in MariaDB
        files["d1/read.ME"] = 9
        for key, size in files.items():
            put_file(cls.s, "gb", key, b"x" * size)
        conn = cls.mariadb()
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE files (name VARCHAR(200), size BIGINT UNSIGNED, "
                        "md5 VARCHAR(40)) DEFAULT CHARSET utf8mb4 COLLATE utf8mb4_general_ci")
            cur.executemany("INSERT INTO files VALUES (%s, %s, NULL)", sorted(files.items()))
            # the same files with the times LIST gives them, for time functions
            ours = pymysql.connect(host="127.0.0.1", port=cls.s.mysql_port, user="root")
            with ours.cursor() as listing:
                listing.execute("SELECT name, size, last_modified FROM LIST_STAGE(location => '@gb')")
                rows = listing.fetchall()
            ours.close()
            cur.execute("CREATE TABLE times (name VARCHAR(200), size BIGINT UNSIGNED, "
                        "last_modified VARCHAR(40)) DEFAULT CHARSET utf8mb4 "
                        "COLLATE utf8mb4_general_ci")
            cur.executemany("INSERT INTO times VALUES (%s, %s, %s)", rows)
        conn.commit()
        conn.close()

    @classmethod
    def tearDownClass(cls):
        cls.s.close()
        cls.db.close()

    @classmethod
    def mariadb(cls):
        return pymysql.connect(host="127.0.0.1", port=cls.db.port, user=USER, password=PASSWORD,
                               database="shop")

    def answer(self, conn, statement):
        try:
            with conn.cursor() as cur:
                cur.execute(statement)
                return [(d[0], d[1]) for d in cur.description], [
                    tuple(None if v is None else str(v) for v in row) for row in cur.fetchall()]
        except pymysql.MySQLError as e:
            return e.args[0]
        finally:
            conn.close()

    def same_as_mariadb(self, statement, table="files"):
        ours = self.answer(pymysql.connect(host="127.0.0.1", port=self.s.mysql_port, user="root"),
                           statement % "LIST_STAGE(location => '@gb')")
        theirs = self.answer(self.mariadb(), statement % table)
        self.assertEqual(ours, theirs, statement)
        return ours

    def same_without_table(self, statement):
        ours = self.answer(pymysql.connect(host="127.0.0.1", port=self.s.mysql_port, user="root"),
                           statement)
        self.assertEqual(ours, self.answer(self.mariadb(), statement), statement)

    def test_string_functions_match_mariadb(self):
        for statement in (
                "SELECT LOCATE('', 'abc'), LOCATE('', 'abc', 2), LOCATE('', 'abc', 4), "
                "LOCATE('A', 'banana', 3), LOCATE('a', 'banana', 0), LOCATE('a', 'banana', -1), "
                "LOCATE('an', 'banana', 5), LOCATE('', '')",
                "SELECT INSTR('Dir/File.CSV', '.csv'), INSTR('äbc', 'C'), POSITION('b' IN 'abc'), "
                "POSITION('x' IN 'abc') + 1",
                "SELECT REPLACE('aAaA', 'a', 'x'), REPLACE('abc', '', 'x'), REPLACE('aaa', 'aa', 'b'), "
                "REPLACE('dir/a.csv', '.csv', '')",
                "SELECT LTRIM('  a  '), RTRIM('  a  '), TRIM('  a  '), TRIM('\ta '), REVERSE('aäb'), "
                "REVERSE('')",
                "SELECT LPAD('abc', 5, 'xy'), LPAD('abc', 2, 'xy'), LPAD('abc', 5, ''), "
                "LPAD('abc', -1, 'x'), RPAD('äb', 5, 'ö'), RPAD('abc', 0, 'x'), LPAD('abc', 3, ''), "
                "LPAD('7', 3, '0')",
                "SELECT TRIM(LEADING 'x' FROM 'xxaxx'), TRIM(TRAILING 'xy' FROM 'axyxy'), "
                "TRIM(BOTH 'x' FROM 'xax'), TRIM('x' FROM 'xax'), TRIM(LEADING FROM '  a  '), "
                "TRIM(BOTH '' FROM 'a')",
                "SELECT LOCATE('a', NULL), REPLACE(NULL, 'a', 'b'), LPAD('a', NULL, 'b'), "
                "REPLACE('abc', 'b', NULL), TRIM(NULL FROM 'a'), REVERSE(NULL)",
                "SELECT REPEAT('ab', 3), REPEAT('a', 0), REPEAT('a', -1), REPEAT('', 5)"):
            self.same_without_table(statement)
        # past max_allowed_packet: NULL (MariaDB types these as LONGBLOB, from
        # the lengths it can foresee, which we do not copy)
        big = "SELECT REPEAT('a', 2000000000), LPAD('a', 2000000000, 'b')"
        self.assertEqual(self.answer(pymysql.connect(host="127.0.0.1", port=self.s.mysql_port,
                                                     user="root"), big)[1],
                         self.answer(self.mariadb(), big)[1])
        for statement in (
                "SELECT replace(name, '.csv', '') AS base, locate('/', name) AS slash, "
                "reverse(name), lpad(size, 4, '0') FROM %s ORDER BY name LIMIT 5",
                "SELECT name FROM %s WHERE instr(name, 'READ') > 0 OR trim(trailing '.json' "
                "FROM name) <> name ORDER BY 1"):
            self.same_as_mariadb(statement)
        self.assertEqual(self.answer(pymysql.connect(host="127.0.0.1", port=self.s.mysql_port,
                                                     user="root"),
                                     "SELECT TRIM(LEADING 'a', 'b')"), 1064)

    def test_groups_match_mariadb(self):
        for statement in (
                "SELECT substring_index(name, '/', 1) AS dir, count(*), sum(size), min(size), "
                "max(size), avg(size), min(name), max(name) FROM %s GROUP BY dir",
                "SELECT substring_index(name, '.', -1) AS ext, count(*) AS n FROM %s "
                "GROUP BY ext HAVING n > 3 ORDER BY n DESC, ext",
                "SELECT size %% 5, count(*) FROM %s GROUP BY 1 DESC",
                "SELECT left(name, 2) d, right(name, 4) e, count(*) FROM %s WHERE size > 10 "
                "GROUP BY d, e ORDER BY 3 DESC, 1, 2 LIMIT 4 OFFSET 1",
                "SELECT count(*), count(md5), max(md5) FROM %s GROUP BY md5",
                "SELECT size > 20 AS big, min(name), max(name), sum(size) FROM %s GROUP BY big",
                "SELECT lower(name), count(*) FROM %s GROUP BY name HAVING count(*) > 1",
                "SELECT count(*), sum(size) FROM %s WHERE size > 1000 GROUP BY name",
                "SELECT count(*), sum(size), avg(size), min(name) FROM %s WHERE size > 1000",
                "SELECT count(*) AS n, max(size) FROM %s HAVING n > 1",
                "SELECT count(*) AS n FROM %s HAVING n > 100",
                "SELECT substring(name, 1, 2) AS d FROM %s GROUP BY d "
                "ORDER BY sum(size) DESC, max(size)",
                "SELECT substring_index(name, '.', -1) AS ext, sum(size) AS total FROM %s "
                "GROUP BY ext HAVING sum(size) > 100 AND count(*) >= 2 ORDER BY total",
                "SELECT DISTINCT count(*) FROM %s GROUP BY substring_index(name, '/', 1)",
                "SELECT name, size FROM %s HAVING size > 60 ORDER BY name",
                "SELECT mid(name, 4, 1) AS k, count(*) FROM %s GROUP BY k DESC LIMIT 3",
                "SELECT count(DISTINCT substring_index(name, '/', 1)), count(DISTINCT size), "
                "sum(DISTINCT size), avg(DISTINCT size), count(DISTINCT name), count(ALL name), "
                "min(DISTINCT size), max(DISTINCT lower(name)) FROM %s",
                "SELECT substring_index(name, '.', -1) AS ext, count(DISTINCT size %% 7) AS n, "
                "sum(DISTINCT size %% 7), count(DISTINCT md5) FROM %s GROUP BY ext "
                "HAVING count(DISTINCT size %% 7) > 1 ORDER BY n DESC, ext",
                "SELECT count(DISTINCT left(name, 2), size %% 3), count(DISTINCT md5, name) FROM %s",
                "SELECT count(DISTINCT name) FROM %s WHERE size > 1000",
                "SELECT DISTINCT substring_index(name, '/', 1) FROM %s",
                "SELECT DISTINCT substring_index(name, '/', -1) AS f FROM %s WHERE name LIKE 'd1/r%%'",
                "SELECT DISTINCT size %% 4 AS m FROM %s ORDER BY m DESC LIMIT 2",
                "SELECT DISTINCT left(name, 2), size > 30 FROM %s ORDER BY 1, 2",
                "SELECT DISTINCT left(name, 2) FROM %s LIMIT 2 OFFSET 1",
                "SELECT DISTINCT md5, left(name, 1) FROM %s",
                "SELECT DISTINCT count(*) FROM %s GROUP BY size %% 3"):
            self.same_as_mariadb(statement)
        desc, rows = self.same_as_mariadb(
            "SELECT substring_index(name, '/', 1) AS dir, count(*) FROM %s GROUP BY dir")
        self.assertEqual(rows, [("d0", "15"), ("d1", "17"), ("d2", "15"), ("d3", "15")])

    def test_date_arithmetic_matches_mariadb(self):
        statements = [
            "SELECT '2024-01-31' + INTERVAL 1 MONTH, DATE_ADD('2024-02-29', INTERVAL 1 YEAR), "
            "'2024-05-31' - INTERVAL 1 QUARTER, DATE_SUB('2024-01-01', INTERVAL 13 MONTH)",
            "SELECT '2024-12-31 23:30:00' + INTERVAL 45 MINUTE, '2024-03-01' - INTERVAL 1 SECOND, "
            "DATE_ADD('2024-01-01', INTERVAL 1 MICROSECOND), '2024-03-01 10:00:00' + INTERVAL 1.5 "
            "SECOND",
            "SELECT INTERVAL 2 WEEK + '2024-03-10', ADDDATE('2024-01-01', 31), "
            "SUBDATE('2024-01-01', INTERVAL 1 HOUR), '2024-03-01' + INTERVAL 1.5 DAY",
            "SELECT '2026-12-03 18:00:00.123 +0000' + INTERVAL 1 DAY, '9999-12-31' + INTERVAL 1 DAY, "
            "'2024-02-30' + INTERVAL 1 DAY, NULL + INTERVAL 1 DAY, '2024-01-01' + INTERVAL NULL DAY",
            "SELECT DATEDIFF('2024-03-01 23:00:00', '2024-02-28'), DATEDIFF('2024-01-01', 'x'), "
            "DATE('2024-03-01 10:00:00.5'), DATE('x')",
            "SELECT CURDATE() + INTERVAL 1 DAY = DATE(NOW() + INTERVAL 1 DAY), "
            "NOW() - INTERVAL 1 DAY < NOW(), DATEDIFF(NOW() + INTERVAL 3 DAY, NOW())",
            "SELECT YEAR('2024-03-05 10:20:30.5'), MONTH('2024-03-05'), DAY('2024-03-05'), "
            "DAYOFMONTH('2024-03-05'), HOUR('2024-03-05 10:20:30'), MINUTE('2024-03-05 10:20:30'), "
            "SECOND('2024-03-05 10:20:30'), HOUR('2024-03-05'), YEAR('x'), YEAR(NULL)",
            "SELECT TIMESTAMPDIFF(MONTH, '2024-01-31', '2024-02-29'), "
            "TIMESTAMPDIFF(MONTH, '2024-01-31', '2024-03-01'), "
            "TIMESTAMPDIFF(YEAR, '2020-02-29', '2021-02-28'), "
            "TIMESTAMPDIFF(DAY, '2024-01-01 10:00', '2024-01-03 09:00'), "
            "TIMESTAMPDIFF(HOUR, '2024-01-03', '2024-01-01'), "
            "TIMESTAMPDIFF(SECOND, '2024-01-01', '2024-01-01 00:00:01.9'), "
            "TIMESTAMPDIFF(MONTH, '2024-03-01', '2024-01-31'), "
            "TIMESTAMPDIFF(QUARTER, '2024-01-01', '2024-12-31'), "
            "TIMESTAMPDIFF(WEEK, '2024-01-01', '2024-01-15'), "
            "TIMESTAMPDIFF(MICROSECOND, '2024-01-01', '2024-01-01 00:00:00.5')",
            "SELECT TIMESTAMPADD(DAY, 3, '2024-01-01'), TIMESTAMPADD(HOUR, -1, '2024-01-01'), "
            "TIMESTAMPDIFF(DAY, NULL, '2024-01-01'), "
            "TIMESTAMPDIFF(DAY, '2024-01-01 10:00:00', '2024-01-02 09:59:59.999999')",
        ]
        for statement in statements:
            self.same_without_table(statement)
        self.assertIsInstance(self.answer(self.mariadb(), "SELECT NOW() + INTERVAL 1 DAY_HOUR"),
                              tuple)  # MariaDB has them; we refuse them clearly
        self.assertEqual(self.answer(pymysql.connect(host="127.0.0.1", port=self.s.mysql_port,
                                                     user="root"),
                                     "SELECT NOW() + INTERVAL 1 DAY_HOUR"), 1235)
        # the files of a stage by age, as a user asks for them
        rc, out, err = sql(self.s, "SELECT count(*) FROM LIST_STAGE(location => '@gb') WHERE "
                                   "last_modified > UTC_TIMESTAMP() - INTERVAL 1 HOUR; "
                                   "SELECT count(*) FROM LIST_STAGE(location => '@gb') WHERE "
                                   "last_modified < UTC_TIMESTAMP() - INTERVAL 1 HOUR OR "
                                   "DATEDIFF(UTC_TIMESTAMP(), last_modified) > 1;")
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(out.split("\n")[1::2], ["62", "0"])

    def test_casts_and_unix_times_match_mariadb(self):
        for statement in (
                "SELECT UNIX_TIMESTAMP('1969-12-31 23:59:59'), UNIX_TIMESTAMP('1970-01-01 00:00:00'), "
                "UNIX_TIMESTAMP('2038-01-19 03:14:07'), UNIX_TIMESTAMP('2038-01-19 03:14:08'), "
                "UNIX_TIMESTAMP('junk'), UNIX_TIMESTAMP('2026-12-03 21:29:31.5'), "
                "UNIX_TIMESTAMP('2026-12-03'), UNIX_TIMESTAMP(20261203), UNIX_TIMESTAMP(NULL), "
                "UNIX_TIMESTAMP('20261203'), UNIX_TIMESTAMP(20261203101010), "
                "UNIX_TIMESTAMP('2026-12-03T10:00'), UNIX_TIMESTAMP() > 1796256000",
                "SELECT FROM_UNIXTIME(-1), FROM_UNIXTIME(0), FROM_UNIXTIME(2147483647), "
                "FROM_UNIXTIME(2147483648), FROM_UNIXTIME('1494410783'), "
                "FROM_UNIXTIME(1494410783.123456789), FROM_UNIXTIME(1494410783.5), FROM_UNIXTIME(NULL), "
                "FROM_UNIXTIME(1494410783, '%Y-%m-%d %H'), FROM_UNIXTIME(1494410783, NULL), "
                "UNIX_TIMESTAMP(FROM_UNIXTIME(1494410783.25))",
                "SELECT CAST(2.5 AS SIGNED), CAST(-2.5 AS SIGNED), CAST('1.9' AS SIGNED), "
                "CAST('12abc' AS SIGNED INTEGER), CAST(-1 AS UNSIGNED), CAST(3 AS CHAR), "
                "CAST(1e3 AS SIGNED), CAST(NULL AS SIGNED), CAST('2.5' AS SIGNED), "
                "CAST(3 AS UNSIGNED), CAST('7' AS UNSIGNED INT), CAST(1=1 AS SIGNED), "
                "CONVERT('7', SIGNED), CAST(' 42' AS SIGNED), CAST('x' AS SIGNED), CAST(1 AS INTEGER), "
                "CONVERT(-3, INT)",
                "SELECT CAST('2026-12-03 21:29:31.601 +0000' AS DATETIME), "
                "CAST('2026-12-03 21:29:31.601' AS DATETIME(2)), CAST('2026-12-03 21:29' AS DATE), "
                "CAST('x' AS DATE), CAST(CAST('2026-12-03 10:11:12.5' AS DATETIME(1)) AS SIGNED), "
                "CAST(CAST('2026-12-03' AS DATE) AS SIGNED), CAST(20261203 AS DATE), "
                "CAST(NOW() AS SIGNED) > 20260000000000",
                "SELECT CAST(1.23456 AS DECIMAL(5,2)), CAST(123.456 AS DECIMAL(5,1)), "
                "CAST(99999 AS DECIMAL(3,1)), CAST(-2.45 AS DECIMAL(4,1)), CAST(1.5 AS DECIMAL), "
                "CAST(-99999 AS DECIMAL(2,2)), CAST('1.005' AS DECIMAL(4,2)), CAST(0.4 AS DECIMAL), "
                "CAST(-0.4 AS DECIMAL)",
                "SELECT CAST('abc' AS CHAR(2)), CAST('äbc' AS CHAR(2)), CONVERT('x' USING utf8mb4), "
                "CAST(12 AS CHAR CHARACTER SET utf8mb4), CAST('a' AS CHAR(0))",
                "SELECT 'junk' < NOW(), 'junk' = NOW(), '2026-12-03' = FROM_UNIXTIME(1796256000), "
                "'2026-12-03 00:00:00.000 +0000' = FROM_UNIXTIME(1796256000), "
                "20261203 = FROM_UNIXTIME(1796256000), "
                "'2026-12-03' BETWEEN FROM_UNIXTIME(1796256000) AND NOW(), "
                "'2026-12-03 00:00:00.5' > CAST('2026-12-03' AS DATE)",
                "SELECT CAST('1.5' AS DOUBLE), CAST('x' AS DOUBLE), CAST(2 AS DOUBLE), "
                "CAST(1.5 AS FLOAT), CAST(NULL AS DOUBLE), CAST('1e400' AS DOUBLE), CAST(0.1 AS FLOAT), "
                "CAST(1/3 AS FLOAT), CAST(-2 AS DOUBLE) * 1.5",
                "SELECT CAST(12 AS TIME), CAST('10:11:12' AS TIME), CAST('2026-12-03 10:11:12.5' AS TIME), "
                "CAST(101112 AS TIME), CAST('x' AS TIME), CAST('10:11:12.345' AS TIME(2)), "
                "CAST('-838:59:59' AS TIME), CAST('900:00:00' AS TIME), CAST(NOW() AS TIME) = CURTIME(), "
                "CAST('-1:02' AS TIME(1)), CAST(-101112.5 AS TIME(1)), "
                "CAST(CAST('2026-12-03' AS DATE) AS TIME), CAST(NULL AS TIME)",
                "SELECT CAST(1 AS TIME(7))", "SELECT CAST(1 AS DATETIME(7))",
                "SELECT CAST(1 AS DECIMAL(2,3))", "SELECT CAST(1 AS DECIMAL(66,2))",
                "SELECT CAST(1 AS DECIMAL(40,39))", "SELECT CAST(1 AS)", "SELECT CAST(1 AS FOO)",
                "SELECT CONVERT(1)", "SELECT UNIX_TIMESTAMP(1, 2)", "SELECT FROM_UNIXTIME()"):
            self.same_without_table(statement)
        self.assertEqual(self.answer(pymysql.connect(host="127.0.0.1", port=self.s.mysql_port,
                                                     user="root"), "SELECT CAST(12 AS BINARY)"), 1235)
        # both follow the session's time zone
        for conn in (pymysql.connect(host="127.0.0.1", port=self.s.mysql_port, user="root"),
                     self.mariadb()):
            with conn.cursor() as cur:
                cur.execute("SET time_zone = '+02:00'")
                cur.execute("SELECT UNIX_TIMESTAMP('2026-12-03 10:00:00'), "
                            "CAST(FROM_UNIXTIME(0) AS CHAR), FROM_UNIXTIME(0, '%H:%i')")
                self.assertEqual(cur.fetchall(), ((1796284800, "1970-01-01 02:00:00", "02:00"),))
            conn.close()

    def test_arithmetic_has_mariadbs_scale_and_types(self):
        # DECIMAL results keep a literal's digits, add them for *, add 4 for /
        # (div_precision_increment), and round only what is shown; text and
        # exponents make DOUBLEs, printed in their shortest exact form
        for statement in (
                "SELECT 7/2, 1/3*3, 2/3, 1.0/3, 10/4, -7/2, 7 MOD -2.5, 1.5*1.5*1.5, 0.1*3, 0.1+0.2, "
                "100/7/7, 2/3*3/2, -(1/3)*3, 1.23456789012*1000, 0.5/0.0000001, -0.0001*1, 1.50",
                "SELECT 1e0/3, '1.5'+1, 1e1*2, 2.5e0, 'x'+0, 5 DIV 2, 7.5 DIV 2, sum(1.5), avg(2)",
                "SELECT size/3, size*1.5, sum(size)/1024, avg(size*1.5), sum(size*1.25), "
                "size MOD 2.50, size DIV 3, avg(size)*3, max(size/7) FROM %s GROUP BY size/3, "
                "size*1.5, size MOD 2.50, size DIV 3 ORDER BY 1 LIMIT 6"):
            if "%s" in statement:
                self.same_as_mariadb(statement)
            else:
                self.same_without_table(statement)
        for statement in (
                "SELECT UNIX_TIMESTAMP(last_modified)/300, UNIX_TIMESTAMP(last_modified) * 1.5, "
                "UNIX_TIMESTAMP(last_modified) - 1796333371, name FROM %s ORDER BY name LIMIT 3",):
            self.same_as_mariadb(statement, "times")

    def test_grafana_time_series_over_a_stage(self):
        # what Grafana's MySQL macros expand to ($__timeGroupAlias, $__timeFilter,
        # $__time, $__unixEpochGroup), over last_modified
        for statement in (
                "SELECT cast(cast(UNIX_TIMESTAMP(last_modified)/(300) as signed)*300 as signed) "
                "AS \"time\", count(*) AS uploads, sum(size) AS bytes FROM %s WHERE last_modified "
                "BETWEEN FROM_UNIXTIME(1494410783) AND FROM_UNIXTIME(2147483000) GROUP BY 1 ORDER BY 1",
                "SELECT UNIX_TIMESTAMP(last_modified) AS time_sec, size AS value, name AS metric "
                "FROM %s WHERE last_modified >= FROM_UNIXTIME(1494410783) ORDER BY 1, 3",
                "SELECT UNIX_TIMESTAMP(last_modified) DIV 60 * 60 AS \"time\", "
                "substring_index(name, '/', 1) AS metric, count(*) FROM %s GROUP BY 1, 2 ORDER BY 1, 2",
                "SELECT count(*) FROM %s WHERE last_modified BETWEEN FROM_UNIXTIME(1494410783) "
                "AND FROM_UNIXTIME(1494410983)",
                "SELECT name, CAST(last_modified AS DATETIME(3)) AS t, CAST(last_modified AS DATE) d "
                "FROM %s WHERE last_modified < NOW() + INTERVAL 1 DAY ORDER BY t DESC, name LIMIT 5",
                "SELECT min(UNIX_TIMESTAMP(last_modified)) <= max(UNIX_TIMESTAMP(last_modified)), "
                "count(DISTINCT CAST(last_modified AS DATE)) FROM %s"):
            self.assertTrue(self.same_as_mariadb(statement, "times")[1], statement)

    def test_grouped_star_columns_of_a_held_table(self):
        # Plain columns of a group are read from its first row; the rows must
        # outlive the groups until they are sent (a fuzzer-found use after free).
        conn = pymysql.connect(host="127.0.0.1", port=self.s.mysql_port, user="root")
        with conn.cursor() as cur:
            cur.execute("SELECT *, count(*) FROM information_schema.SCHEMATA GROUP BY schema_name")
            grouped = cur.fetchall()
            cur.execute("SELECT *, 1 FROM information_schema.SCHEMATA ORDER BY schema_name")
            self.assertEqual(grouped, cur.fetchall())
            self.assertGreater(len(grouped), 1)
        conn.close()

    def test_misplaced_aggregates_fail_as_in_mariadb(self):
        for statement in ("SELECT count(*) c FROM %s GROUP BY c",
                          "SELECT name FROM %s WHERE count(*) > 1",
                          "SELECT name FROM %s GROUP BY 9",
                          "SELECT sum(count(*)) FROM %s",
                          "SELECT sum(DISTINCT size, name) FROM %s",
                          "SELECT name FROM %s GROUP BY name HAVING nope > 1"):
            self.assertIsInstance(self.same_as_mariadb(statement), int, statement)


class CatalogJournal(unittest.TestCase):
    """A change is one journal record, not a rewrite of every stage."""

    def setUp(self):
        self.s = Server()

    def tearDown(self):
        self.s.close()

    def names(self):
        rc, out, err = sql(self.s, "SHOW STAGES;")
        self.assertEqual((rc, err), (0, ""))
        return [l.split("\t")[0] for l in out.splitlines()[1:]]

    def written_bytes(self):
        with open("/proc/%d/io" % self.s.proc.pid) as f:
            return int(re.search(r"wchar: (\d+)", f.read()).group(1))

    def test_many_changes_write_what_they_change(self):
        before = self.written_bytes()
        script = "".join("CREATE STAGE many_%04d COMMENT='stage number %d';" % (i, i)
                         for i in range(3000))
        script += "".join("DROP STAGE many_%04d;" % i for i in range(0, 3000, 2))
        rc, _, err = sql(self.s, script)
        self.assertEqual((rc, err), (0, ""))
        written = self.written_bytes() - before
        # Rewriting the catalog on each change wrote 1.8 GB here; a
        # record each, with a snapshot whenever the journal outgrows it, is
        # a few MB (client answers included).
        self.assertLess(written, 16 << 20, written)
        expected = ["many_%04d" % i for i in range(1, 3000, 2)]
        self.assertEqual(self.names(), expected)
        self.assertEqual(sorted(stages_on_disk(self.s.data_dir)), expected)
        self.assertEqual(self.s.stop(), 0)
        self.s.start()
        self.assertEqual(self.names(), expected)
        rc, out, _ = sql(self.s, "DESC STAGE many_2999;")
        self.assertIn("stage number 2999", out)

    def test_a_torn_last_record_is_cut_off(self):
        sql(self.s, "CREATE STAGE a; CREATE STAGE b; DROP STAGE a;")
        self.assertEqual(self.s.stop(), 0)
        journal = os.path.join(self.s.data_dir, "catalog.journal")
        size = os.path.getsize(journal)
        for tail in (b'{"put":{"name":"half', b"\0" * 300):  # cut mid-write; zeros after a crash
            with open(journal, "ab") as f:
                f.write(tail)
            self.s.start()
            self.assertIn("cut off %d bytes of a record left incomplete" % len(tail), self.s.log())
            self.assertEqual(os.path.getsize(journal), size)
            self.assertEqual(self.names(), ["b"])
            self.assertEqual(self.s.stop(), 0)
        # records appended afterwards are read back
        self.s.start()
        sql(self.s, "CREATE STAGE c;")
        self.assertEqual(self.s.stop(), 0)
        self.s.start()
        self.assertEqual(self.names(), ["b", "c"])

    def test_a_damaged_record_before_whole_ones_stops_start_up(self):
        sql(self.s, "CREATE STAGE a; CREATE STAGE b; CREATE STAGE c;")
        self.assertEqual(self.s.stop(), 0)
        journal = os.path.join(self.s.data_dir, "catalog.journal")
        with open(journal, "rb") as f:
            lines = f.read().split(b"\n")
        lines[1] = lines[1][:20]  # not a torn tail: whole records follow
        with open(journal, "wb") as f:
            f.write(b"\n".join(lines))
        with self.assertRaises(RuntimeError) as e:
            self.s.start()
        self.assertRegex(str(e.exception), r"cannot load .*catalog\.journal: the record at "
                                           r"byte \d+ is damaged")
        self.assertIn("refusing to start with an unreadable catalog", str(e.exception))

    def test_a_full_disk_refuses_the_change_and_keeps_the_rest(self):
        with small_tmpfs(self, "2m") as mnt, Server(data_dir=os.path.join(mnt, "data")) as s:
            self.assertEqual(sql(s, "CREATE STAGE first;")[0], 0)
            filler = os.path.join(mnt, "filler")
            fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                while True:
                    os.write(fd, b"\0" * 4096)
            except OSError:
                pass
            os.close(fd)
            journal_path = os.path.join(s.data_dir, "catalog.journal")
            made, refused = ["first"], None
            for i in range(200):  # the journal's last page may hold a few more records
                journal = os.path.getsize(journal_path)
                rc, out, err = sql(s, "CREATE STAGE full_%03d COMMENT='%s';" % (i, "x" * 200))
                if err:  # the CLI runs with --force: the error is what tells
                    refused = err
                    break
                made.append("full_%03d" % i)
            # what the failed append wrote was cut off again
            self.assertEqual(os.path.getsize(journal_path), journal)
            self.assertIsNotNone(refused, "the disk never filled")
            self.assertEqual(db_error(refused)[:2], ("StorageOther", 4000), refused)
            self.assertIn("cannot save the catalog: No space left on device", refused)
            rc, out, err = sql(s, "DROP STAGE first;")
            self.assertIn("cannot save the catalog: No space left on device", err)
            rc, out, err = sql(s, "SHOW STAGES;")
            self.assertEqual(sorted(l.split("\t")[0] for l in out.splitlines()[1:]),
                             sorted(made))
            os.unlink(filler)
            self.assertEqual(sql(s, "CREATE STAGE after;")[0], 0)
            made.append("after")
            self.assertNotIn("catalog.json.tmp", os.listdir(s.data_dir))
            self.assertEqual(s.stop(), 0)
            s.start()
            rc, out, err = sql(s, "SHOW STAGES;")
            self.assertEqual(sorted(l.split("\t")[0] for l in out.splitlines()[1:]),
                             sorted(made))

    def test_a_record_that_is_no_change_stops_start_up(self):
        sql(self.s, "CREATE STAGE a;")
        self.assertEqual(self.s.stop(), 0)
        with open(os.path.join(self.s.data_dir, "catalog.journal"), "a") as f:
            f.write('{"rename":"a"}\n')
        with self.assertRaises(RuntimeError) as e:
            self.s.start()
        self.assertIn("a record is not a catalog change", str(e.exception))


class Hostile(unittest.TestCase):
    def test_hostile_names_and_paths(self):
        with Server() as s:
            sql(s, "CREATE STAGE s;")
            outside = os.path.join(s.tmp.name, "outside.txt")
            with open(outside, "w") as f:
                f.write("do not touch")
            statements = [
                "LIST @s/../other", "LIST @s/..", "LIST @s/%2e%2e/", "REMOVE @s/../../outside.txt",
                "LIST @../s", "LIST @/etc", "REMOVE @s//../x", "LIST @s/a\\\\b", "LIST @s/./x",
                "CREATE STAGE `../x`", "CREATE STAGE \"a/b\"", "CREATE STAGE a/b", "CREATE STAGE ..",
                "CREATE STAGE " + "x" * 300, "LIST @" + "y" * 300, "CREATE STAGE 'quoted'",
                "CREATE STAGE s\u00e9", "LIST @s/" + "z/" * 600 + "f", "REMOVE @s/a/../../..",
                "LIST @~/../u2", "DROP STAGE ..", "DESC STAGE ../x", "LIST @s/a\x00b", "LIST @s/a\x01b", "LIST @s\x00",
                "SELECT * FROM LIST_STAGE(location => '@s/../..')",
                "SELECT * FROM LIST_STAGE(location => '@../etc')",
            ]
            conn = pymysql.connect(host="127.0.0.1", port=s.mysql_port, user="root")
            cur = conn.cursor()
            for st in statements:
                with self.subTest(st=st):
                    if st.startswith("LIST @s/%2e"):
                        # a literal '%2e%2e' segment is a name like any other: nothing listed
                        cur.execute(st)
                        self.assertEqual(cur.fetchall(), ())
                        continue
                    with self.assertRaises(pymysql.err.MySQLError) as e:
                        cur.execute(st)
                    self.assertRegex(e.exception.args[1], r"^\w+\. Code: \d+, Text = ", st)
            conn.close()
            with open(outside) as f:
                self.assertEqual(f.read(), "do not touch")
            rc, out, err = sql(s, "SELECT 1;")
            self.assertEqual(out, "1\n1\n")


if __name__ == "__main__":
    unittest.main(verbosity=2)
