"""A ban added with meetopiactl reaches the running daemon within 2 seconds,
and a lifted ban admits the client again within 2 seconds, without a
restart.

The test proves it from the outside: a TURN Allocate from the banned
127.0.0.1 gets 403 and succeeds again after `ban remove`; a WebSocket
upgrade gets 403 and then 101.  A ban also ends what the banned party
already holds (SPEC "Database"): within 2 s its WebSocket is closed, its
partner gets partner_left with reason banned, and its allocations are freed
(a Refresh gets 437), whichever credential made them; clients of other
addresses keep theirs."""
import asyncio
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon, ctl  # noqa: E402
from tap import Tap  # noqa: E402
from wsclient import connect, pair  # noqa: E402
from stun import Client  # noqa: E402
from turnclient import admission_code, admitted, refresh_code  # noqa: E402


def wait(pred, limit):
    t0 = time.time()
    while time.time() - t0 < limit:
        if pred():
            return time.time() - t0
        time.sleep(0.05)
    return None


async def live_state(t, d):
    """A banned client at 127.0.0.2 with a WebSocket paired with one at
    127.0.0.3, an allocation made with its session's credential and one
    made with a credential without a session; a bystander's allocation from
    127.0.0.3."""
    a = await connect(d, "127.0.0.2")
    b = await connect(d, "127.0.0.3")
    ma, _ = await pair(a, b, wait=True)
    srv = ma["iceServers"][0]
    sess = Client(d, srv["username"], srv["credential"], bind="127.0.0.2")
    app = Client(d, *d.credential("banned-app"), bind="127.0.0.2")
    other = Client(d, *d.credential("bystander"), bind="127.0.0.3")
    for name, c in (("session", sess), ("app", app), ("bystander", other)):
        r = c.allocate()
        t.eq(r and r["code"], 0, "live state: %s allocation" % name)
    t.eq(refresh_code(app), 0, "live state: Refresh works before the ban")
    p = ctl(d, "ban", "add", "127.0.0.2", "--for", "10m")
    t.eq(p.returncode, 0, "live state: ban add 127.0.0.2")
    t0 = time.time()
    left = await b.recv_type("partner_left", timeout=4)
    took = time.time() - t0
    t.ok(left.get("reason") == "banned" and took < 2.0,
         "the partner gets partner_left banned within 2 s (%.2f s)" % took,
         left)
    closed = False
    try:
        await asyncio.wait_for(a.ws.recv(), 2)
        await asyncio.wait_for(a.ws.recv(), 2)
    except Exception:
        closed = True
    t.ok(closed and a.ws.close_code is not None,
         "the banned party's WebSocket is closed (%s)" % a.ws.close_code)
    deadline = t0 + 2.0
    codes = None
    while time.time() < deadline + 0.5:
        codes = (refresh_code(sess), refresh_code(app))
        if codes == (437, 437):
            break
        await asyncio.sleep(0.1)
    t.ok(codes == (437, 437) and time.time() - t0 < 2.0,
         "the banned party's allocations are freed within 2 s: Refresh "
         "gets 437 (session's, app's: %s)" % (codes,))
    r = app.permit("127.0.0.3", 9)
    t.ok(r is None or r["code"] in (437, 403),
         "and CreatePermission on the old allocation fails",
         r and r["code"])
    t.eq(refresh_code(other), 0, "another address keeps its allocation")
    for c in (sess, app, other):
        c.close()
    await b.close()


def main(t):
    with Daemon(conf={"allowed-peer-ip": "127.0.0.3"}) as d:
        asyncio.run(live_state(t, d))
    ms = ["turn", "ws"]
    with Daemon(conf={"allowed-peer-ip": "127.0.0.1"}) as d:
        for mode in ms:
            t.ok(admitted(d, mode), "%s: admitted before the ban" % mode)
            p = ctl(d, "--json", "ban", "add", "127.0.0.1", "--for", "10m",
                    "--reason", "integration test")
            t.eq(p.returncode, 0, "%s: ban add 127.0.0.1" % mode)
            m = re.search(r'"id": (\d+)', p.stdout)
            ban_id = m.group(1) if m else "0"
            took = wait(lambda: not admitted(d, mode), 3)
            t.ok(took is not None and took < 2.0,
                 "%s: refused within 2 s (%s s)" % (mode, took and
                                                    "%.2f" % took))
            t.eq(admission_code(d, mode), 403, "%s: refused with 403" % mode)
            p = ctl(d, "ban", "remove", ban_id)
            t.eq(p.returncode, 0, "%s: ban remove" % mode)
            took = wait(lambda: admitted(d, mode), 3)
            t.ok(took is not None and took < 2.0,
                 "%s: admitted again within 2 s (%s s)" % (mode, took and
                                                          "%.2f" % took))
        t.ok("Traceback" not in d.log() and d.proc.poll() is None,
             "the daemon kept running")


if __name__ == "__main__":
    Tap().run(main)
