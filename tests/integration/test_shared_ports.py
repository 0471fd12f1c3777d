"""Shared ports (SPEC, Configuration; issue 18): with https-port equal to
tls-port one TLS port serves HTTPS (/healthz), WSS (a welcome) and TURN
over TLS (coturn's turnutils_uclient -t -S, and our client with ALPN
stun.turn and without ALPN); with http-port equal to turn-port one TCP port
serves HTTP and TURN over TCP at once (and UDP STUN on the same number).
On the shared ports a silent client and a slow-loris client are dropped by
the same 10 s as on ports of their own, counted from the accept (the wait
for the first bytes does not add to it); a client that speaks neither
protocol is closed; the per-IP limits hold (undecided connections, and
HTTP's after the handoff), and so do the cap of undecided connections
(the oldest evicted for a newcomer) and the EMFILE pause.  The welcome offers UDP, then TCP, then TLS on
the shared TLS port.

Everything on one port (turn-port = tls-port = https-port, and http-port
too): the first bytes tell a TLS ClientHello from plain STUN/TURN and HTTP,
so UDP STUN/Allocate, TURN over TCP and over TLS (uclient -t and -t -S, our
client with and without ALPN), HTTPS /healthz, HTTP /healthz and a WSS
welcome are all served on that one port number, with the same timeouts and
the same closing of garbage; with http-port elsewhere plain HTTP on it is
closed."""
import asyncio
import http.client
import os
import resource
import signal
import socket
import ssl
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from coturn import PEER, PEER_HOST, UCLIENT, lost, peer_start, peer_stop, \
    received, uclient  # noqa: E402
from harness import Daemon, free_port, recv_all  # noqa: E402
from stun import BINDING, Client, message  # noqa: E402
from tap import Tap  # noqa: E402
from turnclient import Stream  # noqa: E402
from wsclient import connect  # noqa: E402

FIRST_SECS = 10          # HTTP_REQUEST_SECS, TCP_FIRST_SECS, SHARE_FIRST_SECS
PER_IP = 32              # SHARE_CONN_PER_IP, HTTP_CONN_PER_IP


def tls_ctx(alpn=None):
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE      # the state dir's self-signed pair
    if alpn:
        c.set_alpn_protocols(alpn)
    return c


def get(port, path="/healthz", tls=False, alpn=None):
    """(status, body) of a GET on 127.0.0.1:port."""
    if tls:
        c = http.client.HTTPSConnection("127.0.0.1", port, timeout=5,
                                        context=tls_ctx(alpn))
    else:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def sock(port, src="127.0.0.1", tls=False):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    if tls:
        s = tls_ctx().wrap_socket(s)
    return s


def closed_after(s, t0, limit):
    """Seconds from t0 until the server closed s (what it sends is read),
    or None when it is still open at t0 + limit."""
    while time.time() < t0 + limit:
        s.settimeout(max(0.05, t0 + limit - time.time()))
        try:
            if not s.recv(65536):
                return time.time() - t0
        except socket.timeout:
            return None
        except (ConnectionResetError, ssl.SSLError, OSError):
            return time.time() - t0
    return None


def allocated(stream):
    try:
        stream.allocate()
        return True
    except (RuntimeError, OSError, EOFError) as e:
        print("# allocate: %r" % e)
        return False


def timeouts(t, d, one_port=False):
    """Silent and slow clients on both shared ports, all at once: each
    dropped FIRST_SECS after its accept, not later.  one_port: everything
    is on one port; a ClientHello sent a byte at a time is dropped too."""
    res = {}

    def silent_plain():
        s = sock(d.turn_port)
        res["silent plain"] = closed_after(s, time.time(), FIRST_SECS + 4)
        s.close()

    def silent_tcp_of_tls():
        s = sock(d.tls_port)           # no ClientHello at all
        res["silent before the TLS handshake"] = closed_after(
            s, time.time(), FIRST_SECS + 4)
        s.close()

    def silent_tls():
        t0 = time.time()
        s = sock(d.tls_port, tls=True)     # a handshake, then nothing
        res["silent after the TLS handshake"] = closed_after(
            s, t0, FIRST_SECS + 4)
        s.close()

    def loris_http():
        # One byte, a pause past half the deadline, then the request line
        # and a header byte a second: HTTP's 10 s run from the accept.
        t0 = time.time()
        s = sock(d.http_port)
        s.sendall(b"G")
        time.sleep(6)
        s.sendall(b"ET /healthz HTTP/1.1\r\nHost: x\r\n")
        got = b""
        while time.time() < t0 + FIRST_SECS + 4:
            try:
                s.sendall(b"X")
            except OSError:
                break
            s.settimeout(1)
            try:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
            except socket.timeout:
                pass
            except OSError:
                break
        res["slow-loris HTTP"] = (time.time() - t0, got[:12])
        s.close()

    def loris_turn():
        # Half a STUN header, a pause, the rest of it and a body that
        # never ends: TURN's 10 s run from the accept.
        t0 = time.time()
        s = sock(d.turn_port)
        s.sendall(b"\x00\x01\x00\x20")
        time.sleep(6)
        s.sendall(b"\x21\x12\xa4\x42" + b"\x00" * 12 + b"\x00\x00")
        res["slow-loris TURN"] = closed_after(s, t0, FIRST_SECS + 4)
        s.close()

    def loris_tls_turn():
        t0 = time.time()
        s = sock(d.tls_port, tls=True)
        s.sendall(b"\x00\x01")
        time.sleep(6)
        s.sendall(b"\x00\x20\x21\x12\xa4\x42")
        res["slow-loris TURN over TLS"] = closed_after(s, t0,
                                                       FIRST_SECS + 4)
        s.close()

    def loris_hello():
        # The first byte of a TLS record, then one more every 3 s.
        t0 = time.time()
        s = sock(d.tls_port)
        hello = b"\x16\x03\x01\x00\xa5\x01"
        s.sendall(hello[:1])
        for b in hello[1:4]:
            time.sleep(3)
            try:
                s.sendall(bytes([b]))
            except OSError:
                break
        res["slow-loris ClientHello"] = closed_after(s, t0, FIRST_SECS + 4)
        s.close()

    fns = [silent_plain, silent_tcp_of_tls, silent_tls, loris_http,
           loris_turn, loris_tls_turn]
    names = ["silent plain", "silent before the TLS handshake",
             "silent after the TLS handshake", "slow-loris TURN",
             "slow-loris TURN over TLS"]
    if one_port:
        fns.append(loris_hello)
        names.append("slow-loris ClientHello")
    th = [threading.Thread(target=f) for f in fns]
    for x in th:
        x.start()
    for x in th:
        x.join()
    for name in names:
        secs = res.get(name)
        t.ok(secs is not None and FIRST_SECS - 1 <= secs <= FIRST_SECS + 1.5,
             "%s: dropped %d s after the accept" % (name, FIRST_SECS),
             "closed after %r s" % secs)
    secs, head = res.get("slow-loris HTTP", (None, b""))
    t.ok(secs is not None and secs <= FIRST_SECS + 1.5 and
         head.startswith(b"HTTP/1.1 408"),
         "slow-loris HTTP: 408 %d s after the accept" % FIRST_SECS,
         "after %r s: %r" % (secs, head))


def garbage(t, d):
    for name, port, tls, data in [
            ("0x80 and more on the plain port", d.turn_port, False,
             b"\x80\x81garbage garbage"),
            ("a TLS ClientHello on the plain port", d.http_port, False,
             b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03"),
            ("a STUN-like header without the cookie", d.turn_port, False,
             b"\x00\x01\x00\x00\xde\xad\xbe\xef" + b"\x00" * 12),
            ("garbage after the TLS handshake", d.tls_port, True,
             b"\xff\xfe garbage")]:
        t0 = time.time()
        s = sock(port, tls=tls)
        s.sendall(data)
        secs = closed_after(s, t0, 3)
        t.ok(secs is not None and secs < 2, "neither protocol (%s): closed"
             % name, "after %r s" % secs)
        s.close()
    t.ok('"event":"share_bad_first_bytes"' in d.log(),
         "neither protocol is a security event")
    t.ok(d.proc.poll() is None, "the daemon runs on after the garbage")


def flood(t):
    """The cap of undecided connections (an eighth of 1024 descriptors)
    evicts the oldest for newcomers; at EMFILE the shared listener pauses
    for a second instead of spinning, then serves again."""
    plain, tlsp = free_port(), free_port()
    conf = {"turn-port": str(plain), "http-port": str(plain),
            "tls-port": str(tlsp), "https-port": str(tlsp),
            "relay-threads": "1"}
    with Daemon(conf=conf, rlimits={resource.RLIMIT_NOFILE: (1024, 1024)}) \
            as d:
        socks = [sock(plain, src="127.0.1.%d" % (1 + i // 20))
                 for i in range(200)]
        time.sleep(0.5)
        gone = sum(1 for s in socks[:60] if closed_after(s, time.time(), 0.05)
                   is not None)
        t.ok(gone >= 50, "200 silent connections: the oldest undecided are "
             "evicted at the cap (%d of the first 60)" % gone)
        t.ok('"event":"share_conn_limit"' in d.log(), "the eviction is a "
             "security event")
        s = socket.create_connection(("127.0.0.1", plain), timeout=5,
                                     source_address=("127.0.0.99", 0))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
                  b"Connection: close\r\n\r\n")
        t.ok(recv_all(s).startswith(b"HTTP/1.1 200"), "HTTP is served "
             "during the flood")
        s.close()
        tcp = Stream(d, src="127.0.0.98")
        t.ok(allocated(tcp), "TURN over TCP is served during the flood")
        tcp.close()
        for s in socks:
            s.close()
    with Daemon(conf=conf, rlimits={resource.RLIMIT_NOFILE: (64, 64)}) as d:
        socks = []
        for i in range(64):
            try:
                socks.append(sock(plain, src="127.0.2.%d" % (1 + i // 20)))
            except OSError:
                break
        time.sleep(1.5)
        pauses = d.log().count("share: accept: Too many open files; "
                               "pausing for a second")
        t.ok(1 <= pauses <= 3, "EMFILE on the shared port: the listener "
             "pauses for a second (%d pauses in 1.5 s)" % pauses)
        for s in socks:
            s.close()
        time.sleep(1.2)
        t.eq(get(plain)[0], 200, "and serves again once descriptors are free")


def per_ip(t, d):
    # Undecided connections: PER_IP per client IP on the shared port.
    held = [sock(d.turn_port, src="127.0.0.7") for _ in range(PER_IP)]
    time.sleep(0.3)
    extra = sock(d.turn_port, src="127.0.0.7")
    secs = closed_after(extra, time.time(), 2)
    t.ok(secs is not None, "undecided: connection %d of one client IP is "
         "refused" % (PER_IP + 1))
    extra.close()
    other = sock(d.turn_port, src="127.0.0.9")
    t.eq(closed_after(other, time.time(), 0.5), None,
         "another client IP is let in")
    other.close()
    for s in held:
        s.close()
    # After the handoff: HTTP's own limit, 503 as on its own port.
    held = []
    for _ in range(PER_IP):
        s = sock(d.http_port, src="127.0.0.8")
        s.sendall(b"GET /healthz HTTP/1.1\r\n")     # HTTP, not whole yet
        held.append(s)
    time.sleep(0.3)
    extra = sock(d.http_port, src="127.0.0.8")
    extra.sendall(b"GET /healthz HTTP/1.1\r\n")
    extra.settimeout(3)
    try:
        head = extra.recv(64)
    except OSError:
        head = b""
    t.ok(head.startswith(b"HTTP/1.1 503"), "HTTP connection %d of one client "
         "IP on the shared port: 503, as on a port of its own" % (PER_IP + 1),
         repr(head))
    extra.close()
    for s in held:
        s.close()
    t.eq(get(d.http_port)[0], 200, "the others are served meanwhile")


async def welcome_order(t, d):
    a = await connect(d, "127.0.0.2")
    urls = a.welcome["iceServers"][0]["urls"]
    t.eq(urls, ["turn:127.0.0.1:%d?transport=udp" % d.turn_port,
                "turn:127.0.0.1:%d?transport=tcp" % d.turn_port,
                "turns:127.0.0.1:%d?transport=tcp" % d.tls_port],
         "welcome: UDP, then TCP, then TLS on the shared TLS port")
    await a.close()
    b = await connect(d, "127.0.0.3", tls=True, ssl=tls_ctx())
    t.eq(b.welcome.get("type"), "welcome", "WSS on the shared TLS port: "
         "a welcome")
    await b.close()


def main(t):
    plain, tlsp = free_port(), free_port()
    peer_port = free_port()
    conf = {"turn-port": str(plain), "http-port": str(plain),
            "tls-port": str(tlsp), "https-port": str(tlsp),
            "allowed-peer-ip": PEER_HOST}
    # The UDP echo peer of uclient, up before the daemon (a peer started
    # just before uclient may miss its first datagrams on a busy host).
    peer = peer_start(peer_port) if UCLIENT and PEER else None
    try:
        shared(t, conf, plain, tlsp, peer_port, peer)
    finally:
        if peer is not None:
            peer_stop(peer)
    flood(t)
    one_port(t, peer_port)
    # Any other collision is refused at start with the reason.
    port = free_port()
    with Daemon(conf={"turn-port": str(port), "tls-port": str(port)},
                wait_ready=False) as d:
        d.proc.wait(10)
        t.ok(d.proc.returncode not in (None, 0) and
             "tls-port: %d is also turn-port" % port in d.log(),
             "tls-port = turn-port: refused with the reason", d.log()[-400:])


def shared(t, conf, plain, tlsp, peer_port, peer):
    with Daemon(conf=conf) as d:
        t.ok("HTTP and STUN/TURN share TCP port %d" % plain in d.log() and
             "HTTPS and TURN over TLS share port %d" % tlsp in d.log(),
             "the daemon says which ports are shared")
        # The TLS port: HTTPS, WSS, TURN over TLS.
        t.eq(get(tlsp, tls=True), (200, b"ok\n"), "HTTPS /healthz on the "
             "shared TLS port (no ALPN)")
        t.eq(get(tlsp, tls=True, alpn=["h2", "http/1.1"]), (200, b"ok\n"),
             "HTTPS /healthz with ALPN h2,http/1.1")
        st = Stream(d, tls=True, alpn=["stun.turn"])
        t.eq(st.s.selected_alpn_protocol(), "stun.turn",
             "ALPN stun.turn is agreed (RFC 7443)")
        t.ok(allocated(st), "TURN over TLS with ALPN stun.turn: Allocate")
        st2 = Stream(d, tls=True)
        t.ok(allocated(st2), "TURN over TLS without ALPN: Allocate")
        t.eq(get(tlsp, tls=True)[0], 200, "HTTPS still served beside them")
        st.close()
        st2.close()
        asyncio.run(welcome_order(t, d))
        # The plain port: HTTP and TURN over TCP at once, UDP beside.
        tcp = Stream(d)
        t.ok(allocated(tcp), "TURN over TCP on the shared plain port: "
             "Allocate")
        t.eq(get(plain), (200, b"ok\n"), "HTTP /healthz on the same port "
             "while the TURN stream is open")
        msg, tid = message(BINDING, [])
        tcp.send(msg)
        t.eq(tcp.answer(tid)["type"], 0x0101, "and the TURN stream still "
             "answers (Binding over TCP)")
        tcp.close()
        u = Client(d, *d.credential("udp"))
        r = u.request(BINDING, [], auth=False)
        t.ok(r is not None and r["code"] == 0, "STUN over UDP on the same "
             "port number")
        u.close()
        if peer is None:
            t.ok(True, "# SKIP coturn's turnutils are not installed")
        else:
            rc, out = uclient(d, tlsp, peer_port, ["-t", "-S"], n=20, m=2)
            n, sr = lost(out), received(out)
            t.ok(rc == 0 and n == 0 and sr is not None and sr[0] > 0 and
                 sr[0] == sr[1], "turnutils_uclient -t -S on the shared "
                 "TLS port: 0 loss", "rc=%s lost=%s sent/received=%s\n%s"
                 % (rc, n, sr, out[-1500:]))
            rc, out = uclient(d, plain, peer_port, ["-t"], n=20, m=2)
            n, sr = lost(out), received(out)
            t.ok(rc == 0 and n == 0 and sr is not None and sr[0] > 0 and
                 sr[0] == sr[1], "turnutils_uclient -t on the shared plain "
                 "port: 0 loss", "rc=%s lost=%s\n%s" % (rc, n, out[-1500:]))
        # SIGHUP: the shared TLS port takes the certificate again, with
        # its ALPN choice.
        d.signal(signal.SIGHUP)
        d.wait_log("SIGHUP: configuration reloaded")
        st = Stream(d, tls=True, alpn=["http/1.1", "stun.turn"])
        t.ok(st.s.selected_alpn_protocol() == "stun.turn" and allocated(st)
             and get(tlsp, tls=True)[0] == 200, "after SIGHUP: ALPN "
             "stun.turn, TURN over TLS and HTTPS on the shared port")
        st.close()
        t.ok("shared TLS port keeps its certificate" not in d.log(),
             "the certificate reloaded without error")
        garbage(t, d)
        per_ip(t, d)
        timeouts(t, d)
        t.eq(get(plain)[0], 200, "HTTP still served at the end")
        t.ok(d.proc.poll() is None, "the daemon is still running")


def one_port(t, peer_port):
    """turn-port = tls-port = https-port (= http-port): everything on one
    port number, UDP included."""
    port = free_port()
    conf = {"turn-port": str(port), "tls-port": str(port),
            "https-port": str(port), "http-port": str(port),
            "allowed-peer-ip": PEER_HOST}
    peer = peer_start(peer_port) if UCLIENT and PEER else None
    try:
        with Daemon(conf=conf) as d:
            one_port_served(t, d, port, peer, peer_port)
    finally:
        if peer is not None:
            peer_stop(peer)
    # http-port elsewhere: plain HTTP on the one port is not served.
    port, http = free_port(), free_port(udp_too=False)
    conf = {"turn-port": str(port), "tls-port": str(port),
            "https-port": str(port), "http-port": str(http)}
    with Daemon(conf=conf) as d:
        t.ok("TURN over UDP, TCP and TLS, HTTPS share port %d" % port
             in d.log(), "one port, HTTP elsewhere: the daemon says so")
        t.eq(get(http)[0], 200, "HTTP on its own port")
        t.eq(get(port, tls=True)[0], 200, "HTTPS on the one port")
        tcp = Stream(d)
        t.ok(allocated(tcp), "TURN over TCP on the one port")
        tcp.close()
        s = sock(port)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        secs = closed_after(s, time.time(), 3)
        t.ok(secs is not None and secs < 2, "plain HTTP on the one port, "
             "http-port elsewhere: closed", "after %r s" % secs)
        s.close()


def one_port_served(t, d, port, peer, peer_port):
    t.ok("TURN over UDP, TCP and TLS, HTTPS and HTTP share port %d" % port
         in d.log(), "everything on one port: the daemon says so",
         d.log()[-600:])
    u = Client(d, *d.credential("udp"))
    r = u.request(BINDING, [], auth=False)
    t.ok(r is not None and r["code"] == 0, "one port: STUN Binding over "
         "UDP")
    r = u.allocate()
    t.ok(r is not None and r["code"] == 0, "one port: Allocate over UDP",
         repr(r and r.get("code")))
    u.close()
    tcp = Stream(d)
    t.ok(allocated(tcp), "one port: TURN over TCP, Allocate")
    st = Stream(d, tls=True, alpn=["stun.turn"])
    t.eq(st.s.selected_alpn_protocol(), "stun.turn", "one port: ALPN "
         "stun.turn agreed")
    t.ok(allocated(st), "one port: TURN over TLS (ALPN stun.turn), "
         "Allocate")
    st2 = Stream(d, tls=True)
    t.ok(allocated(st2), "one port: TURN over TLS without ALPN, Allocate")
    t.eq(get(port, tls=True), (200, b"ok\n"), "one port: HTTPS /healthz")
    t.eq(get(port, tls=True, alpn=["h2", "http/1.1"]), (200, b"ok\n"),
         "one port: HTTPS /healthz with ALPN h2,http/1.1")
    t.eq(get(port), (200, b"ok\n"), "one port: HTTP /healthz")
    msg, tid = message(BINDING, [])
    tcp.send(msg)
    t.eq(tcp.answer(tid)["type"], 0x0101, "one port: the TCP stream still "
         "answers beside HTTP(S)")
    for x in (tcp, st, st2):
        x.close()

    async def wss():
        b = await connect(d, "127.0.0.3", tls=True, ssl=tls_ctx())
        t.eq(b.welcome.get("type"), "welcome", "one port: WSS welcome")
        t.eq(b.welcome["iceServers"][0]["urls"],
             ["turn:127.0.0.1:%d?transport=udp" % port,
              "turn:127.0.0.1:%d?transport=tcp" % port,
              "turns:127.0.0.1:%d?transport=tcp" % port],
             "one port: the welcome offers UDP, TCP and TLS on it")
        await b.close()
    asyncio.run(wss())
    if peer is None:
        t.ok(True, "# SKIP coturn's turnutils are not installed")
        t.ok(True, "# SKIP coturn's turnutils are not installed")
    else:
        for extra, name in ((["-t", "-S"], "-t -S (TLS)"),
                            (["-t"], "-t (TCP)")):
            rc, out = uclient(d, port, peer_port, extra, n=20, m=2)
            n, sr = lost(out), received(out)
            t.ok(rc == 0 and n == 0 and sr is not None and sr[0] > 0 and
                 sr[0] == sr[1], "one port: turnutils_uclient %s, 0 loss"
                 % name, "rc=%s lost=%s sent/received=%s\n%s"
                 % (rc, n, sr, out[-1500:]))
    # SIGHUP: a ClientHello on the one port gets the certificate again.
    d.signal(signal.SIGHUP)
    d.wait_log("SIGHUP: configuration reloaded")
    st = Stream(d, tls=True, alpn=["http/1.1", "stun.turn"])
    t.ok(st.s.selected_alpn_protocol() == "stun.turn" and allocated(st)
         and get(port, tls=True)[0] == 200 and
         "shared TLS port keeps its certificate" not in d.log(),
         "one port, after SIGHUP: TURN over TLS and HTTPS")
    st.close()
    before = d.log().count('"event":"share_bad_first_bytes"')
    for name, tls, data in [
            ("0x80 and more", False, b"\x80\x81garbage garbage"),
            ("a TLS handshake record that is no ClientHello", False,
             b"\x16\x03\x01\x00\xa5\x02\x00\x00\xa1\x03\x03"),
            ("a STUN-like header without the cookie", False,
             b"\x00\x01\x00\x00\xde\xad\xbe\xef" + b"\x00" * 12),
            ("a second ClientHello inside TLS", True,
             b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03"),
            ("garbage after the TLS handshake", True, b"\xff\xfe garbage")]:
        t0 = time.time()
        s = sock(port, tls=tls)
        s.sendall(data)
        secs = closed_after(s, t0, 3)
        t.ok(secs is not None and secs < 2, "one port, neither protocol "
             "(%s): closed" % name, "after %r s" % secs)
        s.close()
    t.ok(d.log().count('"event":"share_bad_first_bytes"') > before,
         "one port: neither protocol is a security event")
    timeouts(t, d, one_port=True)
    t.eq(get(port, tls=True)[0], 200, "one port: HTTPS still served at the "
         "end")
    t.ok(d.proc.poll() is None, "one port: the daemon is still running")


if __name__ == "__main__":
    Tap().run(main)
