"""meetopia-bench's command line: help, version, one-line usage errors with
exit 2, loopback only (server and peer), a server that is not there is a
runtime failure (exit 1) within a second, and its man page renders."""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import BUILDDIR, SRCDIR, free_port  # noqa: E402
from tap import Tap  # noqa: E402

BENCH = os.path.join(BUILDDIR, "meetopia-bench")


def run(*args, timeout=20):
    return subprocess.run([BENCH] + list(args), capture_output=True,
                          text=True, timeout=timeout)


def test(t):
    p = run("--help")
    t.ok(p.returncode == 0 and "usage: meetopia-bench" in p.stdout
         and "--profile" in p.stdout, "--help prints the usage, exit 0")
    p = run("--version")
    t.ok(p.returncode == 0 and p.stdout.startswith("meetopia-bench "),
         "--version prints the version")

    usage_cases = [
        (["--secret", "s", "-s", "10.0.0.1"], "server: not a loopback"),
        (["--secret", "s", "-s", "192.0.2.1"], "server: not a loopback"),
        (["--secret", "s", "-s", "::2"], "server: not a loopback"),
        (["--secret", "s", "-s", "localhost"], "server: not a literal"),
        (["--secret", "s", "--peer", "192.0.2.7:5000"], "peer: not a loopback"),
        (["--secret", "s", "--peer", "127.0.0.1"], "peer: not ADDR:PORT"),
        (["--secret", "s", "-n", "3"], "allocations: must be even"),
        (["--secret", "s", "-n", "0"], "allocations: too small"),
        (["--secret", "s", "-n", "12x"], "allocations: invalid"),
        (["--secret", "s", "-P", "4k"], "profile: must be"),
        (["--secret", "s", "--fps", "0"], "fps: too small"),
        (["--secret", "s", "-P", "max", "--fps", "5"], "fps: only with"),
        (["--secret", "s", "-t", "sctp"], "transport: must be"),
        (["--secret", "s", "--payload", "5000"], "payload: too large"),
        (["--secret", "s", "--srtp", "gnutls"], "srtp: must be"),
        (["-n", "2"], "credentials:"),
        (["--secret", "s", "--user", "u", "--password", "p"], "secret: either"),
        (["--secret", "s", "--id", "a:b"], "id: no ':'"),
        (["--secret", "s", "--bogus"], "--bogus: unknown option"),
        (["--secret", "s", "extra"], "extra: unexpected argument"),
        (["--secret", "s", "--ca", "/nonexistent/ca.pem", "-t", "tls"],
         "/nonexistent/ca.pem:"),
    ]
    for args, want in usage_cases:
        p = run(*args)
        lines = p.stderr.strip().splitlines()
        t.ok(p.returncode == 2 and len(lines) == 1
             and lines[0].startswith("meetopia-bench: " + want)
             and p.stdout == "",
             "usage error %r: exit 2, one line %r" % (args, want),
             "rc=%s stderr=%r stdout=%r" % (p.returncode, p.stderr, p.stdout))

    # Nothing listens on this port: ICMP unreachable ends it at once.
    port = free_port()
    t0 = time.time()
    p = run("--secret", "s", "-p", str(port), "-n", "2", "-d", "1", "-q")
    t.ok(p.returncode == 1 and time.time() - t0 < 5
         and p.stderr.strip().splitlines()[-1]
         == "meetopia-bench: allocate: connection refused",
         "no server: exit 1 with 'allocate: connection refused'",
         "rc=%s stderr=%r" % (p.returncode, p.stderr))

    page = os.path.join(SRCDIR, "doc", "meetopia-bench.1")
    if shutil.which("man") is not None:
        p = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", page],
                           capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, MANWIDTH="80"))
        t.ok(p.returncode == 0 and "meetopia-bench" in p.stdout
             and p.stderr.strip() == "",
             "meetopia-bench(1) renders without warnings", p.stderr)
        for opt in ("--secret", "--profile", "--peer", "--hold", "--window",
                    "--threads", "--srtp", "--json"):
            t.ok(opt.replace("-", "\\-").lstrip("\\") in open(page).read()
                 or opt in p.stdout, "meetopia-bench(1) documents %s" % opt)


Tap().run(test)
