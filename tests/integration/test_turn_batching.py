#!/usr/bin/env python3
"""test_turn_batching.py - the relay sends in batches (issue: performance):
while meetopia-bench streams SRTP between pairs of allocations as fast as
the relay takes it, meetopiad runs under strace(1), which counts its send
system calls.  What a received batch makes the relay send leaves with
sendmmsg(2), so there are far fewer send calls than relayed datagrams
(without batching there is one sendmsg or sendto per datagram), and every
packet still arrives and passes the SRTP check.  Loopback only.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILDDIR, Daemon  # noqa: E402
from tap import Tap  # noqa: E402

BENCH = os.path.join(BUILDDIR, "meetopia-bench")
SENDS = ("sendmmsg", "sendmsg", "sendto")


def counts(path):
    """Calls per syscall from strace -c's table."""
    out = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 5 and parts[-1] in SENDS:
                out[parts[-1]] = int(parts[3])
    return out


def daemon_pid(tracer):
    """meetopiad's pid: the child of strace."""
    for _ in range(50):
        try:
            with open("/proc/%d/task/%d/children" % (tracer, tracer)) as f:
                kids = f.read().split()
            if kids:
                return int(kids[0])
        except OSError:
            pass
        time.sleep(0.1)
    return None


def main(t):
    if shutil.which("strace") is None:
        t.skip_all("strace is not installed (tools/install-deps.sh --test)")
    probe = subprocess.run(["strace", "-f", "-qq", "-c", "-o", os.devnull,
                            "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        t.skip_all("strace cannot trace here (no ptrace): %s"
                   % probe.stderr.strip()[:200])
    tmp = tempfile.mkdtemp(prefix="meetopia-strace-")
    trace = os.path.join(tmp, "strace.txt")
    prefix = ["strace", "-f", "-qq", "-c", "-o", trace,
              "-e", "trace=" + ",".join(SENDS)]
    # LeakSanitizer cannot run under ptrace: leaks are checked by the
    # other tests.
    asan = os.environ.get("ASAN_OPTIONS", "")
    d = Daemon(conf={"allowed-peer-ip": "127.0.0.1", "user-quota": "0"},
               prefix=prefix, timeout=60,
               env={"ASAN_OPTIONS": (asan + ":" if asan else "") +
                    "detect_leaks=0"})
    try:
        with d:
            p = subprocess.run(
                [BENCH, "-p", str(d.turn_port), "--secret", d.secret,
                 "--json", "-q", "-n", "8", "-P", "max", "--srtp",
                 "openssl", "-d", "3"],
                capture_output=True, text=True, timeout=120)
            try:
                j = json.loads(p.stdout)
            except ValueError:
                j = None
            t.ok(p.returncode == 0 and j is not None, "meetopia-bench ran "
                 "under a traced meetopiad", p.stderr[-2000:])
            pid = daemon_pid(d.proc.pid)
            t.ok(pid is not None, "found meetopiad under strace")
            if pid is not None:
                os.kill(pid, signal.SIGTERM)
            d.proc.wait(60)
        if j is None:
            return
        relayed = j["packets"]["received"]
        c = counts(trace)
        calls = sum(c.values())
        t.diag("figures: %d datagrams relayed with %s send calls (%s)"
               % (relayed, calls, c))
        t.ok(relayed > 1000, "media flowed (%d packets)" % relayed)
        t.ok(j["check"]["failed"] == 0 and j["client"]["junk"] == 0,
             "every packet decrypted and checked")
        t.ok(c.get("sendmmsg", 0) > 0, "the relay sends with sendmmsg")
        t.ok(calls * 2 < relayed, "at least two datagrams a send call on "
             "average (%d calls for %d datagrams)" % (calls, relayed))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    Tap().run(main)
