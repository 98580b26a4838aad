"""Byte-level behaviour of the MySQL front door: greeting, sequence ids,
EOF/OK framing, commands, limits and hostile input."""
import os
import socket
import ssl
import struct
import time
import unittest

import rawmysql as rm
from harness import Server

USERS = "[users]\neve = evepw\n"


class Protocol(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server(config=USERS, args=["--handshake-timeout", "1", "--max-allowed-packet", "1048576",
                                           "--log-level", "debug"])

    @classmethod
    def tearDownClass(cls):
        code = cls.s.stop()
        cls.s.close()
        assert code == 0, code

    def login(self, **kw):
        c = rm.Conn(self.s.mysql_port)
        p = c.login(**kw)
        self.assertEqual(p[0], 0, p)
        return c

    def test_greeting_bytes(self):
        c = rm.Conn(self.s.mysql_port)
        g = c.read_greeting()
        c.close()
        self.assertTrue(g["version"].startswith("8.0.36-stageproxy"))
        self.assertEqual(g["plugin"], "caching_sha2_password")
        self.assertEqual(g["charset"], 255)
        self.assertEqual(g["status"], 0x0002)
        # 0x013F A60F plus CLIENT_SSL: no compression, no query attributes.
        self.assertEqual(g["caps"], 0x013FAE0F)
        self.assertEqual(len(g["nonce"]), 20)
        self.assertTrue(all(0 < b < 0x80 and b != ord("$") for b in g["nonce"]))
        raw = g["raw"]
        self.assertEqual(raw[-len(b"caching_sha2_password\0") - 1], 0)  # NUL after scramble part 2

    def test_sequence_ids_and_eof_framing(self):
        c = self.login()
        c.query("select 1 as a, 'x' as b")
        seqs = []
        for _ in range(7):  # count, 2 defs, EOF, row, EOF
            s, _, _ = c.read_physical()
            seqs.append(s)
            if len(seqs) == 6:
                break
        self.assertEqual(seqs, [1, 2, 3, 4, 5, 6])
        c.close()

    def test_deprecate_eof_terminates_with_ok(self):
        c = rm.Conn(self.s.mysql_port)
        p = c.login(flags=rm.BASE_FLAGS | rm.CLIENT_DEPRECATE_EOF)
        self.assertEqual(p[0], 0)
        c.query("select 1 as a")
        r = c.read_result()
        self.assertEqual(r[0], "rows")
        self.assertEqual(r[2], [["1"]])
        self.assertEqual(r[3] & 0x0002, 0x0002)
        c.close()

    def test_column_types(self):
        c = self.login()
        c.query("select 1, 'a', NOW(), TIMEDIFF(NOW(), UTC_TIMESTAMP()), NULL, CONNECTION_ID()")
        kind, cols, rows, _ = c.read_result()
        types = [(col["type"], col["charset"]) for col in cols]
        self.assertEqual(types, [(0x08, 63), (0xFD, 45), (0x0C, 63), (0x0B, 63), (0x06, 63), (0x08, 63)])
        self.assertEqual(cols[0]["flags"] & 0x8081, 0x8081)
        self.assertEqual(rows[0][3], "00:00:00")
        self.assertIsNone(rows[0][4])
        c.close()

    def test_pipelined_commands_answered_in_order(self):
        c = self.login()
        payload = b""
        for i in range(50):
            q = b"\x03select %d" % i
            payload += len(q).to_bytes(3, "little") + b"\0" + q
        c.sock.sendall(payload)
        for i in range(50):
            self.assertEqual(c.read_result()[2], [[str(i)]])
        c.close()

    def test_multi_statement_flags(self):
        c = self.login(flags=rm.BASE_FLAGS | rm.CLIENT_MULTI_STATEMENTS)
        c.query("select 1; set @a = 2; select @a")
        r1 = c.read_result()
        self.assertEqual(r1[3] & 0x0008, 0x0008)  # MORE_RESULTS_EXISTS
        r2 = c.read_result()
        self.assertEqual(r2[0], "ok")
        self.assertEqual(rm.ok_status(r2[1]) & 0x0008, 0x0008)
        r3 = c.read_result()
        self.assertEqual((r3[2], r3[3] & 0x0008), ([["2"]], 0))
        # Without the flag, a second statement is a syntax error...
        c2 = self.login()
        c2.query("select 1; select 2")
        self.assertEqual(c2.read_result()[1], 1064)
        # ...but one trailing ';' is fine.
        c2.query("SHOW VARIABLES LIKE 'partial_revokes';")
        self.assertEqual(c2.read_result()[2], [["partial_revokes", "OFF"]])
        # COM_SET_OPTION turns them on: answered with EOF.
        c2.command(b"\x1b\x00\x00")
        self.assertEqual(c2.read_packet()[0], 0xFE)
        c2.query("select 1; select 2")
        self.assertEqual(c2.read_result()[2], [["1"]])
        self.assertEqual(c2.read_result()[2], [["2"]])
        c.close()
        c2.close()

    def test_simple_commands(self):
        c = self.login()
        c.command(b"\x0e")  # COM_PING
        self.assertEqual(c.read_packet()[0], 0)
        c.command(b"\x09")  # COM_STATISTICS: a raw string
        self.assertRegex(c.read_packet().decode(), r"^Uptime: \d+  Threads: \d+  Questions: \d+")
        c.command(b"\x02nosuchdb")
        r = c.read_result()
        self.assertEqual((r[1], r[3]), (1049, "42000"))
        c.command(b"\x02stageproxy")
        self.assertEqual(c.read_result()[0], "ok")
        c.command(b"\x04t1\0")  # COM_FIELD_LIST
        self.assertEqual(c.read_result()[1], 1146)
        c.command(b"\x1d")  # COM_BINLOG_DUMP_GTID: not ours
        r = c.read_result()
        self.assertEqual((r[1], r[3]), (1047, "08S01"))
        c.query("")
        self.assertEqual(c.read_result()[1], 1065)
        c.query("/* only a comment */")
        self.assertEqual(c.read_result()[1], 1065)
        c.query("select 3")  # still serving
        self.assertEqual(c.read_result()[2], [["3"]])
        c.close()

    def test_reset_connection_and_change_user(self):
        c = self.login(db="stageproxy")
        c.query("set @x = 1, autocommit = 0")
        c.read_result()
        c.command(b"\x1f")  # COM_RESET_CONNECTION
        self.assertEqual(c.read_packet()[0], 0)
        c.query("select @x, @@autocommit, database()")
        self.assertEqual(c.read_result()[2], [[None, "1", "stageproxy"]])
        nonce = c.greeting["nonce"]
        auth = rm.sha2_scramble(b"evepw", nonce)
        c.command(b"\x11eve\0" + bytes([len(auth)]) + auth + b"\0" + struct.pack("<H", 45) +
                  b"caching_sha2_password\0")
        p = c.read_packet()
        if p[:2] == b"\x01\x03":
            p = c.read_packet()
        self.assertEqual(p[0], 0, p)
        c.query("select current_user(), database()")
        self.assertEqual(c.read_result()[2], [["eve@%", None]])
        c.command(b"\x11eve\0" + bytes([20]) + b"x" * 20 + b"\0" + struct.pack("<H", 45) +
                  b"mysql_native_password\0")
        p = c.read_packet()
        if p[0] == 0xFE:  # switch to the required plugin, then a wrong answer
            c.write_packet(b"y" * 32)
            p = c.read_packet()
        self.assertEqual(struct.unpack_from("<H", p, 1)[0], 1045)
        c.close()

    def test_kill_another_connection(self):
        victim = self.login(user="eve", password=b"evepw")
        killer = self.login(user="eve", password=b"evepw")
        killer.command(b"\x0c" + struct.pack("<I", victim.greeting["id"]))  # COM_PROCESS_KILL
        self.assertEqual(killer.read_packet()[0], 0)
        self.assertEqual(victim.sock.recv(10), b"")
        killer.query("KILL QUERY %d" % killer.greeting["id"])
        self.assertEqual(killer.read_result()[0], "ok")
        root = self.login()
        root.query("KILL CONNECTION %d" % killer.greeting["id"])
        self.assertEqual(root.read_result()[0], "ok")
        self.assertEqual(killer.sock.recv(10), b"")
        # eve may not kill root's connection
        other = self.login(user="eve", password=b"evepw")
        other.query("KILL %d" % root.greeting["id"])
        self.assertEqual(other.read_result()[1], 1095)
        root.query("KILL %d" % root.greeting["id"])  # itself
        self.assertEqual(root.read_result()[1], 1317)
        for c in (victim, killer, root, other):
            c.close()

    def test_prepared_statement_binary_protocol(self):
        c = self.login()
        c.command(b"\x16select ? as a, ? as b, 1 + ? as c")
        p = c.read_packet()
        self.assertEqual(p[0], 0)
        stmt_id, ncols, nparams = struct.unpack_from("<IHH", p, 1)
        self.assertEqual(nparams, 3)
        for _ in range(nparams + 1):  # param defs + EOF
            c.read_packet()
        params = struct.pack("<IBI", stmt_id, 0, 1) + b"\x00" + b"\x01"
        params += struct.pack("<HHH", 0x08, 0xFD, 0x03)
        params += struct.pack("<q", -7) + rm.lenenc(5) + b"hello" + struct.pack("<i", 41)
        c.command(b"\x17" + params)
        ncols, _ = rm.read_lenenc(c.read_packet(), 0)
        self.assertEqual(ncols, 3)
        for _ in range(ncols + 1):
            c.read_packet()
        row = c.read_packet()
        self.assertEqual(row[0], 0)
        self.assertEqual(row[1], 0)  # null bitmap
        self.assertEqual(struct.unpack_from("<q", row, 2)[0], -7)
        self.assertEqual(row[10:16], b"\x05hello")
        self.assertEqual(struct.unpack_from("<q", row, 16)[0], 42)
        self.assertEqual(c.read_packet()[0], 0xFE)
        c.command(b"\x19" + struct.pack("<I", stmt_id))  # CLOSE: no answer
        c.command(b"\x17" + struct.pack("<IBI", stmt_id, 0, 1))
        r = c.read_result()
        self.assertEqual(r[1], 1243)
        c.close()

    def test_packet_bigger_than_max_allowed_packet(self):
        c = self.login()
        # Only the header is sent: the limit is checked before any payload.
        c.sock.sendall((0xFFFFFF).to_bytes(3, "little") + b"\0")
        r = c.read_result()
        self.assertEqual((r[1], r[3]), (1153, "08S01"))
        with self.assertRaises((rm.Closed, ConnectionResetError)):
            c.read_packet()
        c.close()

    def test_16mib_boundary_payloads(self):
        with Server(args=["--max-allowed-packet", "67108864"]) as s:
            c = rm.Conn(s.mysql_port, timeout=60)
            self.assertEqual(c.login()[0], 0)
            for n in (0xFFFFFF - 1, 0xFFFFFF, 0xFFFFFF + 1, 2 * 0xFFFFFF):
                text = "x" * (n - len("select '' as v") - 1)
                sql = "select '%s' as v" % text
                c.query(sql)  # split by the client into 0xFFFFFF chunks
                kind, cols, rows, _ = c.read_result()
                self.assertEqual(len(rows[0][0]), len(text), n)
            c.close()

    def test_out_of_order_sequence(self):
        c = self.login()
        c.write_packet(b"\x03select 1", seq=5)
        r = c.read_result()
        self.assertEqual(r[1], 1156)
        c.close()

    def test_random_bytes_and_tls_client_hello_on_plain_port(self):
        before = self.s.log().count("TLS ClientHello")
        for payload in (os.urandom(4096), b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(200),
                        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"\x00\x00\x00\x01"):
            c = rm.Conn(self.s.mysql_port)
            c.read_greeting()
            try:
                c.sock.sendall(payload)
                data = c.sock.recv(4096)
                while data:
                    data = c.sock.recv(4096)
            except (ConnectionResetError, socket.timeout):
                pass
            c.close()
        # a real ClientHello from Python's TLS stack
        raw = socket.create_connection(("127.0.0.1", self.s.mysql_port), timeout=5)
        raw.recv(1024)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with self.assertRaises((ssl.SSLError, ConnectionResetError, OSError)):
            ctx.wrap_socket(raw)
        raw.close()
        time.sleep(0.1)
        self.assertGreater(self.s.log().count("TLS ClientHello"), before)
        c = self.login()  # still serving
        c.query("select 1")
        self.assertEqual(c.read_result()[2], [["1"]])
        c.close()

    def test_half_open_connections_time_out(self):
        c = rm.Conn(self.s.mysql_port)
        c.read_greeting()
        t0 = time.time()
        self.assertEqual(c.sock.recv(10), b"")  # closed by the server
        self.assertLess(time.time() - t0, 5)
        c.close()

    def test_caching_sha2_full_authentication_over_tls(self):
        c = rm.Conn(self.s.mysql_port)
        g = c.read_greeting()
        c.start_tls()
        c.send_response("eve", b"\x01" * 32, "caching_sha2_password")  # a scramble that cannot match
        self.assertEqual(c.read_packet(), b"\x01\x04")  # perform full authentication
        c.write_packet(b"evepw\0")
        self.assertEqual(c.read_packet()[0], 0)
        c.query("select current_user()")
        self.assertEqual(c.read_result()[2], [["eve@%"]])
        c.close()
        # Without TLS there is no second chance.
        c = rm.Conn(self.s.mysql_port)
        c.read_greeting()
        c.send_response("eve", b"\x01" * 32, "caching_sha2_password")
        p = c.read_packet()
        self.assertEqual(struct.unpack_from("<H", p, 1)[0], 1045)
        c.close()

    def test_client_without_plugin_auth_is_checked_as_native(self):
        c = rm.Conn(self.s.mysql_port)
        g = c.read_greeting()
        flags = rm.BASE_FLAGS & ~(rm.CLIENT_PLUGIN_AUTH | rm.CLIENT_PLUGIN_AUTH_LENENC)
        auth = rm.native_scramble(b"evepw", g["nonce"])
        c.write_packet(struct.pack("<IIB", flags, 1 << 24, 45) + b"\0" * 23 + b"eve\0" +
                       bytes([len(auth)]) + auth)
        self.assertEqual(c.read_packet()[0], 0)
        c.close()

    def test_tls_off(self):
        with Server(args=["--tls", "off"]) as s:
            c = rm.Conn(s.mysql_port)
            self.assertEqual(c.read_greeting()["caps"] & rm.CLIENT_SSL, 0)
            # a client would not ask; a rogue SSLRequest is refused
            c.write_packet(struct.pack("<IIB", rm.BASE_FLAGS | rm.CLIENT_SSL, 1 << 24, 45) + b"\0" * 23)
            p = c.read_packet()
            self.assertEqual(struct.unpack_from("<H", p, 1)[0], 1043)
            c.close()

    def test_auth_switch_for_the_other_plugin(self):
        c = rm.Conn(self.s.mysql_port)
        p = c.login(user="eve", password=b"evepw", plugin="mysql_native_password")
        self.assertEqual(p[0], 0)
        self.assertEqual(c.switched_to, "caching_sha2_password")
        c.close()


class Limits(unittest.TestCase):
    def test_connection_limit(self):
        with Server(args=["--max-connections", "3"]) as s:
            held = [rm.Conn(s.mysql_port) for _ in range(3)]
            for h in held:
                h.read_greeting()
            extra = rm.Conn(s.mysql_port)
            p = extra.read_packet()
            self.assertEqual(struct.unpack_from("<H", p, 1)[0], 1040)
            extra.close()
            held[0].close()
            time.sleep(0.2)
            again = rm.Conn(s.mysql_port)
            self.assertEqual(again.login()[0], 0)
            for h in held[1:] + [again]:
                h.close()

    @unittest.skipIf(os.environ.get("STAGEPROXY_SANITIZED") == "1",
                     "ASan keeps freed memory in quarantine; LeakSanitizer covers this build")
    def test_thousand_connections_do_not_grow_memory(self):
        with Server() as s:
            def cycle(n):
                for _ in range(n):
                    c = rm.Conn(s.mysql_port)
                    c.login()
                    c.query("select 1")
                    c.read_result()
                    c.command(b"\x01")
                    c.close()
            cycle(200)
            time.sleep(0.2)
            base = s.rss_kib()
            cycle(1000)
            time.sleep(0.2)
            grown = s.rss_kib() - base
            self.assertLess(grown, 1024, "RSS grew by %d KiB over 1000 connections" % grown)


if __name__ == "__main__":
    unittest.main(verbosity=2)
