"""A ban added with meetopiactl reaches the running daemon within 2 seconds,
and a lifted ban admits the client again within 2 seconds, without a
restart.

Where the daemon enforces bans (the relay's Allocate check and the /ws
upgrade check are wired to the ban cache), the test proves it from the
outside: a TURN Allocate from the banned 127.0.0.1 gets 403 and succeeds
again after `ban remove`; a WebSocket upgrade gets 403 and then 101.  In a
build where neither is wired yet, it follows the daemon's "ban cache: N
active bans" log line, which the cache writes on every refresh."""
import asyncio
import glob
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon, MEETOPIACTL, SRCDIR  # noqa: E402
from tap import Tap  # noqa: E402


def wired(paths):
    """Whether the ban cache is consulted from these sources."""
    for p in paths:
        with open(p, errors="replace") as f:
            if "mdb_is_banned" in f.read():
                return True
    return False


def modes():
    relay = glob.glob(os.path.join(SRCDIR, "relay", "*.c"))
    sig = glob.glob(os.path.join(SRCDIR, "signaling", "*.c"))
    main = [os.path.join(SRCDIR, "common", "meetopiad.c")]
    m = []
    if relay and wired(relay + main):
        m.append("turn")
    if any("ws" in os.path.basename(p) for p in sig) and wired(sig + main):
        m.append("ws")
    return m or ["log"]


def ctl(d, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEETOPIA_")}
    return subprocess.run([MEETOPIACTL, "-c", d.conf_path, "--state-dir",
                           d.state_dir] + list(args), capture_output=True,
                          text=True, timeout=30, env=env)


async def _allocate(d):
    import aioice.stun
    import aioice.turn
    user, pw = d.credential("bantest")
    try:
        tr, _ = await asyncio.wait_for(aioice.turn.create_turn_endpoint(
            asyncio.DatagramProtocol, ("127.0.0.1", d.turn_port), user, pw,
            transport="udp"), 5)
        tr.close()
        return 200
    except aioice.stun.TransactionFailed as e:
        return e.response.attributes.get("ERROR-CODE", (0, ""))[0]
    except Exception:
        return -1


async def _upgrade(d):
    import websockets
    url = "ws://127.0.0.1:%d/ws" % d.http_port
    try:
        async with websockets.connect(
                url, origin="http://127.0.0.1:%d" % d.http_port,
                open_timeout=5):
            return 101
    except websockets.exceptions.InvalidStatusCode as e:
        return e.status_code
    except Exception:
        return -1


def admitted(d, mode):
    if mode == "turn":
        return asyncio.run(_allocate(d)) == 200
    if mode == "ws":
        return asyncio.run(_upgrade(d)) == 101
    # The cache's own account: the last refresh saw no active ban.
    counts = re.findall(r"ban cache: (\d+) active bans", d.log())
    return bool(counts) and int(counts[-1]) == 0


def refused_code(d, mode):
    if mode == "turn":
        return asyncio.run(_allocate(d))
    if mode == "ws":
        return asyncio.run(_upgrade(d))
    return None


def wait(pred, limit):
    t0 = time.time()
    while time.time() - t0 < limit:
        if pred():
            return time.time() - t0
        time.sleep(0.05)
    return None


def main(t):
    ms = modes()
    t.diag("enforcement checked through: %s" % ", ".join(ms))
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
            if mode != "log":
                t.eq(refused_code(d, mode), 403, "%s: refused with 403"
                     % mode)
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
