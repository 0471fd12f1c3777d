#!/usr/bin/env python3
"""A configuration file that holds a secret and that other users may read
is refused (SPEC "Configuration"; issue 15, point 5), at start-up and on
SIGHUP, like a state-dir secret with a loose mode.

Start-up: auth-secret (or api-key) in a 0644 or 0640 file: exit 2 with one
line naming the file, the key and the mode, nothing created; the same file
at 0600 starts.  A file without a secret may stay 0644.  --check-config
refuses it too.  SIGHUP: the file made 0644 with a new realm is refused,
the log says why and that the running configuration stays, the old realm
is still the one a TURN client is told; back at 0600 the reload is taken.
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import MEETOPIAD, Daemon, free_port  # noqa: E402
from tap import Tap  # noqa: E402
from stun import A_REALM, ALLOCATE, A_TRANSPORT, Client  # noqa: E402

SECRET_LINE = "auth-secret = a-very-secret-value-42\n"


def write(path, text, mode):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def run(args, timeout=10):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MEETOPIA_")}
    p = subprocess.Popen([MEETOPIAD] + args + (["--allow-root"]
                         if os.geteuid() == 0 else []),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=env)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=10)
        return None, out, err
    return p.returncode, out, err


def startup(t):
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "m.conf")
        state = os.path.join(tmp, "s")
        ports = ("listen = 127.0.0.1\nturn-port = %d\nhttp-port = %d\n"
                 "tls-port = 0\n" % (free_port(), free_port(udp_too=False)))
        for mode in (0o644, 0o640):
            write(conf, "realm = x\n" + SECRET_LINE + ports, mode)
            rc, out, err = run(["-c", conf, "--state-dir", state])
            t.eq(rc, 2, "auth-secret in a %03o file: the daemon does not "
                 "start (exit 2)" % mode)
            t.ok(err.strip().count("\n") == 0 and conf in err and
                 "auth-secret" in err and "mode %03o" % mode in err and
                 "chmod 600" in err, "one line naming the file, the key, "
                 "the mode and the fix", err)
            t.ok(not os.path.exists(state), "nothing created")
        write(conf, "api-key = another-secret-value-456\n" + ports, 0o644)
        rc, out, err = run(["-c", conf, "--check-config"])
        t.ok(rc == 2 and "api-key" in err, "api-key in a 0644 file: "
             "--check-config refuses it (exit 2)", err)
        write(conf, "realm = x\n" + SECRET_LINE + ports, 0o600)
        rc, out, err = run(["-c", conf, "--check-config"])
        t.eq(rc, 0, "the same file at 0600: valid")
        write(conf, "realm = x\n" + ports, 0o644)
        rc, out, err = run(["-c", conf, "--check-config"])
        t.eq(rc, 0, "a file without a secret may be 0644")


def realm_of(d):
    """The realm of the 401 an unauthenticated Allocate gets."""
    c = Client(d, "x", "y")
    r = c.request(ALLOCATE, [(A_TRANSPORT, b"\x11\0\0\0")], auth=False)
    c.close()
    return r and r["attrs"].get(A_REALM, b"").decode()


def wait_count(d, text, n, secs=10):
    deadline = time.time() + secs
    while time.time() < deadline:
        if d.log().count(text) >= n:
            return True
        time.sleep(0.05)
    return False


def reload(t):
    with Daemon() as d:
        t.eq(os.stat(d.conf_path).st_mode & 0o777, 0o600,
             "the harness writes its configuration (with auth-secret) 0600")
        t.eq(realm_of(d), "meetopia.test", "the realm of the file")
        with open(d.conf_path) as f:
            text = f.read()
        write(d.conf_path, text.replace("realm = meetopia.test",
                                        "realm = changed.test"), 0o644)
        d.signal(signal.SIGHUP)
        t.ok(wait_count(d, "keeping the running one", 1), "SIGHUP with "
             "the file at 0644: the reload is refused")
        log = d.log()
        t.ok("%s: holds auth-secret and other users may read it (mode 644)"
             % d.conf_path in log, "the log says which file and why",
             log[-1500:])
        t.eq(realm_of(d), "meetopia.test", "the running configuration "
             "stays (the old realm)")
        t.ok(d.proc.poll() is None, "the daemon runs on")
        os.chmod(d.conf_path, 0o600)
        d.signal(signal.SIGHUP)
        t.ok(wait_count(d, "configuration reloaded", 1), "back at 0600: "
             "reloaded")
        t.eq(realm_of(d), "changed.test", "the new realm is taken")
        t.eq(d.stop(), 0, "stops cleanly")


def main(t):
    startup(t)
    reload(t)


if __name__ == "__main__":
    Tap().run(main)
