"""A minimal MySQL protocol client for byte-level tests: it sends exactly
what a test asks for and reads packets back without interpreting more than
needed."""
import hashlib
import socket
import ssl
import struct

CLIENT_LONG_PASSWORD = 0x1
CLIENT_CONNECT_WITH_DB = 0x8
CLIENT_PROTOCOL_41 = 0x200
CLIENT_SSL = 0x800
CLIENT_TRANSACTIONS = 0x2000
CLIENT_SECURE_CONNECTION = 0x8000
CLIENT_MULTI_STATEMENTS = 0x10000
CLIENT_MULTI_RESULTS = 0x20000
CLIENT_PLUGIN_AUTH = 0x80000
CLIENT_PLUGIN_AUTH_LENENC = 0x200000
CLIENT_DEPRECATE_EOF = 0x1000000

BASE_FLAGS = (CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS |
              CLIENT_SECURE_CONNECTION | CLIENT_MULTI_RESULTS | CLIENT_PLUGIN_AUTH |
              CLIENT_PLUGIN_AUTH_LENENC)


def sha1(b):
    return hashlib.sha1(b).digest()


def sha256(b):
    return hashlib.sha256(b).digest()


def xor(a, b):
    return bytes(x ^ y for x, y in zip(a, b))


def native_scramble(pw, nonce):
    if not pw:
        return b""
    s1 = sha1(pw)
    return xor(s1, sha1(nonce + sha1(s1)))


def sha2_scramble(pw, nonce):
    if not pw:
        return b""
    s1 = sha256(pw)
    return xor(s1, sha256(sha256(s1) + nonce))


def lenenc(n):
    if n < 251:
        return bytes([n])
    if n < 1 << 16:
        return b"\xfc" + struct.pack("<H", n)
    if n < 1 << 24:
        return b"\xfd" + struct.pack("<I", n)[:3]
    return b"\xfe" + struct.pack("<Q", n)


def read_lenenc(b, i):
    f = b[i]
    if f < 251:
        return f, i + 1
    if f == 0xFB:
        return None, i + 1
    if f == 0xFC:
        return struct.unpack_from("<H", b, i + 1)[0], i + 3
    if f == 0xFD:
        return int.from_bytes(b[i + 1:i + 4], "little"), i + 4
    return struct.unpack_from("<Q", b, i + 1)[0], i + 9


_TLS = None


def _tls_context():
    """One client context for every connection (tests do not verify here)."""
    global _TLS
    if _TLS is None:
        _TLS = ssl.create_default_context()
        _TLS.check_hostname = False
        _TLS.verify_mode = ssl.CERT_NONE
    return _TLS


class Closed(Exception):
    pass


class Conn:
    def __init__(self, port, timeout=10, source=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        # As real drivers do: without it the SSLRequest and the ClientHello
        # wait on each other's delayed ACK.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.seq = 0
        self.greeting = None

    # framing
    def recv_exact(self, n):
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise Closed("connection closed after %d of %d bytes" % (len(out), n))
            out += chunk
        return out

    def read_physical(self):
        hdr = self.recv_exact(4)
        n = int.from_bytes(hdr[:3], "little")
        self.seq = (hdr[3] + 1) & 0xFF
        return hdr[3], self.recv_exact(n), n

    def read_packet(self):
        """One logical packet (joins 0xFFFFFF chunks)."""
        payload = b""
        while True:
            _, data, n = self.read_physical()
            payload += data
            if n < 0xFFFFFF:
                return payload

    def write_packet(self, payload, seq=None):
        if seq is not None:
            self.seq = seq
        while True:
            chunk = payload[:0xFFFFFF]
            payload = payload[0xFFFFFF:]
            self.sock.sendall(len(chunk).to_bytes(3, "little") + bytes([self.seq]) + chunk)
            self.seq = (self.seq + 1) & 0xFF
            if len(chunk) < 0xFFFFFF:
                return

    # connection phase
    def read_greeting(self):
        p = self.read_packet()
        assert p[0] == 10, p
        end = p.index(b"\0", 1)
        version = p[1:end].decode()
        i = end + 1
        conn_id = struct.unpack_from("<I", p, i)[0]
        nonce = p[i + 4:i + 12]
        i += 13
        caps = struct.unpack_from("<H", p, i)[0]
        charset = p[i + 2]
        status = struct.unpack_from("<H", p, i + 3)[0]
        caps |= struct.unpack_from("<H", p, i + 5)[0] << 16
        i += 18
        nonce += p[i:i + 12]
        plugin = p[i + 13:p.index(b"\0", i + 13)].decode()
        self.greeting = dict(version=version, id=conn_id, nonce=nonce, caps=caps,
                             charset=charset, status=status, plugin=plugin, raw=p)
        return self.greeting

    def start_tls(self, flags=BASE_FLAGS, charset=45):
        self.write_packet(struct.pack("<IIB", flags | CLIENT_SSL, 1 << 24, charset) + b"\0" * 23)
        self.sock = _tls_context().wrap_socket(self.sock)

    def send_response(self, user, auth, plugin, flags=BASE_FLAGS, db=None, charset=45):
        if db is not None:
            flags |= CLIENT_CONNECT_WITH_DB
        self.flags = flags
        p = struct.pack("<IIB", flags, 1 << 24, charset) + b"\0" * 23
        p += user.encode() + b"\0" + lenenc(len(auth)) + auth
        if db is not None:
            p += db.encode() + b"\0"
        p += plugin.encode() + b"\0"
        self.write_packet(p)

    def login(self, user="root", password=b"", plugin=None, flags=BASE_FLAGS, tls=False, db=None):
        """Logs in answering with `plugin` (default: the greeting's); follows
        an AuthSwitchRequest. Returns the final packet (OK or ERR)."""
        g = self.read_greeting()
        plugin = plugin or g["plugin"]
        if tls:
            self.start_tls(flags)
        scramble = native_scramble if plugin == "mysql_native_password" else sha2_scramble
        self.send_response(user, scramble(password, g["nonce"]), plugin, flags, db)
        p = self.read_packet()
        if p[0] == 0xFE:
            name_end = p.index(b"\0", 1)
            plugin = p[1:name_end].decode()
            nonce = p[name_end + 1:name_end + 21]
            self.switched_to = plugin
            scramble = native_scramble if plugin == "mysql_native_password" else sha2_scramble
            self.write_packet(scramble(password, nonce))
            p = self.read_packet()
        if p[:2] == b"\x01\x03":
            p = self.read_packet()
        return p

    # command phase
    def command(self, payload):
        self.write_packet(payload, seq=0)

    def query(self, sql):
        self.command(b"\x03" + (sql.encode() if isinstance(sql, str) else sql))

    def read_result(self):
        """Reads one result: ('ok', pkt) | ('err', code, msg) | ('rows', cols, rows, status)."""
        p = self.read_packet()
        if p[0] == 0x00:
            return ("ok", p)
        if p[0] == 0xFF:
            code = struct.unpack_from("<H", p, 1)[0]
            return ("err", code, p[9:].decode("utf-8", "replace"), p[4:9].decode())
        ncols, _ = read_lenenc(p, 0)
        cols = []
        for _ in range(ncols):
            d = self.read_packet()
            i = 0
            fields = []
            for _f in range(6):
                n, i = read_lenenc(d, i)
                fields.append(d[i:i + n].decode())
                i += n
            i += 1
            charset, length, ctype, flags = struct.unpack_from("<HIBH", d, i)
            cols.append(dict(name=fields[4], table=fields[2], type=ctype, charset=charset,
                             flags=flags, length=length))
        deprecate = getattr(self, "flags", 0) & CLIENT_DEPRECATE_EOF
        if not deprecate:
            eof = self.read_packet()
            assert eof[0] == 0xFE and len(eof) == 5, eof
        rows = []
        while True:
            r = self.read_packet()
            if r[0] == 0xFE and len(r) < 0xFFFFFF and (len(r) == 5 if not deprecate else True) \
                    and len(r) < 9 + (0 if not deprecate else 64):
                status = struct.unpack_from("<H", r, 3)[0] if not deprecate else None
                if deprecate:
                    _, i = read_lenenc(r, 1)
                    _, i = read_lenenc(r, i)
                    status = struct.unpack_from("<H", r, i)[0]
                return ("rows", cols, rows, status)
            if r[0] == 0xFF:
                return ("err", struct.unpack_from("<H", r, 1)[0], r[9:].decode(), r[4:9].decode())
            vals = []
            i = 0
            for _ in range(ncols):
                n, i = read_lenenc(r, i)
                if n is None:
                    vals.append(None)
                else:
                    vals.append(r[i:i + n].decode("utf-8", "replace"))
                    i += n
            rows.append(vals)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def ok_status(pkt):
    _, i = read_lenenc(pkt, 1)
    _, i = read_lenenc(pkt, i)
    return struct.unpack_from("<H", pkt, i)[0]
