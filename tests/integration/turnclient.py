"""TURN helpers shared by the relay tests, on stun.py's codec and Client:
allocations from a credential or a welcome's ICE server, Refresh, Send
and Data indications, the loop that serves a relayed port, and the checks
of pair-permissions that test_pair_permissions and test_relay_threads
both run (same pair, one loop or across loops)."""
import asyncio
import hashlib
import os
import re
import socket
import ssl
import struct
import time

from harness import rest_credential
from stun import (A_DATA, A_LIFETIME, A_NONCE, A_PEER, A_REALM, A_RELAYED,
                  A_TRANSPORT, A_USERNAME, ALLOCATE, DATA_INDICATION,
                  INDICATION, REFRESH, SEND, Client, message, parse, unxaddr,
                  xaddr)

ALLOC_RE = re.compile(r"relay: allocation \d+ on loop (\d+) at "
                      r"[0-9.]+:(\d+),")


def relayed_of(r):
    """(ip, port) of a successful Allocate answer's XOR-RELAYED-ADDRESS."""
    return unxaddr(r["attrs"][A_RELAYED], r["tid_sent"])


def turn_client(d, server):
    """(client, relayed address or None) for an ICE server of a welcome
    or matched message."""
    c = Client(d, server["username"], server["credential"])
    r = c.allocate()
    if r is None or r["code"] != 0:
        return c, None
    return c, relayed_of(r)


def allocate(d, user, bind=None, extra=(), secret=None, now=None):
    """(client, reply, relayed address or None); the client's socket on
    bind, the server on 127.0.0.1; now: the credential's time (its
    username is the same for one user and now)."""
    c = Client(d, *rest_credential(secret or d.secret, user, now=now),
               bind=bind)
    r = c.allocate(extra)
    rel = None
    if r is not None and r["code"] == 0:
        rel = relayed_of(r)
    return c, r, rel


def refresh_code(c, lifetime=600):
    """The code of a Refresh (0: success), or None without an answer."""
    r = c.request(REFRESH, [(A_LIFETIME, struct.pack("!I", lifetime))])
    return r and r["code"]


def release(c):
    """Refresh with lifetime 0; True when the allocation is gone."""
    return refresh_code(c, 0) == 0


def send_to(c, peer, payload):
    """A Send indication from c's allocation to peer (ip, port)."""
    tid = os.urandom(12)
    msg, _ = message(SEND, [(A_PEER, xaddr(peer[0], peer[1], tid)),
                            (A_DATA, payload)], tid=tid, cls=INDICATION)
    c.s.sendto(msg, c.server)


def receive(c, timeout=1.0):
    """The DATA of the next Data indication, or None."""
    c.s.settimeout(timeout)
    try:
        while True:
            data = c.s.recvfrom(4096)[0]
            typ = struct.unpack("!H", data[:2])[0]
            if typ != DATA_INDICATION:
                continue
            i = 20
            while i + 4 <= len(data):
                t, n = struct.unpack("!HH", data[i:i + 4])
                if t == A_DATA:
                    return data[i + 4:i + 4 + n]
                i += 4 + n + (-n % 4)
    except socket.timeout:
        return None
    finally:
        c.s.settimeout(2)


def loops_by_port(d):
    """{relayed port: loop} from the daemon's debug log."""
    return {int(p): int(lp) for lp, p in ALLOC_RE.findall(d.log())}


def loop_of(d, relayed, timeout=2.0):
    """The relay loop that serves relayed (ip, port), or None."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        lp = loops_by_port(d).get(relayed[1])
        if lp is not None:
            return lp
        time.sleep(0.02)
    return None


def check_pair_on(t, d, server_a, server_b, server_c, where):
    """Allocations on d with the ICE servers of partners a and b and of a
    stranger c (an ok check that all three allocate), then check_pair
    over them; the clients are closed after."""
    ta, ra = turn_client(d, server_a)
    tb, rb = turn_client(d, server_b)
    tc, rc = turn_client(d, server_c)
    t.ok(ra and rb and rc, "allocations" + where)
    if ra and rb and rc:
        check_pair(t, ta, ra, tb, rb, tc, rc, where)
    for x in (ta, tb, tc):
        x.close()


def check_pair(t, ta, ra, tb, rb, tc, rc, where=""):
    """Partners a and b may permit each other's relayed address and
    exchange data; the stranger c may not."""
    r = ta.permit(*rb)
    t.eq(r and r["code"], 0, "a permits its partner's relayed address" +
         where)
    r = tb.permit(*ra)
    t.eq(r and r["code"], 0, "b permits its partner's relayed address" +
         where)
    r = ta.permit(*rc)
    t.eq(r and r["code"], 403, "a stranger's relayed address: 403" + where)
    r = tc.permit(*ra)
    t.eq(r and r["code"], 403, "and the other way round: 403" + where)
    r = ta.bind(rc[0], rc[1], 0x4001)
    t.eq(r and r["code"], 403, "ChannelBind to a stranger: 403" + where)
    send_to(ta, rb, b"hello b")
    t.eq(receive(tb), b"hello b", "partners: a's data reaches b" + where)
    send_to(tb, ra, b"hello a")
    t.eq(receive(ta), b"hello a", "and b's reaches a" + where)


async def check_next(t, a, b, ta, ra, tb, rb, where=""):
    """After a (a wsclient session) presses next, the pair's permissions
    deliver nothing."""
    await a.send_json(type="next")
    left = await b.recv_type("partner_left")
    t.eq(left.get("reason"), "next", "b is told its partner left")
    send_to(tb, ra, b"after next")
    t.eq(receive(ta), None,
         "after next, b's old permission for a delivers nothing" + where)
    send_to(ta, rb, b"after next")
    t.eq(receive(tb), None, "nor a's for b" + where)
    r = tb.permit(*ra)
    t.eq(r and r["code"], 403, "a new permission for the former partner: "
         "403" + where)


class Stream:
    """A TURN client over TCP or TLS from src: STUN messages and padded
    ChannelData on one stream (test_turn_stream, test_halfopen)."""

    def __init__(self, d, src="127.0.0.1", tls=False, rcvbuf=None,
                 raw_port=None, alpn=None):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.bind((src, 0))
        s.settimeout(5)
        s.connect(("127.0.0.1", raw_port or (d.tls_port if tls else
                                             d.turn_port)))
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            if alpn:
                ctx.set_alpn_protocols(alpn)   # RFC 7443: ["stun.turn"]
            s = ctx.wrap_socket(s)
        self.s = s
        self.buf = b""
        self.d = d
        self.user, self.password = d.credential("stream")
        self.realm = self.nonce = None

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass

    def send(self, data):
        self.s.sendall(data)

    def _fill(self, n, timeout):
        self.s.settimeout(timeout)
        while len(self.buf) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("closed")
            self.buf += chunk

    def frame(self, timeout=5):
        """The next frame: ("stun", parsed) or ("chan", number, data)."""
        self._fill(4, timeout)
        b0 = self.buf[0]
        num, n = struct.unpack("!HH", self.buf[:4])
        if 0x40 <= b0 <= 0x7F:
            total = 4 + n + (-n % 4)
            self._fill(total, timeout)
            data = self.buf[4:4 + n]
            self.buf = self.buf[total:]
            return ("chan", num, data)
        self._fill(20 + n, timeout)
        msg = self.buf[:20 + n]
        self.buf = self.buf[20 + n:]
        return ("stun", parse(msg))

    def answer(self, tid, timeout=5):
        while True:
            f = self.frame(timeout)
            if f[0] == "stun" and f[1]["tid"] == tid:
                return f[1]

    def closed(self, timeout):
        """True when the server closes within timeout (data is skipped)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.s.settimeout(max(0.05, deadline - time.time()))
            try:
                if not self.s.recv(65536):
                    return True
            except socket.timeout:
                return False
            except (ConnectionResetError, ssl.SSLError, OSError):
                return True
        return False

    def key(self):
        return hashlib.md5(("%s:%s:%s" % (self.user, self.realm,
                                          self.password)).encode()).digest()

    def request(self, method, attrs):
        """attrs: a list, or a function of the transaction ID that gives
        it (XOR-PEER-ADDRESS depends on the ID)."""
        for _ in range(3):
            extra = []
            if self.nonce:
                extra = [(A_USERNAME, self.user.encode()),
                         (A_REALM, self.realm.encode()),
                         (A_NONCE, self.nonce)]
            tid = os.urandom(12)
            msg, tid = message(method, (attrs(tid) if callable(attrs) else
                                        attrs) + extra, tid=tid,
                               key=self.key() if self.nonce else None)
            self.send(msg)
            r = self.answer(tid)
            if r["code"] in (401, 438) and A_NONCE in r["attrs"] and \
                    (self.nonce is None or r["code"] == 438):
                self.nonce = r["attrs"][A_NONCE]
                self.realm = r["attrs"][A_REALM].decode()
                continue
            r["tid_sent"] = tid
            return r
        return r

    def allocate(self):
        r = self.request(ALLOCATE, [(A_TRANSPORT, b"\x11\0\0\0")])
        if r["type"] != 0x0103:
            raise RuntimeError("allocate: %r" % r)
        return relayed_of(r)


# Admission probes of the ban tests: is this host let in on TURN (an
# Allocate by aioice, a client we did not write) or on /ws?

async def aioice_allocate(d, user, pw):
    """200 when aioice allocates with (user, pw), else the error code of
    the refusal; other failures raise."""
    import aioice.stun
    import aioice.turn
    try:
        tr, _ = await asyncio.wait_for(aioice.turn.create_turn_endpoint(
            asyncio.DatagramProtocol, ("127.0.0.1", d.turn_port), user, pw,
            transport="udp"), 5)
        tr.close()
        return 200
    except aioice.stun.TransactionFailed as e:
        return e.response.attributes.get("ERROR-CODE", (0, ""))[0]


async def _aioice_allocate(d):
    try:
        return await aioice_allocate(d, *d.credential("bantest"))
    except Exception:
        return -1


async def _upgrade(d):
    from wsclient import upgrade_status
    try:
        return await upgrade_status(d)
    except Exception:
        return -1


def admission_code(d, mode):
    """mode "turn": 200 or the Allocate error code; "ws": 101 or the HTTP
    status of the refused upgrade; -1 for anything else."""
    if mode == "turn":
        return asyncio.run(_aioice_allocate(d))
    return asyncio.run(_upgrade(d))


def admitted(d, mode):
    return admission_code(d, mode) == (200 if mode == "turn" else 101)
