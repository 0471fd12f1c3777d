"""HTTPS and WSS on https-port (SPEC "HTTP", force-https): the same routes
over TLS with Strict-Transport-Security; a WSS pair that exchanges
signaling; the Origin rule with the https scheme; with force-https, plain
HTTP answers 308 to HTTPS except /healthz and /metrics, and refuses /ws."""
import asyncio
import http.client
import json
import os
import ssl
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon  # noqa: E402
from tap import Tap  # noqa: E402


def ctx():
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE      # the state dir's self-signed pair
    return c


def call(d, path, tls=False, method="GET"):
    if tls:
        c = http.client.HTTPSConnection("127.0.0.1", d.https_port, timeout=5,
                                        context=ctx())
    else:
        c = http.client.HTTPConnection("127.0.0.1", d.http_port, timeout=5)
    c.request(method, path)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body


async def wss(t, d):
    import websockets
    url = "wss://127.0.0.1:%d/ws" % d.https_port
    origin = "https://127.0.0.1:%d" % d.https_port

    async def conn(ip):
        ws = await websockets.connect(url, ssl=ctx(), origin=origin,
                                      local_addr=(ip, 0))
        m = json.loads(await ws.recv())
        return ws, m

    a, wa = await conn("127.0.0.2")
    b, wb = await conn("127.0.0.3")
    t.eq(wa.get("type"), "welcome", "WSS: welcome")
    await a.send(json.dumps({"type": "find"}))
    await b.send(json.dumps({"type": "find"}))
    roles = set()
    for ws in (a, b):
        while True:
            m = json.loads(await asyncio.wait_for(ws.recv(), 5))
            if m["type"] == "matched":
                roles.add(m["role"])
                break
    t.eq(roles, {"offerer", "answerer"}, "WSS: matched")
    await a.send(json.dumps({"type": "chat", "text": "over tls"}))
    while True:
        m = json.loads(await asyncio.wait_for(b.recv(), 5))
        if m["type"] == "chat":
            break
    t.eq(m.get("text"), "over tls", "WSS: chat relayed")
    await a.close()
    await b.close()
    try:
        ws = await websockets.connect(
            url, ssl=ctx(), origin="http://127.0.0.1:%d" % d.https_port)
        await ws.close()
        code = 101
    except websockets.exceptions.InvalidStatusCode as e:
        code = e.status_code
    t.eq(code, 403, "WSS with an http:// Origin: 403")


async def ws_refused(d):
    import websockets
    try:
        ws = await websockets.connect(
            "ws://127.0.0.1:%d/ws" % d.http_port,
            origin="http://127.0.0.1:%d" % d.http_port)
        await ws.close()
        return 101
    except websockets.exceptions.InvalidStatusCode as e:
        return e.status_code


def main(t):
    with Daemon(https=True) as d:
        st, h, b = call(d, "/healthz", tls=True)
        t.ok(st == 200 and b == b"ok\n", "HTTPS /healthz: 200 ok")
        t.ok(h.get("strict-transport-security", "").startswith("max-age="),
             "HSTS over HTTPS")
        t.eq(h.get("x-frame-options"), "DENY", "security headers over HTTPS")
        st, h, b = call(d, "/healthz")
        t.ok(st == 200 and "strict-transport-security" not in h,
             "plain HTTP still served, without HSTS")
        asyncio.run(wss(t, d))
    with Daemon(https=True, conf={"force-https": "yes"}) as d:
        st, h, b = call(d, "/index.html?x=1")
        t.ok(st == 308 and h.get("location") ==
             "https://127.0.0.1:%d/index.html?x=1" % d.https_port,
             "force-https: 308 to the same path on https-port")
        t.eq(call(d, "/healthz")[0], 200, "but /healthz is served")
        t.eq(call(d, "/metrics")[0], 200, "and /metrics")
        t.eq(asyncio.run(ws_refused(d)), 403, "plain /ws refused: 403")
        st, h, b = call(d, "/healthz", tls=True)
        t.eq(st, 200, "HTTPS works")


Tap().run(main)
