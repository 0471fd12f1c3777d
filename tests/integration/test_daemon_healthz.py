"""A new user's first check: the daemon started with its defaults answers
GET /healthz with 200 ok on http-port, with SPEC's security headers, and
stops cleanly."""
import http.client
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon  # noqa: E402
from tap import Tap  # noqa: E402

t = Tap()
with Daemon() as d:
    c = http.client.HTTPConnection("127.0.0.1", d.http_port, timeout=5)
    c.request("GET", "/healthz")
    r = c.getresponse()
    body = r.read()
    t.eq(r.status, 200, "GET /healthz answers 200")
    t.eq(body.strip(), b"ok", "GET /healthz says ok")
    for h, want in (("X-Frame-Options", "DENY"),
                    ("X-Content-Type-Options", "nosniff"),
                    ("Referrer-Policy", "no-referrer")):
        t.eq(r.getheader(h), want, "%s: %s" % (h, want))
    t.ok(r.getheader("Content-Security-Policy"), "a Content-Security-Policy")
    t.ok("camera" in (r.getheader("Permissions-Policy") or ""),
         "a Permissions-Policy for camera and microphone")
    c.close()
    t.eq(d.stop(), 0, "stops cleanly")
t.done()
