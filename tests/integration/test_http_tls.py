"""HTTPS and WSS on https-port (SPEC "HTTP", force-https): the same routes
over TLS with Strict-Transport-Security; a WSS pair that exchanges
signaling; the Origin rule with the https scheme; with force-https, plain
HTTP answers 308 to HTTPS except /healthz and /metrics, and refuses /ws."""
import asyncio
import http.client
import os
import ssl
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon  # noqa: E402
from tap import Tap  # noqa: E402
from wsclient import connect, upgrade_status  # noqa: E402


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
    a = await connect(d, "127.0.0.2", tls=True, ssl=ctx(), welcome=False)
    wa = await a.recv_json()
    b = await connect(d, "127.0.0.3", tls=True, ssl=ctx(), welcome=False)
    await b.recv_json()
    t.eq(wa.get("type"), "welcome", "WSS: welcome")
    await a.send_json(type="find")
    await b.send_json(type="find")
    roles = set()
    for c in (a, b):
        roles.add((await c.recv_type("matched"))["role"])
    t.eq(roles, {"offerer", "answerer"}, "WSS: matched")
    await a.send_json(type="chat", text="over tls")
    m = await b.recv_type("chat")
    t.eq(m.get("text"), "over tls", "WSS: chat relayed")
    await a.close()
    await b.close()
    code = await upgrade_status(d, tls=True, ssl=ctx(),
                                origin="http://127.0.0.1:%d" % d.https_port)
    t.eq(code, 403, "WSS with an http:// Origin: 403")


async def ws_refused(d):
    return await upgrade_status(d)


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
