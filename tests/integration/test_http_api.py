"""GET /api/ice-servers (SPEC "HTTP"): fresh TURN credentials for apps that
use only the relay (username EXPIRY, password HMAC-SHA1 of the auth
secret), rate-limit-window/-max per client IP (429 with Retry-After, other
client IPs unaffected), api-key as Authorization: Bearer (401 with
WWW-Authenticate otherwise), Origin against cors-origins (403), CORS
preflight; security headers on all of it.  Without an api-key the route is
off (404): credentials for anyone would make the relay an open proxy."""
import asyncio
import base64
import hashlib
import hmac
import http.client
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon  # noqa: E402
from tap import Tap  # noqa: E402
from wsclient import paired  # noqa: E402

KEY = "api-key-0123456789abcdef"


def call(d, path="/api/ice-servers", method="GET", headers=None,
         src="127.0.0.1", key=KEY):
    """A request; with key (the default), Authorization: Bearer key."""
    h = dict(headers or {})
    if key is not None and "Authorization" not in h:
        h["Authorization"] = "Bearer " + key
    c = http.client.HTTPConnection("127.0.0.1", d.http_port, timeout=5,
                                   source_address=(src, 0))
    c.request(method, path, headers=h)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body


def main(t):
    with Daemon() as d:
        for what, headers in (("no Authorization", None),
                              ("any Bearer", {"Authorization": "Bearer "
                                              "anything-0123456789"})):
            st, h, b = call(d, headers=headers, key=None)
            t.ok(st == 404 and b"iceServers" not in b and
                 b"credential" not in b,
                 "no api-key set: /api/ice-servers is off (404), %s" % what)
        st, h, b = call(d, method="OPTIONS", key=None, headers={
            "Origin": "http://127.0.0.1:%d" % d.http_port,
            "Access-Control-Request-Method": "GET"})
        t.eq(st, 404, "no api-key set: the CORS preflight gets 404 too")

    with Daemon(conf={"rate-limit-max": "3", "rate-limit-window": "3",
                      "api-key": KEY}) as d:
        st, h, b = call(d)
        doc = json.loads(b) if st == 200 else {}
        t.eq(st, 200, "GET /api/ice-servers: 200")
        t.eq(h.get("content-type"), "application/json", "JSON")
        t.ok(h.get("x-frame-options") == "DENY" and
             h.get("cache-control") == "no-store",
             "security headers, not cached")
        srv = (doc.get("iceServers") or [{}])[0]
        user = srv.get("username", "")
        t.ok(user.isdigit() and 0 < int(user) - time.time() <= 3601,
             "username EXPIRY (no session)")
        want = base64.b64encode(hmac.new(d.secret.encode(), user.encode(),
                                         hashlib.sha1).digest()).decode()
        t.eq(srv.get("credential"), want, "password of the REST scheme")
        t.ok(any(u.startswith("turn:127.0.0.1:%d" % d.turn_port)
                 for u in srv.get("urls", [])), "turn: URL")
        t.ok(doc.get("iceTransportPolicy") == "relay" and
             doc.get("ttl") == 3600, "policy and ttl")
        codes = [call(d)[0] for _ in range(2)]
        st, h, b = call(d)
        t.eq(codes, [200, 200], "requests 2 and 3 of 3: 200")
        t.ok(st == 429 and 1 <= int(h.get("retry-after", "0")) <= 3,
             "the 4th in the window: 429 with Retry-After")
        t.eq(call(d, src="127.0.0.2")[0], 200,
             "another client IP is not limited")
        time.sleep(int(h.get("retry-after", "3")) + 0.2)
        t.eq(call(d)[0], 200, "after Retry-After: 200 again")
        st, h, b = call(d, headers={"Origin": "http://evil.example"},
                        src="127.0.0.3")
        t.eq(st, 403, "a foreign Origin: 403")
        st, h, b = call(d, headers={
            "Origin": "http://127.0.0.1:%d" % d.http_port}, src="127.0.0.3")
        t.ok(st == 200 and h.get("access-control-allow-origin") ==
             "http://127.0.0.1:%d" % d.http_port,
             "the own origin: 200 with Access-Control-Allow-Origin")
        st, h, b = call(d, method="OPTIONS", headers={
            "Origin": "http://127.0.0.1:%d" % d.http_port,
            "Access-Control-Request-Method": "GET"}, src="127.0.0.3")
        t.ok(st == 204 and "Authorization" in h.get(
             "access-control-allow-headers", ""), "CORS preflight: 204")
        st, h, b = call(d, method="POST", src="127.0.0.4")
        t.eq(st, 405, "POST: 405")

    with Daemon(conf={"api-key": KEY,
                      "cors-origins": "https://app.example"}) as d:
        st, h, b = call(d, key=None)
        t.ok(st == 401 and h.get("www-authenticate", "").startswith("Bearer"),
             "api-key set, none sent: 401 with WWW-Authenticate")
        st, h, b = call(d, headers={"Authorization": "Bearer wrong-key-"
                                    "0123456789"})
        t.eq(st, 401, "a wrong key: 401")
        st, h, b = call(d, headers={"Authorization": "Bearer " + KEY})
        t.eq(st, 200, "the right key: 200")
        st, h, b = call(d, headers={"Authorization": "Bearer " + KEY,
                                    "Origin": "http://127.0.0.1:%d"
                                    % d.http_port})
        t.eq(st, 403, "with cors-origins set, the own origin is not implied")
        st, h, b = call(d, headers={"Authorization": "Bearer " + KEY,
                                    "Origin": "https://app.example"})
        t.eq(st, 200, "a configured origin: 200")
        t.ok('"event":"bad_api_key"' in d.log(),
             "wrong keys are security events")

    # Two addresses clients reach us at: the fastest transport first for
    # every one of them (UDP, then TCP, then TLS), not address by address.
    with Daemon(tls=True, conf={"api-key": KEY,
                                "listen": ["127.0.0.1", "127.0.0.5"]}) as d:
        st, h, b = call(d)
        urls = ((json.loads(b) if st == 200 else {}).get("iceServers")
                or [{}])[0].get("urls", [])
        want = ["turn:%s:%d?transport=udp" % (ip, d.turn_port)
                for ip in ("127.0.0.1", "127.0.0.5")] + \
            ["turn:%s:%d?transport=tcp" % (ip, d.turn_port)
             for ip in ("127.0.0.1", "127.0.0.5")] + \
            ["turns:%s:%d?transport=tcp" % (ip, d.tls_port)
             for ip in ("127.0.0.1", "127.0.0.5")]
        t.eq(urls, want, "iceServers: every UDP URL, then TCP, then TLS")
        wa, ma = asyncio.run(welcome_and_matched(d))
        t.eq(wa, want, "welcome: the same order")
        t.eq(ma, want, "matched: the same order")


async def welcome_and_matched(d):
    """The iceServers URLs of a welcome and of its matched message."""
    a, b = await paired(d, "127.0.0.2", "127.0.0.3")
    urls = (a.welcome["iceServers"][0]["urls"],
            a.matched["iceServers"][0]["urls"])
    await a.close()
    await b.close()
    return urls


Tap().run(main)
