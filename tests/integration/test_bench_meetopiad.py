"""meetopia-bench against meetopiad (the harness's daemon on loopback):
client-to-client pairs over UDP and TCP, the built-in echo peer and the max
profile stream SRTP through our relay with no loss and every packet
decrypted and checked; allocations are deallocated at the end.  Skipped
only while the relay has no sources (relay/*.c)."""
import json
import glob
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import BUILDDIR, SRCDIR, Daemon  # noqa: E402
from tap import Tap  # noqa: E402

BENCH = os.path.join(BUILDDIR, "meetopia-bench")

t = Tap()


def bench(d, *args, timeout=60):
    p = subprocess.run([BENCH, "-p", str(d.turn_port), "--secret", d.secret,
                        "--json", "-q"] + list(args),
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
    t.ok(j["check"]["result"] == "ok" and j["check"]["failed"] == 0
         and j["client"]["junk"] == 0,
         "%s: every packet decrypted and checked, nothing malformed" % what,
         json.dumps(j["check"]) + json.dumps(j["client"]))


def test(t):
    # The built-in echo peer is on 127.0.0.2 (127.0.0.1 is this host).
    with Daemon(conf={"allowed-peer-ip": "127.0.0.2"}) as d:
        p, j = bench(d, "-n", "4", "-d", "2")
        media_ok(t, p, j, "udp pairs 480p15", 4)
        if j:
            t.ok(abs(j["packets"]["received_per_second"] - 4 * 60) < 40,
                 "udp pairs 480p15: about 60 packets/s per stream",
                 j["packets"]["received_per_second"])

        # TURN over TCP is issue 4: run it once the relay has a stream
        # transport.
        if glob.glob(os.path.join(SRCDIR, "relay", "tcp*.c")):
            p, j = bench(d, "-n", "4", "-d", "2", "-t", "tcp", "-P", "1080p30")
            media_ok(t, p, j, "tcp pairs 1080p30", 4)

        p, j = bench(d, "-n", "4", "-d", "2", "-P", "audio", "--fps", "10")
        media_ok(t, p, j, "udp pairs audio at 10 packets/s", 4)
        if j:
            t.ok(abs(j["packets"]["received_per_second"] - 4 * 10) < 8,
                 "audio --fps 10: about 10 packets/s per stream",
                 j["packets"]["received_per_second"])

        p, j = bench(d, "-n", "2", "-d", "2", "-m", "peer")
        media_ok(t, p, j, "built-in echo peer", 2)

        p, j = bench(d, "-n", "4", "-d", "2", "-P", "max", "--srtp",
                     "openssl")
        media_ok(t, p, j, "max profile", 4, 1.0)

        p, j = bench(d, "-n", "2", "-d", "1", "--secret", "not-the-secret")
        t.ok(p.returncode == 1 and "401" in p.stderr,
             "a forged credential gets 401: exit 1", p.stderr)


t.run(test)
