"""make install DESTDIR=... installs the programs, the sample configuration,
the man pages, the systemd unit, logrotate and the web client; the unit
carries the sandboxing operators expect."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import BUILDDIR, SRCDIR  # noqa: E402
from tap import Tap  # noqa: E402

t = Tap()
with tempfile.TemporaryDirectory() as dest:
    p = subprocess.run(["make", "-s", "-C", BUILDDIR, "install-exec",
                        "install-data", "DESTDIR=" + dest],
                       capture_output=True, text=True, timeout=300)
    t.eq(p.returncode, 0, "make install DESTDIR succeeds")
    if p.returncode:
        t.diag(p.stdout[-2000:] + p.stderr[-2000:])
    found = []
    for root, _, files in os.walk(dest):
        for f in files:
            found.append(os.path.relpath(os.path.join(root, f), dest))

    def has(suffix):
        return any(x.endswith(suffix) for x in found)

    want = ["sbin/meetopiad", "etc/meetopia/meetopia.conf",
            "man8/meetopiad.8", "man5/meetopia.conf.5",
            "lib/systemd/system/meetopiad.service", "etc/logrotate.d/meetopia"]
    if os.path.exists(os.path.join(SRCDIR, "meetopiactl.c")):
        want += ["bin/meetopiactl", "man8/meetopiactl.8"]
    if os.path.exists(os.path.join(SRCDIR, "tools", "meetopia-bench.c")):
        want += ["bin/meetopia-bench"]
    if os.path.exists(os.path.join(SRCDIR, "signaling", "web", "index.html")):
        want += ["share/meetopia/web/index.html"]
    if os.path.isdir(os.path.join(SRCDIR, "etc", "cluster")):
        want += ["examples/cluster/docker-compose.yml",
                 "examples/cluster/node1.conf",
                 "examples/cluster/meetopiad.service.d/cluster.conf"]
    for w in want:
        t.ok(has(w), "installs %s" % w)
    unit = [x for x in found if x.endswith("meetopiad.service")]
    if unit:
        text = open(os.path.join(dest, unit[0])).read()
        for d in ("NoNewPrivileges=yes", "ProtectSystem=strict",
                  "PrivateTmp=yes",
                  "AmbientCapabilities=CAP_NET_BIND_SERVICE\n",
                  "CapabilityBoundingSet=CAP_NET_BIND_SERVICE\n",
                  "StateDirectory=meetopia"):
            t.ok(d in text, "the unit sets %s" % d.strip())
        t.ok("@sbindir@" not in text and "/sbin/meetopiad" in text,
             "the unit names the installed daemon")
t.done()
