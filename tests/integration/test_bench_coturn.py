"""meetopia-bench against coturn's turnserver on loopback (REST secret,
use-auth-secret): client-to-client pairs over UDP and TCP, the built-in
echo peer, an external turnutils_peer, TLS and the max profile stream SRTP with
no loss and every packet decrypted and checked; a wrong secret is a
one-line runtime failure.  Skipped when coturn is not installed."""
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import BUILDDIR, free_port  # noqa: E402
from tap import Tap  # noqa: E402

BENCH = os.path.join(BUILDDIR, "meetopia-bench")
SECRET = "bench-test-secret-4711"

t = Tap()
if shutil.which("turnserver") is None or shutil.which("turnutils_peer") is None:
    t.skip_all("coturn is not installed (Debian package coturn)")


def ping(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.2)
    txid = os.urandom(12)
    try:
        s.sendto(struct.pack("!HHI", 1, 0, 0x2112A442) + txid,
                 ("127.0.0.1", port))
        return s.recv(2048)[8:20] == txid
    except OSError:
        return False
    finally:
        s.close()


def bench(port, *args, timeout=40):
    p = subprocess.run([BENCH, "-p", str(port), "--json", "-q"] + list(args),
                       capture_output=True, text=True, timeout=timeout)
    try:
        j = json.loads(p.stdout)
    except ValueError:
        j = None
    return p, j


def media_ok(t, p, j, what, allocations, max_loss_pct=0.0):
    if not t.ok(p.returncode == 0 and j is not None,
                "%s: exit 0 with a JSON report" % what,
                "rc=%s stderr=%r" % (p.returncode, p.stderr)):
        return
    t.ok(j["allocations"]["ok"] == allocations and
         j["client"]["ready"] == allocations,
         "%s: %d allocations ready" % (what, allocations), json.dumps(j))
    t.ok(j["packets"]["received"] > 0 and
         (j["loss"]["packets"] == 0 if max_loss_pct == 0 else
          j["loss"]["percent"] <= max_loss_pct),
         "%s: %d packets, %s lost" % (what, j["packets"]["received"],
                                       "0" if max_loss_pct == 0 else
                                       "at most %g%%" % max_loss_pct),
         json.dumps(j["packets"]) + json.dumps(j["loss"]))
    t.ok(j["check"]["result"] == "ok" and j["check"]["failed"] == 0,
         "%s: every packet decrypted and checked" % what,
         json.dumps(j["check"]))


def test(t):
    tmp = tempfile.mkdtemp(prefix="bench-coturn-")
    port = free_port()
    tls_port = free_port()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", os.path.join(tmp, "key.pem"), "-out",
                    os.path.join(tmp, "cert.pem"), "-subj", "/CN=localhost",
                    "-days", "1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=30)
    base = 20000 + (os.getpid() * 53) % 20000
    conf = os.path.join(tmp, "turnserver.conf")
    with open(conf, "w") as f:
        f.write("\n".join([
            "listening-ip=127.0.0.1", "relay-ip=127.0.0.1",
            "listening-port=%d" % port, "min-port=%d" % base,
            "max-port=%d" % (base + 199), "use-auth-secret",
            "static-auth-secret=%s" % SECRET, "realm=bench.test",
            "allowed-peer-ip=127.0.0.1", "allow-loopback-peers", "no-cli",
            "tls-listening-port=%d" % tls_port,
            "cert=%s/cert.pem" % tmp, "pkey=%s/key.pem" % tmp,
            "no-dtls", "log-file=%s/turn.log" % tmp, "simple-log",
            "pidfile=%s/turn.pid" % tmp, ""]))
    procs = []
    try:
        srv = subprocess.Popen(["turnserver", "-c", conf],
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        procs.append(srv)
        deadline = time.time() + 10
        while time.time() < deadline and not ping(port):
            time.sleep(0.1)
        if not t.ok(ping(port), "turnserver answers on 127.0.0.1:%d" % port):
            return

        p, j = bench(port, "--secret", SECRET, "-n", "4", "-d", "2")
        media_ok(t, p, j, "udp pairs 480p15", 4)
        if j:
            t.ok(abs(j["packets"]["received_per_second"] - 4 * 60) < 40,
                 "udp pairs 480p15: about 60 packets/s per stream",
                 j["packets"]["received_per_second"])
            t.eq(j["mode"], "pair", "report names the mode")
            t.ok(j["latency_ms"]["p99"] > 0 and j["jitter_ms"]["mean"] >= 0,
                 "latency and jitter reported")

        p, j = bench(port, "--secret", SECRET, "-n", "4", "-d", "2",
                     "-t", "tcp", "-P", "1080p30")
        media_ok(t, p, j, "tcp pairs 1080p30", 4)

        p, j = bench(tls_port, "--secret", SECRET, "-n", "4", "-d", "2",
                     "-t", "tls", "--ca", os.path.join(tmp, "cert.pem"))
        media_ok(t, p, j, "tls pairs (certificate verified)", 4)

        p, j = bench(port, "--secret", SECRET, "-n", "2", "-d", "2",
                     "-m", "peer", "--threads", "2")
        media_ok(t, p, j, "built-in echo peer, 2 threads", 2)
        if j:
            t.ok(j["packets"]["relayed"] >= 2 * j["packets"]["received"],
                 "echo: each packet relayed out and back")

        pport = free_port()
        peer = subprocess.Popen(["turnutils_peer", "-L", "127.0.0.1", "-p",
                                 str(pport)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        procs.append(peer)
        time.sleep(0.3)
        p, j = bench(port, "--secret", SECRET, "-n", "2", "-d", "2",
                     "--peer", "127.0.0.1:%d" % pport)
        media_ok(t, p, j, "external turnutils_peer", 2)

        p, j = bench(port, "--secret", SECRET, "-n", "4", "-d", "2",
                     "-P", "max", "--srtp", "openssl")
        # As fast as it goes: a socket may overflow on a busy machine.
        media_ok(t, p, j, "max profile, OpenSSL SRTP", 4, 1.0)

        p, j = bench(port, "--secret", SECRET, "-n", "2", "-d", "1",
                     "-P", "max", "--window", "8")
        media_ok(t, p, j, "max profile, libsrtp2", 2, 1.0)

        p, j = bench(port, "--secret", SECRET, "-n", "20", "-P", "none")
        t.ok(p.returncode == 0 and j and j["allocations"]["ok"] == 20
             and j["allocations"]["per_second"] > 0,
             "profile none: 20 allocations, a rate", p.stderr)

        p, j = bench(port, "--secret", "wrong-secret", "-n", "2", "-d", "1")
        t.ok(p.returncode == 1 and p.stderr.strip().splitlines()[-1]
             == "meetopia-bench: allocate: 401 Unauthorized",
             "wrong secret: exit 1, 'allocate: 401 Unauthorized'",
             "rc=%s stderr=%r" % (p.returncode, p.stderr))
    finally:
        for pr in procs:
            if pr.poll() is None:
                pr.send_signal(signal.SIGTERM)
                try:
                    pr.wait(5)
                except subprocess.TimeoutExpired:
                    pr.kill()
                    pr.wait()
        shutil.rmtree(tmp, ignore_errors=True)


t.run(test)
