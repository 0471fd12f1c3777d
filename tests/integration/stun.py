"""stun.py - a small independent STUN/TURN message codec for the tests
(stdlib only; written from RFC 8489 and RFC 8656, not from our C code, so
that a bug there is not copied here).

    msg, tid = message(ALLOCATE, [(A_TRANSPORT, b"\\x11\\0\\0\\0")], key=key)
    r = parse(reply)  ->  {"type", "tid", "attrs": {type: value}, "code"}
    xaddr("127.0.0.1", 5000, tid), unxaddr(value, tid)
    chandata(0x4000, b"data", pad=True)
    c = Client(d, *d.credential("alice")); c.allocate(); c.permit(ip)
"""
import hashlib
import hmac
import os
import socket
import struct
import zlib

MAGIC = 0x2112A442
BINDING, ALLOCATE, REFRESH, SEND, DATA = 1, 3, 4, 6, 7
CREATE_PERMISSION, CHANNEL_BIND = 8, 9
INDICATION, SUCCESS, ERROR = 0x0010, 0x0100, 0x0110
A_USERNAME, A_MI, A_ERROR, A_CHANNEL, A_LIFETIME = 0x6, 0x8, 0x9, 0xC, 0xD
A_MI256 = 0x1C
A_PEER, A_DATA, A_REALM, A_NONCE, A_RELAYED = 0x12, 0x13, 0x14, 0x15, 0x16
A_RAF, A_TRANSPORT, A_MAPPED, A_FP = 0x17, 0x19, 0x20, 0x8028
A_EVEN_PORT, A_RESV_TOKEN = 0x18, 0x22
DATA_INDICATION = 0x0017


def xaddr(ip, port, tid):
    """XOR-PEER-ADDRESS / XOR-MAPPED-ADDRESS value of (ip, port)."""
    fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
    raw = socket.inet_pton(fam, ip)
    mask = struct.pack("!I", MAGIC) + tid
    x = bytes(a ^ b for a, b in zip(raw, mask))
    return struct.pack("!BBH", 0, 1 if fam == socket.AF_INET else 2,
                       port ^ (MAGIC >> 16)) + x


def unxaddr(v, tid):
    """(ip, port) of an XOR-*-ADDRESS value."""
    fam, xport = struct.unpack("!xBH", v[:4])
    mask = struct.pack("!I", MAGIC) + tid
    raw = bytes(a ^ b for a, b in zip(v[4:20 if fam == 2 else 8], mask))
    af = socket.AF_INET if fam == 1 else socket.AF_INET6
    return socket.inet_ntop(af, raw), xport ^ (MAGIC >> 16)


def attr(t, v):
    return struct.pack("!HH", t, len(v)) + v + b"\0" * (-len(v) % 4)


def long_term_key(user, realm, password):
    """RFC 8489 §9.2.2: MD5(username ":" realm ":" password)."""
    return hashlib.md5(("%s:%s:%s" % (user, realm, password))
                       .encode()).digest()


def message(method, attrs, tid=None, key=None, fingerprint=False, cls=0,
            sha256=False):
    """(bytes, tid) of a message; key adds MESSAGE-INTEGRITY (SHA-1), or
    MESSAGE-INTEGRITY-SHA256 with sha256."""
    tid = tid or os.urandom(12)
    typ = (method & 0xF) | ((method & 0x70) << 1) | ((method & 0xF80) << 2) \
        | cls
    body = b"".join(attr(t, v) for t, v in attrs)
    if key is not None:
        at, h = (A_MI256, hashlib.sha256) if sha256 else (A_MI, hashlib.sha1)
        hdr = struct.pack("!HHI", typ, len(body) + 4 + h().digest_size,
                          MAGIC) + tid
        body += attr(at, hmac.new(key, hdr + body, h).digest())
    if fingerprint:
        hdr = struct.pack("!HHI", typ, len(body) + 8, MAGIC) + tid
        crc = (zlib.crc32(hdr + body) ^ 0x5354554E) & 0xFFFFFFFF
        body += attr(A_FP, struct.pack("!I", crc))
    return struct.pack("!HHI", typ, len(body), MAGIC) + tid + body, tid


def parse(data):
    """The first of each attribute, and the error code (0: none)."""
    typ, length = struct.unpack("!HH", data[:4])
    attrs, i = {}, 20
    while i + 4 <= 20 + length:
        t, n = struct.unpack("!HH", data[i:i + 4])
        attrs.setdefault(t, data[i + 4:i + 4 + n])
        i += 4 + n + (-n % 4)
    code = 0
    if A_ERROR in attrs:
        e = attrs[A_ERROR]
        code = (e[2] & 7) * 100 + e[3]
    return {"type": typ, "tid": data[8:20], "attrs": attrs, "code": code}


def chandata(num, data, pad=True):
    """ChannelData; pad to 4 bytes as a stream transport must."""
    return struct.pack("!HH", num, len(data)) + data + \
        (b"\0" * (-len(data) % 4) if pad else b"")


# Client ports: 10000-19999, below the relay ranges harness.py gives the
# daemons (20000+) and the kernel's ephemeral ports (32768+), each used
# once per process.  A client closed while its allocation lives on keeps
# its 5-tuple on the server; an ephemeral port of a later client could
# be the same one, and its Allocate would then meet the old allocation
# (437 Allocation Mismatch).
_CLIENT_PORTS = 10000
_next_port = [os.getpid() * 131 % _CLIENT_PORTS]


def bind_unused(sock, host):
    """Binds sock (UDP) on host to a client port not used before by this
    process."""
    for _ in range(_CLIENT_PORTS):
        port = _CLIENT_PORTS + _next_port[0]
        _next_port[0] = (_next_port[0] + 1) % _CLIENT_PORTS
        try:
            sock.bind((host, port))
            return
        except OSError:
            continue
    sock.bind((host, 0))


class Client:
    """A TURN client over UDP with long-term credentials: request()
    takes the nonce and realm of a 401 or 438 and retries."""

    def __init__(self, d, user, password, host="127.0.0.1", realm=None,
                 bind=None):
        """host: the server's address; bind: the client's (default
        host)."""
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.s = socket.socket(fam, socket.SOCK_DGRAM)
        bind_unused(self.s, bind or host)
        self.s.settimeout(2)
        self.server = (host, d.turn_port)
        self.user, self.password = user, password
        self.realm, self.nonce = realm, None

    def key(self):
        return long_term_key(self.user, self.realm, self.password)

    def raw(self, data):
        self.s.sendto(data, self.server)
        try:
            return self.s.recvfrom(4096)[0]
        except socket.timeout:
            return None

    def request(self, method, attrs, auth=True):
        """Sends with credentials; on 401/438 takes the nonce, retries."""
        for _ in range(3):
            extra = []
            if auth and self.nonce:
                extra = [(A_USERNAME, self.user.encode()),
                         (A_REALM, self.realm.encode()),
                         (A_NONCE, self.nonce)]
            msg, tid = message(method, attrs + extra,
                               key=self.key() if auth and self.nonce else None)
            data = self.raw(msg)
            if data is None:
                return None
            r = parse(data)
            if r["tid"] != tid:
                continue
            if auth and r["code"] in (401, 438) and A_NONCE in r["attrs"] \
                    and (self.nonce is None or r["code"] == 438):
                self.nonce = r["attrs"][A_NONCE]
                self.realm = r["attrs"][A_REALM].decode()
                continue
            r["tid_sent"] = tid
            return r
        return r

    def allocate(self, extra=()):
        return self.request(ALLOCATE, [(A_TRANSPORT, b"\x11\0\0\0")]
                            + list(extra))

    def permit(self, ip, port=9):
        return self._with_tid(CREATE_PERMISSION,
                              lambda tid: [(A_PEER, xaddr(ip, port, tid))])

    def bind(self, ip, port, channel):
        return self._with_tid(CHANNEL_BIND, lambda tid: [
            (A_CHANNEL, struct.pack("!HH", channel, 0)),
            (A_PEER, xaddr(ip, port, tid))])

    def _with_tid(self, method, attrs_of):
        # XOR addresses depend on the transaction ID: build per attempt.
        for _ in range(3):
            tid = os.urandom(12)
            attrs = attrs_of(tid) + [(A_USERNAME, self.user.encode()),
                                     (A_REALM, self.realm.encode()),
                                     (A_NONCE, self.nonce)]
            msg, tid = message(method, attrs, tid=tid, key=self.key())
            data = self.raw(msg)
            if data is None:
                return None
            r = parse(data)
            if r["code"] == 438:
                self.nonce = r["attrs"][A_NONCE]
                continue
            return r
        return r

    def close(self):
        self.s.close()
