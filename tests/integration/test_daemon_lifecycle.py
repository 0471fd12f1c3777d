"""The daemon's life: start, state dir and generated secrets, --check-config,
configuration errors (exit 2, file:line:key), SIGHUP reload report, graceful
stop on SIGTERM and SIGINT."""
import os
import signal
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon, MEETOPIAD  # noqa: E402
from tap import Tap  # noqa: E402


def run(args, env=None, timeout=10):
    e = {k: v for k, v in os.environ.items() if not k.startswith("MEETOPIA_")}
    e.update(env or {})
    p = subprocess.run([MEETOPIAD] + args, capture_output=True, text=True,
                       timeout=timeout, env=e)
    return p.returncode, p.stdout, p.stderr


def state_dir_and_secret(t):
    with Daemon(conf={"auth-secret": None}) as d:
        st = os.stat(d.state_dir)
        t.eq(stat.S_IMODE(st.st_mode), 0o700, "state dir created 0700")
        path = os.path.join(d.state_dir, "auth-secret")
        t.ok(os.path.exists(path), "auth secret generated on first start")
        t.eq(stat.S_IMODE(os.stat(path).st_mode), 0o600, "auth secret is 0600")
        with open(path) as f:
            secret = f.read().strip()
        t.ok(len(secret) == 64 and all(c in "0123456789abcdef" for c in secret),
             "secret is 32 random bytes in hex")
        t.eq(d.stop(), 0, "SIGTERM: exit 0")
        t.ok("stopped" in d.log(), "SIGTERM: stopped cleanly")
        d.start()
        with open(path) as f:
            t.eq(f.read().strip(), secret, "the secret is kept across restarts")
        d.signal(signal.SIGINT)
        d.proc.wait(10)
        t.eq(d.proc.returncode, 0, "SIGINT: exit 0")
        t.ok(not os.path.exists(os.path.join(d.state_dir, "cert.pem")),
             "no certificate generated while TLS is off")


def selfsigned_cert(t):
    with Daemon(tls=True) as d:
        cert = os.path.join(d.state_dir, "cert.pem")
        key = os.path.join(d.state_dir, "key.pem")
        t.ok(os.path.exists(cert) and os.path.exists(key),
             "self-signed certificate generated when TLS is on")
        t.eq(stat.S_IMODE(os.stat(key).st_mode), 0o600, "private key is 0600")
        out = subprocess.run(["openssl", "x509", "-in", cert, "-noout",
                              "-subject", "-ext", "subjectAltName"],
                             capture_output=True, text=True)
        t.ok("localhost" in out.stdout and "127.0.0.1" in out.stdout,
             "certificate names localhost and 127.0.0.1", out.stdout + out.stderr)


def check_config(t):
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "m.conf")
        with open(os.open(conf, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write("realm = fromfile\nauth-secret = a-very-secret-value-42\n"
                    "http-port = 8081\n")
        rc, out, err = run(["-c", conf, "--check-config", "--http-port=9090"],
                           env={"MEETOPIA_REALM": "fromenv"})
        t.eq(rc, 0, "--check-config exits 0 on a valid configuration")
        t.ok("a-very-secret-value-42" not in out, "--check-config masks secrets")
        t.ok("auth-secret = ********" in out, "--check-config shows the mask")
        t.ok("http-port = 9090" in out, "command line beats the file")
        t.ok("realm = fromenv" in out, "environment beats the file")
        t.ok("turn-port = 3478" in out, "defaults shown")
        t.ok(not os.path.exists(os.path.join(tmp, "var")),
             "--check-config creates nothing")

        with open(conf, "w") as f:
            f.write("realm = x\n\nturn-prot = 3478\n")
        rc, out, err = run(["-c", conf, "--check-config"])
        t.eq(rc, 2, "unknown key: exit 2")
        t.ok(("%s:3: turn-prot: unknown key" % conf) in err,
             "unknown key: error names file, line and key", err)
        t.eq(len(err.strip().splitlines()), 1, "the error is one line")
        t.ok(err.startswith("meetopiad: "), "the error starts with meetopiad:")

        with open(conf, "w") as f:
            f.write("max-bps = lots\n")
        rc, out, err = run(["-c", conf, "--state-dir", os.path.join(tmp, "s")])
        t.eq(rc, 2, "bad value: the daemon does not start (exit 2)")
        t.ok("max-bps" in err and not os.path.exists(os.path.join(tmp, "s")),
             "bad value: nothing created", err)

        rc, out, err = run(["-c", os.path.join(tmp, "missing.conf")])
        t.eq(rc, 2, "a missing -c file is refused")
        rc, out, err = run(["--frobnicate"])
        t.eq(rc, 2, "unknown option: exit 2")
        t.ok("--frobnicate: unknown option" in err, "unknown option named", err)
        rc, out, err = run(["stray"])
        t.eq(rc, 2, "stray argument: exit 2")
        rc, out, err = run(["--help"])
        t.ok(rc == 0 and "usage: meetopiad" in out, "--help")
        rc, out, err = run(["--version"])
        t.ok(rc == 0 and out.startswith("meetopiad "), "--version")


def sighup_reload(t):
    with Daemon() as d:
        with open(d.conf_path) as f:
            text = f.read()
        text = text.replace("realm = meetopia.test", "realm = changed.test")
        text = text.replace("turn-port = %d" % d.turn_port,
                            "turn-port = %d" % (d.turn_port + 1))
        with open(d.conf_path, "w") as f:
            f.write(text)
        d.signal(signal.SIGHUP)
        d.wait_log("configuration reloaded")
        log = d.log()
        t.ok("config: realm changed" in log, "SIGHUP reports a changed key")
        t.ok("config: turn-port cannot change without a restart" in log,
             "SIGHUP reports a key that cannot change live")
        with open(d.conf_path, "a") as f:
            f.write("bogus-key = 1\n")
        d.signal(signal.SIGHUP)
        d.wait_log("keeping the running one")
        t.ok(d.proc.poll() is None, "a bad config on SIGHUP keeps the daemon up")
        t.eq(d.stop(), 0, "stops cleanly after reloads")


t = Tap()
for fn in (state_dir_and_secret, selfsigned_cert, check_config, sighup_reload):
    try:
        fn(t)
    except Exception as e:  # a failure, not a crash of the test
        t.ok(False, "%s ran" % fn.__name__, repr(e))
t.done()
