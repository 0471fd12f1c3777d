"""server-name (SPEC, Configuration): the DNS name clients reach the
server by.  Browsers check a turns: server's certificate against the URL's
host and do not use turns: by IP address (issue 18), so with server-name
the ICE servers of welcome, matched and /api/ice-servers carry one
turns:NAME URL (turn: URLs keep the addresses), the force-https redirect
goes to https://NAME (whatever Host the request names), and SIGHUP takes a
new name for new sessions (an IP address is refused, at start and on
SIGHUP, and changes nothing).  Without server-name and with TLS on, the log
says at start that browsers will not use TURN over TLS."""
import asyncio
import http.client
import json
import os
import signal
import ssl
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon  # noqa: E402
from tap import Tap  # noqa: E402
from wsclient import connect  # noqa: E402

WARN = "no server-name: turns: URLs carry an IP address"
KEY = "server-name-test-api-key-0123456789"


def insecure():
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE      # the state dir's self-signed pair
    return c


def get(d, path, host=None, headers=None, tls=False):
    if tls:
        c = http.client.HTTPSConnection("127.0.0.1", d.https_port, timeout=5,
                                        context=insecure())
    else:
        c = http.client.HTTPConnection("127.0.0.1", d.http_port, timeout=5)
    h = dict(headers or {})
    if host is not None:
        h["Host"] = host
    c.request("GET", path, headers=h)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body


async def welcome_urls(d):
    """The TURN URLs of a welcome and of a matched message (over WSS when
    https-port is on: force-https refuses plain /ws)."""
    kw = {"tls": True, "ssl": insecure()} if d.https_port else {}
    a = await connect(d, "127.0.0.2", **kw)
    urls = a.welcome["iceServers"][0]["urls"]
    await a.send_json(type="find")
    await a.recv_type("waiting")
    b = await connect(d, "127.0.0.3", **kw)
    await b.send_json(type="find")
    m = await b.recv_type("matched")
    await a.ws.close()
    await b.ws.close()
    return urls, m["iceServers"][0]["urls"]


def main(t):
    with Daemon(tls=True) as d:
        t.ok(WARN in d.log(), "TLS on without server-name: the log says "
             "browsers will not use TURN over TLS", d.log()[-1500:])
        urls, _ = asyncio.run(welcome_urls(d))
        t.ok("turns:127.0.0.1:%d?transport=tcp" % d.tls_port in urls,
             "without server-name, turns: carries the listen address", urls)

    with Daemon() as d:
        t.ok(WARN not in d.log(), "TLS off: no such warning")

    conf = {"server-name": "Meet.Example.test", "force-https": "yes",
            "api-key": KEY}
    with Daemon(tls=True, https=True, conf=conf) as d:
        t.ok(WARN not in d.log(), "with server-name: no warning")
        turns = "turns:meet.example.test:%d?transport=tcp" % d.tls_port
        urls, murls = asyncio.run(welcome_urls(d))
        t.ok(urls[-1] == turns, "welcome: turns: goes by server-name "
             "(lower case), last", urls)
        t.ok(not any(u.startswith("turns:127.") for u in urls),
             "welcome: no turns: URL by IP address", urls)
        t.ok("turn:127.0.0.1:%d?transport=udp" % d.turn_port in urls and
             "turn:127.0.0.1:%d?transport=tcp" % d.turn_port in urls,
             "welcome: turn: URLs keep the address", urls)
        t.ok(murls[-1] == turns and sum(u.startswith("turns:")
                                        for u in murls) == 1,
             "matched: the same single turns:NAME URL", murls)
        st, h, b = get(d, "/api/ice-servers",
                       headers={"Authorization": "Bearer " + KEY}, tls=True)
        api = json.loads(b or b"{}") if st == 200 else {}
        servers = api.get("iceServers", api if isinstance(api, list) else [])
        t.ok(st == 200 and servers and turns in servers[0]["urls"],
             "/api/ice-servers: turns:NAME too", (st, b[:300]))

        st, h, _ = get(d, "/index.html?x=1")
        want = "https://meet.example.test:%d/index.html?x=1" % d.https_port
        t.ok(st == 308 and h.get("location") == want,
             "force-https: 308 to https://server-name:https-port", h)
        st, h, _ = get(d, "/", host="evil.example:%d" % d.http_port)
        t.ok(st == 308 and h.get("location") ==
             "https://meet.example.test:%d/" % d.https_port,
             "a forged Host does not choose where the redirect goes",
             h.get("location"))

        # SIGHUP: a new name for new sessions (the key is live).
        text = open(d.conf_path).read().replace(
            "server-name = Meet.Example.test", "server-name = other.test")
        with open(d.conf_path, "w") as f:
            f.write(text)
        d.signal(signal.SIGHUP)
        d.wait_log("config: server-name changed", 10)
        urls, _ = asyncio.run(welcome_urls(d))
        t.ok("turns:other.test:%d?transport=tcp" % d.tls_port in urls,
             "SIGHUP: new sessions get the new name", urls)

        # A bad name on SIGHUP: refused with its reason, nothing changes.
        with open(d.conf_path, "w") as f:
            f.write(text.replace("server-name = other.test",
                                 "server-name = 198.51.100.7"))
        d.signal(signal.SIGHUP)
        d.wait_log("configuration refused", 10)
        t.ok("server-name: a DNS name, not an IP address" in d.log(),
             "SIGHUP: an IP address as server-name is refused, saying why",
             d.log()[-800:])
        urls, _ = asyncio.run(welcome_urls(d))
        t.ok("turns:other.test:%d?transport=tcp" % d.tls_port in urls and
             not any("198.51.100.7" in u for u in urls),
             "SIGHUP: and the running name stays", urls)

    for bad, why in [("192.0.2.1", "not an IP address"),
                     ("meet.example.test:443", "':' is not allowed")]:
        with Daemon(conf={"server-name": bad}, wait_ready=False) as dd:
            try:
                rc = dd.proc.wait(10)
            except Exception:
                rc = None
            t.ok(rc == 2 and "server-name" in dd.log() and why in dd.log(),
                 "server-name = %s: refused at start (exit 2, %s)"
                 % (bad, why), dd.log()[-600:])


Tap().run(main)
