"""harness.py - start meetopiad on free loopback ports for a test.

    from harness import Daemon
    with Daemon(conf={"allowed-peer-ip": "127.0.0.1"}) as d:
        d.turn_port, d.http_port, d.tls_port, d.https_port, d.state_dir
        d.secret                   # the auth secret (set in the config)
        d.credential("alice")      # (username, password) valid for an hour
        d.log()                    # what the daemon wrote to stderr so far
        d.signal(signal.SIGHUP); d.stop() -> exit code

Under MTEST_VALGRIND=1 (make check-valgrind) the daemon runs under
valgrind's memcheck; a daemon that exits with 99 (valgrind's errors or leaks,
or AddressSanitizer's in a sanitizer build) adds a failing TAP line.

Ports come from the kernel (bind to port 0, then release), UDP and TCP both
free for the TURN port; every process started here is killed at exit, even
when the test fails.  Only loopback addresses are used.
"""
import base64
import hashlib
import hmac
import ipaddress
import os
import resource
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

BUILDDIR = os.environ.get("MTEST_BUILDDIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
SRCDIR = os.environ.get("MTEST_SRCDIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
MEETOPIAD = os.path.join(BUILDDIR, "meetopiad")
MEETOPIACTL = os.path.join(BUILDDIR, "meetopiactl")

_reserved = []


# The daemon's "meetopiad VERSION ready" line: the end of the line, since
# "Address already in use" contains "ready" too.
READY = " ready\n"


def free_port(udp_too=True, host="127.0.0.1"):
    """A port free for TCP (and UDP) on host, held briefly to avoid reuse."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(100):
        t = socket.socket(fam, socket.SOCK_STREAM)
        t.bind((host, 0))
        port = t.getsockname()[1]
        if port in _reserved or port >= 49152:
            t.close()
            continue
        if udp_too:
            u = socket.socket(fam, socket.SOCK_DGRAM)
            try:
                u.bind((host, port))
            except OSError:
                t.close()
                u.close()
                continue
            u.close()
        t.close()
        _reserved.append(port)
        return port
    raise RuntimeError("no free port")


def rest_credential(secret, name, ttl=3600, now=None):
    """TURN REST credential: EXPIRY:NAME and base64(HMAC-SHA1(secret, user))."""
    expiry = int(now if now is not None else time.time()) + ttl
    user = "%d:%s" % (expiry, name) if name else "%d" % expiry
    mac = hmac.new(secret.encode(), user.encode(), hashlib.sha1).digest()
    return user, base64.b64encode(mac).decode()


class Daemon:
    SECRET = "integration-test-secret-0123456789"

    def __init__(self, conf=None, args=None, env=None, tls=False, https=False,
                 wait_ready=True, timeout=15, rlimits=None, prefix=None):
        self.conf = dict(conf or {})
        # A command to run meetopiad under (strace, say); self.proc is then
        # that command's process.
        self.prefix = list(prefix or [])
        # {resource.RLIMIT_X: (soft, hard)} for the daemon's process.
        self.rlimits = dict(rlimits or {})
        self.args = list(args or [])
        self.env = env
        self.tls = tls
        self.https = https
        self.wait_ready = wait_ready
        self.timeout = timeout
        self.proc = None
        self.valgrind = os.environ.get("MTEST_VALGRIND") == "1"
        if self.valgrind:
            self.timeout = max(self.timeout, 90)
        self._tmp = tempfile.TemporaryDirectory(prefix="meetopia-test-")
        self.state_dir = os.path.join(self._tmp.name, "state")
        self.conf_path = os.path.join(self._tmp.name, "meetopia.conf")
        self.log_path = os.path.join(self._tmp.name, "stderr.log")
        self.secret = self.conf.get("auth-secret", self.SECRET)

    # -- configuration -------------------------------------------------
    def _write_conf(self):
        c = {"listen": "127.0.0.1", "realm": "meetopia.test",
             "auth-secret": self.secret, "min-port": "0", "max-port": "0"}
        c.update(self.conf)
        if "turn-port" not in c:
            c["turn-port"] = str(free_port())
        if "http-port" not in c:
            c["http-port"] = str(free_port(udp_too=False))
        if "tls-port" not in c:
            c["tls-port"] = str(free_port(udp_too=True)) if self.tls else "0"
        if "https-port" not in c:
            c["https-port"] = str(free_port(udp_too=False)) if self.https else "0"
        if c["min-port"] == "0":
            # A relay port range of our own, away from other tests.
            base = 20000 + (os.getpid() * 37 + len(_reserved) * 301) % 25000
            c["min-port"], c["max-port"] = str(base), str(base + 299)
        self.turn_port = int(c["turn-port"])
        self.http_port = int(c["http-port"])
        self.tls_port = int(c["tls-port"])
        self.https_port = int(c["https-port"])
        self.min_port, self.max_port = int(c["min-port"]), int(c["max-port"])
        # 0600: meetopiad refuses a file with a secret that other users
        # may read (SPEC).
        fd = os.open(self.conf_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                     0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as f:
            for k, v in c.items():
                if v is None:
                    continue
                for item in (v if isinstance(v, (list, tuple)) else [v]):
                    f.write("%s = %s\n" % (k, item))

    def credential(self, name="test", ttl=3600, secret=None, now=None):
        return rest_credential(secret or self.secret, name, ttl, now)

    # -- process -------------------------------------------------------
    def start(self):
        self._write_conf()
        env = dict(os.environ)
        for k in list(env):
            if k.startswith("MEETOPIA_"):
                del env[k]
        if self.env:
            env.update(self.env)
        self._logf = open(self.log_path, "wb")
        prefix = list(self.prefix)
        if self.valgrind and not prefix:
            prefix = ["valgrind", "--quiet", "--leak-check=full",
                      "--show-leak-kinds=definite,indirect",
                      "--errors-for-leak-kinds=definite,indirect",
                      "--error-exitcode=99", "--log-file=%s.vg" % self.log_path]
        limits = dict(self.rlimits)

        def preexec():
            for res, lim in limits.items():
                resource.setrlimit(res, lim)
        self.proc = subprocess.Popen(
            prefix + [MEETOPIAD, "-c", self.conf_path, "--state-dir", self.state_dir]
            + (["--allow-root"] if os.geteuid() == 0 and "user" not in self.conf
               else []) + self.args, stdout=subprocess.DEVNULL, stderr=self._logf,
            env=env, preexec_fn=preexec if limits else None)
        if self.wait_ready:
            self.wait_log(READY, self.timeout)
        return self

    def wait_log(self, text, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if text in self.log():
                return True
            if self.proc.poll() is not None:
                raise RuntimeError("meetopiad exited with %s:\n%s"
                                   % (self.proc.returncode, self.log()))
            time.sleep(0.02)
        raise RuntimeError("meetopiad: no %r within %ss:\n%s"
                           % (text, timeout, self.log()))

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=10):
        """SIGTERM, wait; returns the exit code (kills after timeout).
        A daemon still draining allocations after a second gets a second
        SIGTERM, which stops it at once (test_daemon_drain.py tests the
        drain itself)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                try:
                    self.proc.wait(1)
                except subprocess.TimeoutExpired:
                    self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        try:
            if self.proc is not None:
                rc = self.stop(timeout=60 if self.valgrind else 10)
                if rc == 99:
                    vg = ""
                    if os.path.exists(self.log_path + ".vg"):
                        vg = open(self.log_path + ".vg").read()
                    print("not ok - meetopiad exited 99: sanitizer or valgrind "
                          "errors or leaks", flush=True)
                    for line in (self.log()[-3000:] + vg[-6000:]).splitlines():
                        print("#   " + line, flush=True)
        finally:
            if self.proc is not None:
                self._logf.close()
            self._tmp.cleanup()
        return False


def ctl(d, *args):
    """meetopiactl on d's config and state dir, without MEETOPIA_*
    variables of the caller's environment: the CompletedProcess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEETOPIA_")}
    return subprocess.run([MEETOPIACTL, "-c", d.conf_path, "--state-dir",
                           d.state_dir] + list(args), capture_output=True,
                          text=True, timeout=30, env=env)


def pseudonym(state_dir, addr):
    """The pseudonym of a client address, computed here from the state
    dir's pseudonym-secret: HMAC-SHA256 (keyed by SHA-256 of the secret)
    of the /32 or /64 address, as 32 hex digits."""
    with open(os.path.join(state_dir, "pseudonym-secret"), "rb") as f:
        key = hashlib.sha256(f.read().strip()).digest()
    ip = ipaddress.ip_address(addr)
    msg = b"\x04" + ip.packed if ip.version == 4 else b"\x06" + ip.packed[:8]
    return hmac.new(key, msg, hashlib.sha256).hexdigest()[:32]


def metric(d, name):
    """The value of a Prometheus metric of d, summed over its labels (0
    when it is not there)."""
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % d.http_port,
                                timeout=5) as r:
        text = r.read().decode()
    total = 0
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += int(float(line.split()[-1]))
    return total


def proc_stats(pid):
    """(VmRSS in KiB, user+system CPU seconds) of a process."""
    rss = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return rss, (int(fields[11]) + int(fields[12])) / tick


def proc_fds(pid):
    """Open descriptors of a process."""
    return len(os.listdir("/proc/%d/fd" % pid))


def recv_all(s):
    """Everything a socket receives until the peer closes."""
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk
