"""The one WebSocket test client for /ws (and /ws over TLS), on
python3-websockets as every signaling test uses it.

Debian's python3-websockets is 10.x, which has only the asyncio API, so the
client is asyncio too (the tests drive several sessions at once with
asyncio.gather).  connect() opens a session from a chosen loopback address
and reads its welcome; Client.send_json/recv_json/recv_type speak the JSON
messages of SPEC's "Signaling"; pair() runs find/matched for two sessions.
test_ws_protocol.py speaks raw frames on purpose and does not use this."""
import asyncio
import json

TIMEOUT = 5
_DEFAULT = object()


def ws_url(d, tls=False):
    if tls:
        return "wss://127.0.0.1:%d/ws" % d.https_port
    return "ws://127.0.0.1:%d/ws" % d.http_port


def origin_of(d, tls=False):
    """The Origin the daemon's own page would send."""
    if tls:
        return "https://127.0.0.1:%d" % d.https_port
    return "http://127.0.0.1:%d" % d.http_port


async def open_ws(d, ip=None, origin=_DEFAULT, tls=False, ssl=None,
                  open_timeout=10):
    """A bare websockets connection to /ws from ip (any when None)."""
    import websockets
    kw = {"open_timeout": open_timeout}
    if ip is not None:
        kw["local_addr"] = (ip, 0)
    if ssl is not None:
        kw["ssl"] = ssl
    return await websockets.connect(
        ws_url(d, tls),
        origin=origin_of(d, tls) if origin is _DEFAULT else origin, **kw)


async def upgrade_status(d, ip=None, origin=_DEFAULT, tls=False, ssl=None):
    """101 when the upgrade is accepted (the socket is closed again), else
    the HTTP status of the refusal.  Other errors propagate."""
    import websockets
    try:
        ws = await open_ws(d, ip, origin, tls, ssl)
    except websockets.exceptions.InvalidStatusCode as e:
        return e.status_code
    await ws.close()
    return 101


class Client:
    """One signaling session.  recv_type stashes the messages of other
    types so that a later recv_type can still find them."""

    def __init__(self, ws):
        self.ws, self.stash = ws, []
        self.welcome = None

    async def send_json(self, m=None, **kw):
        await self.ws.send(json.dumps(dict(m or {}, **kw)))

    async def send_raw(self, text):
        await self.ws.send(text)

    async def recv_json(self, timeout=TIMEOUT):
        """The next message off the wire (ignores the stash)."""
        return json.loads(await asyncio.wait_for(self.ws.recv(), timeout))

    async def recv_type(self, *types, timeout=TIMEOUT):
        """The first message (stashed or new) whose type is in types."""
        for m in self.stash:
            if m.get("type") in types:
                self.stash.remove(m)
                return m
        while True:
            m = await self.recv_json(timeout)
            if m.get("type") in types:
                return m
            self.stash.append(m)

    async def quiet(self, t=0.4, closed_ok=False):
        """The stash and everything that arrives within t seconds; with
        closed_ok a closed connection ends the list instead of raising."""
        got = list(self.stash)
        self.stash = []
        try:
            while True:
                got.append(await self.recv_json(t))
        except asyncio.TimeoutError:
            pass
        except Exception:
            if not closed_ok:
                raise
        return got

    async def closed_code(self, secs):
        """The close code the server sent within secs, or None."""
        import websockets
        try:
            while True:
                await asyncio.wait_for(self.ws.recv(), secs)
        except websockets.ConnectionClosed as e:
            return e.rcvd.code if e.rcvd is not None else None
        except asyncio.TimeoutError:
            return None

    async def close(self):
        await self.ws.close()


async def connect(d, ip="127.0.0.1", origin=_DEFAULT, tls=False, ssl=None,
                  welcome=True):
    """A session from ip; with welcome its welcome message is read into
    .welcome (and its resume token into .token)."""
    c = Client(await open_ws(d, ip, origin, tls, ssl))
    if welcome:
        c.welcome = await c.recv_type("welcome")
        c.token = c.welcome.get("resumeToken")
    return c


async def pair(a, b, wait=False):
    """find for a then b; returns their matched messages.  With wait, a's
    waiting is read before b looks, so that a is the one who waited."""
    await a.send_json(type="find")
    if wait:
        await a.recv_type("waiting")
    await b.send_json(type="find")
    return await a.recv_type("matched"), await b.recv_type("matched")


async def paired(d, ipa, ipb, wait=False):
    """Two new sessions from ipa and ipb, matched with each other."""
    a, b = await connect(d, ipa), await connect(d, ipb)
    a.matched, b.matched = await pair(a, b, wait)
    return a, b


async def chat(a, b, text):
    """a says text; what b receives of type chat."""
    await a.send_json(type="chat", text=text)
    return await b.recv_type("chat")


async def matched_and_waiting(d):
    """Three sessions: a and b matched (a waited first), c unmatched.
    Returns a, b, c and a's and b's matched messages."""
    a = await connect(d, "127.0.0.2")
    b = await connect(d, "127.0.0.3")
    c = await connect(d, "127.0.0.4")
    ma, mb = await pair(a, b, wait=True)
    return a, b, c, ma, mb
