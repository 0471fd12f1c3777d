#!/usr/bin/env python3
"""test_turn_tcp.py - coturn's turnutils_uclient relays through meetopiad
over TCP (-t) and TLS (-t -S) to turnutils_peer with 0 loss: channels
(padded ChannelData on the stream), Send indications, client to client
(-y), mandatory padding (-D).  The relayed side stays UDP, and every
allocation dies with its connection (the gauge is back to 0 when the
clients are gone).  A wrong secret over TCP is an auth failure with its
transport named.  TLS: 1.1 is refused with a protocol-version alert, and
SIGHUP swaps in a new certificate for new connections while a live TLS
allocation keeps its session and goes on relaying.

(uclient over TLS with -y loses a few packets against coturn 4.6.1 too:
its client pairs start sending before both TLS sessions are up; that case
is left out.)  Everything on loopback; every run is bounded with timeout.
"""
import hashlib
import os
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, free_port, metric  # noqa: E402
from coturn import (PEER, PEER_HOST, UCLIENT, lost, peer_start,  # noqa: E402
                    peer_stop, received, uclient)
from stun import (A_DATA, A_LIFETIME, A_PEER, CREATE_PERMISSION,  # noqa
                  DATA_INDICATION, INDICATION, REFRESH, SEND, message, xaddr)
from tap import Tap  # noqa: E402
from turnclient import Stream  # noqa: E402


def wait_metric(d, name, want, secs=5):
    deadline = time.time() + secs
    v = metric(d, name)
    while v != want and time.time() < deadline:
        time.sleep(0.1)
        v = metric(d, name)
    return v


def make_cert(dirname, cn):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", os.path.join(dirname, "key.pem"),
                    "-out", os.path.join(dirname, "cert.pem"), "-subj",
                    "/CN=" + cn, "-days", "1"], check=True,
                   capture_output=True, timeout=60)


def server_cert(port):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        with ctx.wrap_socket(s) as t:
            return hashlib.sha256(t.getpeercert(binary_form=True)).hexdigest()


def old_tls(port):
    """A TLS 1.1-only handshake: the error it ends with."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.TLSv1_1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    except (ValueError, ssl.SSLError) as e:
        return "client cannot: %s" % e
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            with ctx.wrap_socket(s):
                return "connected"
    except (ssl.SSLError, OSError) as e:
        return str(e)


def data_of(c):
    """The payload of the next Data indication on stream c, or None."""
    try:
        for _ in range(5):
            f = c.frame(3)
            if f[0] == "stun" and f[1]["type"] == DATA_INDICATION:
                return f[1]["attrs"].get(A_DATA)
    except (OSError, EOFError):
        pass
    return None


def live_tls_allocation(t, d):
    """A TURN allocation over TLS with a permission for a UDP peer on
    PEER_HOST, relaying both ways: (stream, peer socket, relayed
    address), or Nones when it does not work."""
    c = Stream(d, tls=True)
    rel = c.allocate()
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind((PEER_HOST, 0))
    peer.settimeout(3)
    pa = peer.getsockname()
    r = c.request(CREATE_PERMISSION, lambda tid: [(A_PEER, xaddr(*pa, tid))])
    peer.sendto(b"before the reload", rel)
    ok = t.ok(r["code"] == 0 and data_of(c) == b"before the reload",
              "a TLS allocation relays before the reload")
    if not ok:
        c.close()
        peer.close()
        return None, None, None
    return c, peer, rel


def still_relays(t, c, peer, rel, cert):
    """After SIGHUP swapped the certificate: the open TLS connection keeps
    its session and its allocation refreshes and relays both ways."""
    t.eq(hashlib.sha256(c.s.getpeercert(binary_form=True)).hexdigest(), cert,
         "SIGHUP: the open TLS connection keeps its session")
    r = c.request(REFRESH, [(A_LIFETIME, struct.pack("!I", 600))])
    t.eq(r["code"], 0, "SIGHUP: the live TLS allocation still refreshes")
    peer.sendto(b"after the reload", rel)
    t.eq(data_of(c), b"after the reload",
         "SIGHUP: the live TLS allocation still relays peer -> client")
    msg, _ = message(SEND, [(A_PEER, xaddr(*peer.getsockname(),
                                           b"\x01" * 12)),
                            (A_DATA, b"up after the reload")],
                     tid=b"\x01" * 12, cls=INDICATION)
    c.send(msg)
    try:
        got = peer.recvfrom(2048)[0]
    except OSError as e:
        got = repr(e)
    t.eq(got, b"up after the reload",
         "SIGHUP: the live TLS allocation still relays client -> peer")


def main(t):
    if UCLIENT is None or PEER is None:
        t.skip_all("coturn's turnutils are not installed")
    tmp = tempfile.mkdtemp(prefix="meetopia-tcp-")
    make_cert(tmp, "first.test")
    peer_port = free_port()
    peer = peer_start(peer_port)
    try:
        conf = {"allowed-peer-ip": PEER_HOST,
                "cert": os.path.join(tmp, "cert.pem"),
                "pkey": os.path.join(tmp, "key.pem")}
        with Daemon(conf=conf, tls=True) as d:
            t.ok("TLS on port %d" % d.tls_port in d.log(),
                 "TCP and TLS listeners announced")
            for name, extra, port in [
                    ("TCP channels (ChannelBind, padded ChannelData)",
                     ["-t"], d.turn_port),
                    ("TCP Send and Data indications (-s)", ["-t", "-s"],
                     d.turn_port),
                    ("TCP client to client (-y)", ["-t", "-y"], d.turn_port),
                    ("TCP client to client, Send indications (-y -s)",
                     ["-t", "-y", "-s"], d.turn_port),
                    ("TCP mandatory padding (-D), no RTCP (-c)",
                     ["-t", "-D", "-c"], d.turn_port),
                    ("TLS channels (-S)", ["-t", "-S"], d.tls_port),
                    ("TLS Send and Data indications (-S -s)",
                     ["-t", "-S", "-s"], d.tls_port)]:
                rc, out = uclient(d, port, peer_port, extra)
                n = lost(out)
                sr = received(out)
                t.ok(rc == 0 and n == 0 and sr is not None and sr[0] > 0
                     and sr[0] == sr[1],
                     "uclient %s: 0 loss" % name,
                     "rc=%s lost=%s sent/received=%s\n%s"
                     % (rc, n, sr, out[-1500:]))

            t.ok(metric(d, "meetopia_turn_relayed_packets_total") >= 2800,
                 "relayed packets are counted")
            t.ok(metric(d, "meetopia_turn_allocations_total") >= 28,
                 "allocations are counted")
            left = wait_metric(d, "meetopia_turn_allocations", 0)
            t.ok(left == 0, "every allocation died with its connection "
                 "(%d left)" % left)

            before = metric(d, "meetopia_turn_auth_failures_total")
            rc, out = uclient(d, d.turn_port, peer_port, ["-t"],
                              secret="not-the-secret-at-all", n=5, m=1,
                              timeout=4)
            t.ok(lost(out) is None or received(out) == (0, 0),
                 "TCP: a wrong secret relays nothing", out[-800:])
            t.ok(metric(d, "meetopia_turn_auth_failures_total") > before,
                 "TCP: the auth failure is counted")
            t.ok(re.search(r'"event":"turn_auth_failed".*"transport":"tcp"',
                           d.log()) is not None,
                 "TCP: the auth failure is a security event naming tcp")

            why = old_tls(d.tls_port)
            t.ok("PROTOCOL_VERSION" in why.upper(),
                 "TLS 1.1 is refused with a protocol version alert", why)

            first = server_cert(d.tls_port)
            live, udp, rel = live_tls_allocation(t, d)
            make_cert(tmp, "second.test")
            d.signal(signal.SIGHUP)
            d.wait_log("TLS certificate reloaded", 10)
            second = server_cert(d.tls_port)
            t.ok(first != second, "SIGHUP: new TLS connections get the new "
                 "certificate")
            if live is not None:
                still_relays(t, live, udp, rel, first)
                live.close()
                udp.close()
            rc, out = uclient(d, d.tls_port, peer_port, ["-t", "-S"], n=20,
                              m=1)
            t.ok(rc == 0 and lost(out) == 0,
                 "TLS relays after the reload", out[-800:])
            t.ok(d.proc.poll() is None, "the daemon is still running")
    finally:
        peer_stop(peer)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    Tap().run(main)
