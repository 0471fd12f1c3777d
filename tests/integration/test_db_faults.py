"""The moderation store under faults (issue: hardening), each against a
running meetopiad with reports sent over /ws:

- disk full: the daemon runs under a file size limit (RLIMIT_FSIZE, with
  SIGXFSZ ignored, writes fail with EFBIG as on a full disk) that the WAL
  soon reaches.  Reports are acknowledged while they fit, then refused with
  `error`/`internal` and a `report_not_saved` security event; chat goes on;
  once the limit is lifted reports are stored again.  After the stop every
  acknowledged report is in the database, no refused one is, and
  PRAGMA integrity_check says ok.
- locked by another writer: a second connection holds the write lock.
  The event loop is not blocked (chat and /healthz answer at once while the
  writer thread waits); held past the busy timeout (5 s) the report is
  refused; released within it, the report is stored.
- read-only: meetopiad refuses to start on a database it cannot write,
  with a one-line reason; meetopiactl still lists bans and refuses a change
  with a clear error, leaving the file as it was.  Needs a user without
  write access: as root the daemon runs as nobody through setpriv."""
import asyncio
import http.client
import os
import pwd
import resource
import shutil
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon, MEETOPIAD, MEETOPIACTL  # noqa: E402
from tap import Tap  # noqa: E402
from wsclient import connect, pair  # noqa: E402

FSIZE = 32768           # room for the -shm (32 KiB) and a few WAL frames


class Pairs:
    """Fresh pairs from fresh addresses: a session reports a partner once."""

    def __init__(self, d):
        self.d, self.n = d, 0

    async def pair(self):
        self.n += 1
        a = await connect(self.d, "127.0.%d.%d" % (10 + self.n // 100,
                                                   2 * (self.n % 100) + 2))
        b = await connect(self.d, "127.0.%d.%d" % (10 + self.n // 100,
                                                   2 * (self.n % 100) + 3))
        await pair(a, b)
        return a, b


async def report(a, timeout=10):
    await a.send_json(type="report", reason="spam", detail="d" * 150)
    return await a.recv_type("reported", "error", timeout=timeout)


async def chat_rtt(a, b, text):
    t0 = time.monotonic()
    await b.send_json(type="chat", text=text)
    m = await a.recv_type("chat", timeout=5)
    return m.get("text") == text, time.monotonic() - t0


def healthz(d):
    c = http.client.HTTPConnection("127.0.0.1", d.http_port, timeout=5)
    t0 = time.monotonic()
    c.request("GET", "/healthz")
    r = c.getresponse()
    r.read()
    c.close()
    return r.status, time.monotonic() - t0


def db_path(d):
    return os.path.join(d.state_dir, "meetopia.db")


def report_ids(path):
    h = sqlite3.connect(path)
    try:
        ok = h.execute("PRAGMA integrity_check").fetchone()[0]
        ids = [r[0] for r in h.execute("SELECT id FROM reports ORDER BY id")]
    finally:
        h.close()
    return ok, ids


async def disk_full(t, d):
    pairs = Pairs(d)
    acked, refused = [], 0
    for _ in range(12):
        a, b = await pairs.pair()
        m = await report(a)
        if m["type"] == "reported":
            acked.append(m["id"])
        else:
            refused += 1
            t.eq((m.get("code"), m.get("message")),
                 ("internal", "the report could not be stored"),
                 "a report that cannot be written: error internal, "
                 "not reported")
            good, _ = await chat_rtt(a, b, "still talking")
            t.ok(good, "chat goes on while the disk is full")
            break
    t.ok(len(acked) >= 1, "reports were acknowledged while they fit (%d)"
         % len(acked))
    t.eq(refused, 1, "then the full disk refused one")
    for _ in range(2):
        a, b = await pairs.pair()
        m = await report(a)
        t.eq(m["type"], "error", "the disk stays full: refused again")
    t.ok(d.proc.poll() is None, "meetopiad survives a full disk")
    t.ok("report_not_saved" in d.log(), "security event report_not_saved")
    status, _ = healthz(d)
    t.eq(status, 200, "/healthz answers while the disk is full")

    resource.prlimit(d.proc.pid, resource.RLIMIT_FSIZE,
                     (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    for _ in range(2):
        a, b = await pairs.pair()
        m = await report(a)
        t.eq(m["type"], "reported", "space again: the report is stored")
        if m["type"] == "reported":
            acked.append(m["id"])
    return acked


def prepared():
    """A daemon object whose state dir holds a database made by a first
    start and stop."""
    d = Daemon()
    d.start()
    d.stop()
    d._logf.close()
    return d


def test_disk_full(t):
    d = prepared()
    # A soft file size limit; the hard one stays unlimited so that the
    # test can lift the soft one with prlimit.
    d.rlimits[resource.RLIMIT_FSIZE] = (FSIZE, resource.RLIM_INFINITY)
    with d:
        acked = asyncio.run(disk_full(t, d))
        t.eq(d.stop(), 0, "clean stop after a full disk")
        ok, ids = report_ids(db_path(d))
        t.eq(ok, "ok", "integrity_check after a full disk: ok")
        t.eq(ids, sorted(acked), "exactly the acknowledged reports are "
             "stored")


async def locked(t, d):
    pairs = Pairs(d)
    a, b = await pairs.pair()
    h = sqlite3.connect(db_path(d), timeout=1, isolation_level=None)
    h.execute("BEGIN IMMEDIATE")
    t0 = time.monotonic()
    pending = asyncio.ensure_future(report(a, timeout=15))
    await asyncio.sleep(0.3)
    worst, relayed = 0.0, 0
    for i in range(10):
        good, rtt = await chat_rtt(b, a, "while locked %d" % i)
        relayed += good
        worst = max(worst, rtt)
        await asyncio.sleep(0.2)
    t.eq(relayed, 10, "chat relayed while the writer waits for the lock")
    status, hz = await asyncio.get_running_loop().run_in_executor(
        None, healthz, d)
    t.ok(status == 200 and hz < 1.0, "/healthz answers at once while the "
         "database is locked (%.0f ms)" % (hz * 1000))
    t.ok(worst < 1.0, "the event loop is not blocked by the lock (worst "
         "chat round trip %.0f ms)" % (worst * 1000))
    m = await pending
    waited = time.monotonic() - t0
    t.eq(m["type"], "error", "held past the busy timeout: refused")
    t.ok(4.0 <= waited < 12, "after waiting the busy timeout (%.1f s)"
         % waited)
    h.execute("ROLLBACK")

    a, b = await pairs.pair()
    h.execute("BEGIN IMMEDIATE")
    pending = asyncio.ensure_future(report(a, timeout=15))
    await asyncio.sleep(1.0)
    h.execute("ROLLBACK")
    m = await pending
    t.eq(m["type"], "reported", "released within the busy timeout: stored")
    h.close()
    return [m["id"]] if m["type"] == "reported" else []


def test_locked(t):
    with Daemon() as d:
        acked = asyncio.run(locked(t, d))
        t.ok(d.proc.poll() is None, "meetopiad survives the lock")
        d.stop()
        ok, ids = report_ids(db_path(d))
        t.eq(ids, acked, "only the acknowledged report is stored")


def as_user():
    """A prefix that runs a command without write access to files it does
    not own: nobody through setpriv as root, nothing otherwise."""
    if os.geteuid() != 0:
        return [], None
    if shutil.which("setpriv") is None:
        return None, None
    pw = pwd.getpwnam("nobody")
    return ["setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid,
            "--clear-groups"], pw


def test_readonly(t):
    prefix, pw = as_user()
    if prefix is None:
        t.ok(True, "read-only # SKIP root without setpriv")
        return
    d = prepared()
    try:
        readonly(t, d, prefix, pw)
    finally:
        d._tmp.cleanup()


def readonly(t, d, prefix, pw):
    ctl = [MEETOPIACTL, "-c", d.conf_path, "--state-dir", d.state_dir]
    r = subprocess.run(ctl + ["ban", "add", "192.0.2.7", "--for", "1h"],
                       capture_output=True, text=True, timeout=30)
    t.eq(r.returncode, 0, "a ban while writable")
    if pw is not None:
        os.chmod(d._tmp.name, 0o711)
        # The file holds auth-secret: the other user reads it as its
        # owner (0600), not through a loose mode.
        os.chown(d.conf_path, pw.pw_uid, pw.pw_gid)
        for root, dirs, files in os.walk(d.state_dir):
            os.chown(root, pw.pw_uid, pw.pw_gid)
            for f in files:
                os.chown(os.path.join(root, f), pw.pw_uid, pw.pw_gid)
    os.chmod(db_path(d), 0o444)
    before = open(db_path(d), "rb").read()

    p = subprocess.run(prefix + [MEETOPIAD, "-c", d.conf_path, "--state-dir",
                                 d.state_dir], capture_output=True, text=True,
                       timeout=30)
    t.eq(p.returncode, 1, "meetopiad refuses a read-only database: exit 1")
    t.ok("read-only" in p.stderr and "meetopia.db" in p.stderr and
         "ready" not in p.stderr, "with the reason and the file",
         p.stderr)

    r = subprocess.run(prefix + ctl + ["ban", "list"], capture_output=True,
                       text=True, timeout=30)
    t.ok(r.returncode == 0 and "192.0.2.7" in r.stdout,
         "meetopiactl ban list reads a read-only database", r.stderr)
    r = subprocess.run(prefix + ctl + ["ban", "add", "192.0.2.8"],
                       capture_output=True, text=True, timeout=30)
    t.eq(r.returncode, 1, "meetopiactl ban add on a read-only database: "
         "exit 1")
    t.ok("readonly" in r.stderr.replace("read-only", "readonly") and
         len(r.stderr.strip().splitlines()) == 1, "one line that says why",
         r.stderr)
    t.ok(open(db_path(d), "rb").read() == before, "the file is unchanged")


def main(t):
    test_disk_full(t)
    test_locked(t)
    test_readonly(t)


if __name__ == "__main__":
    Tap().run(main)
