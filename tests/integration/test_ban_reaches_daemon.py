"""A ban added with meetopiactl reaches the running daemon within 2 seconds,
and a lifted ban admits the client again within 2 seconds, without a
restart.

The test proves it from the outside: a TURN Allocate from the banned
127.0.0.1 gets 403 and succeeds again after `ban remove`; a WebSocket
upgrade gets 403 and then 101."""
import asyncio
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon, MEETOPIACTL  # noqa: E402
from tap import Tap  # noqa: E402


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
    return asyncio.run(_upgrade(d)) == 101


def refused_code(d, mode):
    if mode == "turn":
        return asyncio.run(_allocate(d))
    return asyncio.run(_upgrade(d))


def wait(pred, limit):
    t0 = time.time()
    while time.time() - t0 < limit:
        if pred():
            return time.time() - t0
        time.sleep(0.05)
    return None


def main(t):
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
            t.eq(refused_code(d, mode), 403, "%s: refused with 403" % mode)
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
