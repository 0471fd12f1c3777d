#!/usr/bin/env python3
"""test_cluster_moderation.py - moderation across the nodes of a cluster
(cluster/modlog.c, the store's outbox and cursor in db/store.c), with one
real redis-server and meetopiad nodes that share it and their secrets.

From the outside: a ban made on node A with meetopiactl or the admin API is
enforced on node B within 2 s (a /ws upgrade from the banned address gets
403 there, a live WebSocket of that address on B is closed) and is in B's
database; `ban remove` on A admits the address on B again within 2 s; a
report taken on A is in B's `meetopiactl report list`; a node stopped while
a ban is made catches up when it starts again; bans and reports
acknowledged on a node while Redis is down (killed) reach the other node
once Redis is back, with no restart; `auto-ban-reports` counts the
reporters of every node.  Nothing in the stream holds a clear address.
"""
import asyncio
import http.client
import json
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, ctl, metric, pseudonym  # noqa: E402
from redis_server import RedisServer, have_redis  # noqa: E402
from tap import Tap  # noqa: E402
from wsclient import connect, pair, upgrade_status  # noqa: E402

PSEUDONYM_SECRET = "mtest-cluster-pseudonym-secret-0123456789abcdef"
PREFIX = "mtest-mod:"
API_KEY = "api-key-0123456789abcdef"
RATE_MAX = 20


def node(r, name, extra=None):
    """A node of the cluster on r, not started: the shared secrets are in
    place (the pseudonym key is the state dir's pseudonym-secret)."""
    conf = {"redis": r.url(), "node-name": name, "cluster-prefix": PREFIX,
            "rate-limit-max": str(RATE_MAX), "api-key": API_KEY}
    conf.update(extra or {})
    d = Daemon(conf=conf)
    os.makedirs(d.state_dir, mode=0o700, exist_ok=True)
    path = os.path.join(d.state_dir, "pseudonym-secret")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(PSEUDONYM_SECRET + "\n")
    return d


def joined(d, timeout=10):
    """d's link to Redis is up (meetopia_cluster_up)."""
    return wait(lambda: metric(d, "meetopia_cluster_up") == 1,
                timeout) is not None


def redis_cmd(r, *args):
    """One command to r over a plain socket (RESP), the reply parsed."""
    s = socket.create_connection(("127.0.0.1", r.port), 5)
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    s.sendall(out)
    f = s.makefile("rb")

    def read():
        line = f.readline().rstrip(b"\r\n")
        k, rest = line[:1], line[1:]
        if k in (b"+", b"-"):
            return rest.decode()
        if k == b":":
            return int(rest)
        if k == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = f.read(n + 2)[:-2]
            return data.decode("utf-8", "replace")
        if k == b"*":
            n = int(rest)
            return None if n < 0 else [read() for _ in range(n)]
        raise ValueError(line)
    try:
        return read()
    finally:
        s.close()


def wait(pred, limit):
    """Seconds until pred() held, or None after limit."""
    t0 = time.time()
    while time.time() - t0 < limit:
        if pred():
            return time.time() - t0
        time.sleep(0.05)
    return None


def status(d, ip):
    return asyncio.run(upgrade_status(d, ip))


def bans_of(d):
    p = ctl(d, "--json", "ban", "list")
    return json.loads(p.stdout)["bans"] if p.returncode == 0 else []


def reports_of(d):
    p = ctl(d, "--json", "report", "list")
    return json.loads(p.stdout)["reports"] if p.returncode == 0 else []


def api(d, method, path, token, body=None):
    c = http.client.HTTPConnection("127.0.0.1", d.http_port, timeout=10)
    h = {"Origin": "http://127.0.0.1:%d" % d.http_port,
         "Authorization": "Bearer " + token}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    c.request(method, path, body=data, headers=h)
    r = c.getresponse()
    raw = r.read()
    c.close()
    try:
        return r.status, json.loads(raw)
    except ValueError:
        return r.status, None


def ban_id_of(p):
    m = re.search(r'"id": (\d+)', p.stdout)
    return m.group(1) if m else "0"


def timed(t, d, ip, want, what):
    took = wait(lambda: status(d, ip) == want, 4)
    t.ok(took is not None and took < 2.0, "%s within 2 s (%s)" % (
        what, "%.2f s" % took if took is not None else "not at all"))


async def live_closed(t, a, b, ip):
    """A live session of ip on b is closed within 2 s of a ban on a."""
    c = await connect(b, ip)
    p = ctl(a, "ban", "add", ip, "--for", "10m")
    t0 = time.time()
    code = await c.closed_code(4)
    took = time.time() - t0
    t.ok(p.returncode == 0 and code is not None and took < 2.0,
         "a live WebSocket of %s on B is closed within 2 s of a ban on A "
         "(code %s, %.2f s)" % (ip, code, took))


async def report(d, reporter, reported, reason="abuse", detail=None):
    """reporter and reported paired on d, reporter reports: the ack."""
    a, b = await connect(d, reporter), await connect(d, reported)
    await pair(a, b, wait=True)
    m = {"type": "report", "reason": reason}
    if detail is not None:
        m["detail"] = detail
    await a.send_json(m)
    ack = await a.recv_type("reported", "error")
    for x in (a, b):
        await x.close()
    return ack


def ice_status(d, src):
    """The status of GET /api/ice-servers from src."""
    c = http.client.HTTPConnection("127.0.0.1", d.http_port, timeout=5,
                                   source_address=(src, 0))
    c.request("GET", "/api/ice-servers",
              headers={"Authorization": "Bearer " + API_KEY})
    r = c.getresponse()
    r.read()
    c.close()
    return r.status


async def limits(t, a, b):
    """max-connections-per-ip (3) and the API rate limit count across
    the nodes."""
    ip = "127.0.0.30"
    on_a = [await connect(a, ip), await connect(a, ip)]
    on_b = [await connect(b, ip)]
    await asyncio.sleep(0.5)
    t.eq(await upgrade_status(b, ip), 429,
         "max-connections-per-ip: two sockets on A and one on B, a fourth "
         "on B gets 429")
    t.eq(await upgrade_status(a, ip), 429, "and on A too")
    await on_a[0].close()
    t0 = time.time()
    st = None
    while time.time() - t0 < 3:
        st = await upgrade_status(b, ip)
        if st == 101:
            break
        await asyncio.sleep(0.1)
    t.ok(st == 101 and time.time() - t0 < 2.0,
         "one closed on A: B admits one again within 2 s (%.2f s)" %
         (time.time() - t0))
    for c in on_a[1:] + on_b:
        await c.close()

    src = "127.0.0.40"
    first = RATE_MAX * 3 // 5
    got = [ice_status(a, src) for _ in range(first)]
    t.ok(got == [200] * first, "%d API requests on A: 200" % first)
    allowed = 0
    for _ in range(RATE_MAX):
        if ice_status(b, src) != 200:
            break
        allowed += 1
    left = RATE_MAX - first
    t.ok(left <= allowed <= left + 2,
         "B serves what is left of rate-limit-max (%d of %d, %d expected)"
         % (allowed, RATE_MAX, left))
    t.eq(ice_status(b, src), 429, "then 429 on B")
    # A's figure is the reply to its own last request: it may serve one
    # more before it hears the cluster's count (two when that reply is
    # still on its way as the next request comes).
    # On a loaded machine that reply can lag behind several requests:
    # asked every 50 ms, A must refuse within 2 s and a few requests.
    on_a, end = [], time.time() + 2.0
    while time.time() < end:
        on_a.append(ice_status(a, src))
        if on_a[-1] == 429:
            break
        time.sleep(0.05)
    t.ok(on_a[-1:] == [429] and len(on_a) <= 4,
         "and on A, after at most three more (%s)" % on_a)
    t.eq(ice_status(b, "127.0.0.41"), 200, "another client is served")

    # A node that dies does not hold its clients' counts for ever.
    ip = "127.0.0.50"
    held = [await connect(b, ip) for _ in range(3)]
    await asyncio.sleep(0.5)
    t.eq(await upgrade_status(a, ip), 429,
         "three sockets on B: A refuses a fourth")
    b.proc.kill()
    b.proc.wait()
    t0 = time.time()
    st = None
    while time.time() - t0 < 20:
        st = await upgrade_status(a, ip)
        if st == 101:
            break
        await asyncio.sleep(0.5)
    took = time.time() - t0
    t.ok(st == 101 and took < 13 + 1,
         "B killed (-9): A forgets its figure and admits %s within 13 s "
         "(%.1f s)" % (ip, took))
    for c in held:
        try:
            await c.close()
        except Exception:
            pass


async def reports_through_outage(r, a, n=14):
    """n reports on a, one after the other, while Redis is killed after
    the third and started again after the eighth: the details of those
    a acknowledged."""
    loop = asyncio.get_running_loop()
    acked = []
    for i in range(n):
        if i == 3:
            await loop.run_in_executor(None, r.kill)
        if i == 8:
            await loop.run_in_executor(None, r.start)
        detail = "outage report %d" % i
        ack = await report(a, "127.0.1.%d" % (2 * i + 2),
                           "127.0.1.%d" % (2 * i + 3), "other", detail)
        if ack.get("type") == "reported":
            acked.append(detail)
    return acked


def main(t):
    if not have_redis():
        t.skip_all("redis-server is not installed (Debian: redis-server)")
    with RedisServer() as r:
        a = node(r, "node-a").start()
        b = node(r, "node-b").start()
        try:
            t.ok(joined(a) and joined(b), "both nodes joined")
            run(t, r, a, b)
            asyncio.run(limits(t, a, b))
        finally:
            for d in (a, b):
                d.__exit__(None, None, None)


def run(t, r, a, b):
    # -- meetopiactl on A, enforced on B --------------------------------
    t.eq(status(b, "127.0.0.2"), 101, "B admits 127.0.0.2 before the ban")
    p = ctl(a, "--json", "ban", "add", "127.0.0.2", "--for", "10m",
            "--reason", "cluster test")
    t.eq(p.returncode, 0, "ban add 127.0.0.2 on A (meetopiactl)")
    timed(t, b, "127.0.0.2", 403, "B refuses the upgrade with 403")
    bb = bans_of(b)
    ps2 = pseudonym(b.state_dir, "127.0.0.2")
    t.ok(any(x["target"] == ps2 and x["reason"] == "cluster test" and
             x["source"] == "cli" for x in bb),
         "the ban is in B's database, by pseudonym", bb)
    p = ctl(a, "ban", "remove", ban_id_of(p))
    t.eq(p.returncode, 0, "ban remove on A")
    timed(t, b, "127.0.0.2", 101, "B admits 127.0.0.2 again")
    t.ok(not any(x["target"] == ps2 for x in bans_of(b)),
         "and the ban is gone from B's database")

    asyncio.run(live_closed(t, a, b, "127.0.0.3"))

    # -- the admin API on A ----------------------------------------------
    p = ctl(a, "admin", "add", "alice")
    m = re.search(r"\b([0-9a-f]{16}\.[0-9a-f]{64})\b", p.stdout)
    tok = m.group(1) if m else "x"
    st, doc = api(a, "POST", "/admin/v1/bans", tok,
                  {"target": "127.0.0.4", "for": "1h", "reason": "api"})
    t.eq(st, 201, "POST /admin/v1/bans on A: 201")
    timed(t, b, "127.0.0.4", 403, "B refuses the API's ban with 403")
    st, _ = api(a, "DELETE", "/admin/v1/bans/%d" % (
        doc["ban"]["id"] if st == 201 else 0), tok)
    t.eq(st, 200, "DELETE the ban on A")
    timed(t, b, "127.0.0.4", 101, "B admits the API's unbanned address")

    # -- a report on A is in B's report list ------------------------------
    ack = asyncio.run(report(a, "127.0.0.5", "127.0.0.6", "spam",
                             "cluster detail"))
    t.eq(ack.get("type"), "reported", "a report on A is acknowledged")
    want = (pseudonym(a.state_dir, "127.0.0.5"),
            pseudonym(a.state_dir, "127.0.0.6"))

    def has_report(d):
        return any((x["reporter"], x["reported"]) == want and
                   x["reason"] == "spam" and x["detail"] == "cluster detail"
                   for x in reports_of(d))
    took = wait(lambda: has_report(b), 4)
    t.ok(took is not None and took < 2.0,
         "B's meetopiactl report list has A's report (%s)" % took)
    p = ctl(b, "report", "list")
    t.ok(want[1][:8] in p.stdout or want[1] in p.stdout,
         "report list (table) on B names the reported pseudonym")

    # -- a node down during a ban catches up -------------------------------
    b.stop()
    p = ctl(a, "ban", "add", "127.0.0.7", "--for", "10m")
    t.eq(p.returncode, 0, "ban add 127.0.0.7 on A while B is stopped")
    time.sleep(0.5)
    b.start()
    t.ok(joined(b), "B rejoins")
    timed(t, b, "127.0.0.7", 403, "B enforces the ban made while it was down")

    # -- Redis killed and restarted: nothing acknowledged is lost ---------
    r.kill()
    t.ok(a.wait_log("cluster: Redis unreachable", 10),
         "A sees Redis go")
    p = ctl(a, "ban", "add", "127.0.0.8", "--for", "10m")
    t.eq(p.returncode, 0, "ban add 127.0.0.8 on A while Redis is down")
    ack = asyncio.run(report(a, "127.0.0.9", "127.0.0.10", "other",
                             "while redis was down"))
    t.eq(ack.get("type"), "reported",
         "a report on A is acknowledged while Redis is down")
    t.eq(status(b, "127.0.0.8"), 101,
         "B cannot know yet: it admits 127.0.0.8")
    r.start()
    took = wait(lambda: status(b, "127.0.0.8") == 403, 20)
    t.ok(took is not None, "after Redis is back B refuses 127.0.0.8 "
         "(%s s)" % (took and "%.1f" % took))
    took = wait(lambda: any(x["detail"] == "while redis was down"
                            for x in reports_of(b)), 5)
    t.ok(took is not None, "and has the report A took while Redis was down")

    # -- Redis killed and restarted while reports keep coming -------------
    acked = asyncio.run(reports_through_outage(r, a))
    t.ok(len(acked) >= 10, "reports acknowledged on A while Redis was "
         "killed and restarted: %d" % len(acked))

    def all_on_b():
        have = {x["detail"] for x in reports_of(b)}
        return all(d in have for d in acked)
    took = wait(all_on_b, 20)
    t.ok(took is not None, "every one of them is in B's report list "
         "(%s s)" % (took and "%.1f" % took))

    # -- Redis loses what it acknowledged before B could read it ----------
    b.stop()
    p = ctl(a, "ban", "add", "127.0.0.12", "--for", "10m")
    t.eq(p.returncode, 0, "ban add 127.0.0.12 on A while B is stopped")
    t.ok(wait(lambda: any(x[1][3].find('"ban"') >= 0 for x in
                          (redis_cmd(r, "XRANGE", PREFIX + "modlog", "-",
                                     "+") or [])
                          if len(x[1]) >= 4), 5) is not None,
         "Redis acknowledged the ban (it is in the stream)")
    r.kill()
    r.start()
    b.start()
    t.ok(joined(b), "B rejoins the restarted Redis (its data lost)")
    took = wait(lambda: status(b, "127.0.0.12") == 403, 10)
    t.ok(took is not None, "A sent it again at its rejoin: B refuses "
         "127.0.0.12 (%s s)" % (took and "%.1f" % took))

    # -- Redis refuses an XADD: the entry goes again, it is not lost ------
    redis_cmd(r, "DEL", PREFIX + "modlog")
    redis_cmd(r, "SET", PREFIX + "modlog", "not a stream")
    p = ctl(a, "ban", "add", "127.0.0.11", "--for", "10m")
    t.ok(p.returncode == 0 and wait(lambda: "XADD refused" in a.log(), 5)
         is not None, "A's XADD is refused (the key is not a stream)")
    time.sleep(0.5)
    redis_cmd(r, "DEL", PREFIX + "modlog")
    took = wait(lambda: status(b, "127.0.0.11") == 403, 15)
    t.ok(took is not None, "once Redis takes entries again, B refuses "
         "127.0.0.11 (%s s)" % (took and "%.1f" % took))

    # -- auto-ban-reports counts the reporters of every node ---------------
    # (the limit is 3 by default: two reporters on A, one on B)
    victim = "127.0.0.20"
    for d, rep in ((a, "127.0.0.21"), (a, "127.0.0.22")):
        ack = asyncio.run(report(d, rep, victim))
        t.eq(ack.get("type"), "reported", "report of %s by %s on %s" % (
            victim, rep, "A" if d is a else "B"))
    time.sleep(0.5)
    t.eq(status(b, victim), 101, "two reporters: not banned yet")
    ack = asyncio.run(report(b, "127.0.0.23", victim))
    t.eq(ack.get("type"), "reported", "the third reporter reports on B")
    timed(t, b, victim, 403, "B auto-bans after reporters of both nodes")
    timed(t, a, victim, 403, "and so does A")
    time.sleep(1)
    for d, n in ((a, "A"), (b, "B")):
        autos = [x for x in bans_of(d) if x["source"] == "auto"]
        t.eq(len(autos), 1, "one auto-ban for one crossing of the limit, "
             "in %s's database" % n)

    # -- entries another writer put in the stream are checked ------------
    before = len(bans_of(b)), len(reports_of(b))
    bad = ['not json', '[]', '{"op":"ban"}',
           json.dumps({"op": "ban", "uid": "0" * 32, "kind": "ip",
                       "target": "1.2.3", "reason": "", "source": "cli",
                       "created": 1, "expires": 2}),
           json.dumps({"op": "ban", "uid": "1" * 32, "kind": "pseudonym",
                       "target": "x" * 32, "reason": "", "source": "cli",
                       "created": 1, "expires": 2 ** 40}),
           json.dumps({"op": "ban", "uid": "2" * 32, "kind": "pseudonym",
                       "target": "a" * 32, "reason": "", "source": "evil",
                       "created": 1, "expires": 2 ** 40}),
           json.dumps({"op": "report", "uid": "3" * 32, "reporter": "a" * 32,
                       "reported": "b" * 32, "reason": "boring",
                       "detail": "", "created": 1})]
    for e in bad:
        redis_cmd(r, "XADD", PREFIX + "modlog", "*", "node", "intruder",
                  "e", e)
    good = json.dumps({"op": "report", "uid": "4" * 32, "reporter": "c" * 32,
                       "reported": "d" * 32, "reason": "other",
                       "detail": "after the bad ones", "created": 1})
    redis_cmd(r, "XADD", PREFIX + "modlog", "*", "node", "intruder", "e", good)
    redis_cmd(r, "PUBLISH", PREFIX + "modlog", "x")
    took = wait(lambda: any(x["detail"] == "after the bad ones"
                            for x in reports_of(b)), 5)
    t.ok(took is not None, "a valid entry after bad ones is applied")
    t.eq((len(bans_of(b)), len(reports_of(b)) - 1), before,
         "the bad entries changed nothing")
    t.eq(b.log().count("skipped"), len(bad),
         "each bad entry is skipped with a reason in the log")

    # -- privacy of the stream -------------------------------------------
    entries = redis_cmd(r, "XRANGE", PREFIX + "modlog", "-", "+")
    text = json.dumps([x for x in entries if "intruder" not in x[1]])
    t.ok(entries and "127.0.0." not in text,
         "no clear address in the stream (%d entries)" % len(entries or []))
    for d in (a, b):
        t.ok(d.proc.poll() is None and "AddressSanitizer" not in d.log(),
             "%s kept running" % d.conf["node-name"])


if __name__ == "__main__":
    Tap().run(main)
