#!/usr/bin/env python3
"""test_stun_client.py - coturn's turnutils_stunclient gets its reflexive
address from meetopiad's TURN port (Binding without credentials, RFC 8489
§6.3.1), over IPv4 and IPv6 loopback.
"""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon  # noqa: E402
from tap import Tap  # noqa: E402

STUNCLIENT = shutil.which("turnutils_stunclient")


def stun(host, port):
    p = subprocess.run(["timeout", "10", STUNCLIENT, "-p", str(port), host],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=20)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def main(t):
    if STUNCLIENT is None:
        t.skip_all("coturn's turnutils_stunclient is not installed")
    with Daemon(conf={"listen": ["127.0.0.1", "::1"]}) as d:
        rc, out = stun("127.0.0.1", d.turn_port)
        m = re.search(r"UDP reflexive addr: 127\.0\.0\.1:(\d+)", out)
        t.ok(rc == 0 and m is not None, "stunclient over IPv4: reflexive "
             "address 127.0.0.1", out)
        rc, out = stun("::1", d.turn_port)
        m = re.search(r"UDP reflexive addr: \[?::1\]?:(\d+)", out)
        t.ok(rc == 0 and m is not None, "stunclient over IPv6: reflexive "
             "address ::1", out)
        t.ok("turn_auth" not in d.log(), "Binding needs no credentials "
             "(no auth event)")


if __name__ == "__main__":
    Tap().run(main)
