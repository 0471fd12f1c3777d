"""The HTTP moderation API of the running daemon (/admin/v1/bans and
/admin/v1/reports) with a token from `meetopiactl admin add`: Bearer
authentication (401 with WWW-Authenticate otherwise), bans added and lifted
through it seen by meetopiactl and the other way round, and failed
authentications rate limited (429 with Retry-After).

Needs the HTTP server's route to the handler (mdb_admin_request); the
handler itself is tested in tests/unit/test_admin_api.c."""
import http.client
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon, ctl  # noqa: E402
from tap import Tap  # noqa: E402


def call(d, method, path, token=None, body=None):
    c = http.client.HTTPConnection("127.0.0.1", d.http_port, timeout=10)
    h = {"Origin": "http://127.0.0.1:%d" % d.http_port}
    if token is not None:
        h["Authorization"] = "Bearer " + token
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    c.request(method, path, body=data, headers=h)
    r = c.getresponse()
    raw = r.read()
    c.close()
    try:
        doc = json.loads(raw)
    except ValueError:
        doc = None
    return r.status, dict((k.lower(), v) for k, v in r.getheaders()), doc


def main(t):
    with Daemon(conf={"rate-limit-max": "1000"}) as d:
        p = ctl(d, "admin", "add", "alice")
        m = re.search(r"\b([0-9a-f]{16}\.[0-9a-f]{64})\b", p.stdout)
        t.ok(p.returncode == 0 and m, "admin token created")
        tok = m.group(1) if m else "x"

        st, hd, doc = call(d, "GET", "/admin/v1/bans")
        t.eq(st, 401, "no token: 401")
        t.ok(hd.get("www-authenticate", "").startswith("Bearer"),
             "with WWW-Authenticate: Bearer")
        t.eq(hd.get("content-type", "").split(";")[0], "application/json",
             "JSON errors")
        st, hd, doc = call(d, "GET", "/admin/v1/bans", tok)
        t.ok(st == 200 and doc == {"bans": []}, "GET bans with the token",
             doc)
        st, hd, doc = call(d, "POST", "/admin/v1/bans", tok,
                           {"target": "203.0.113.0/24", "for": "2h",
                            "reason": "api test"})
        t.ok(st == 201 and doc["ban"]["target"] == "203.0.113.0/24",
             "POST a ban: 201", doc)
        ban_id = doc["ban"]["id"] if st == 201 else 0
        p = ctl(d, "ban", "list")
        t.ok("203.0.113.0/24" in p.stdout and "api test" in p.stdout,
             "meetopiactl sees it")
        p = ctl(d, "ban", "add", "198.51.100.9")
        st, hd, doc = call(d, "GET", "/admin/v1/bans", tok)
        t.ok(st == 200 and {b["target"] for b in doc["bans"]} ==
             {"203.0.113.0/24", "198.51.100.9"}, "the API sees the CLI's ban")
        st, hd, doc = call(d, "DELETE", "/admin/v1/bans/%d" % ban_id, tok)
        t.ok(st == 200 and doc == {"removed": ban_id}, "DELETE a ban")
        st, hd, doc = call(d, "GET", "/admin/v1/reports?open=1", tok)
        t.ok(st == 200 and doc == {"reports": []}, "GET reports")
        st, hd, doc = call(d, "POST", "/admin/v1/bans", tok,
                           {"target": "1.2.3.4", "for": "365d"})
        t.ok(st == 400 and "ban-max" in doc.get("message", ""),
             "past ban-max: 400")

        bad = "0" * 16 + "." + "0" * 64
        # The request without a token above was the first failure.
        codes = [call(d, "GET", "/admin/v1/bans", bad)[0] for _ in range(9)]
        t.eq(codes, [401] * 9, "nine wrong tokens (ten failures): 401")
        st, hd, doc = call(d, "GET", "/admin/v1/bans", tok)
        t.ok(st == 429 and int(hd.get("retry-after", "0")) > 0,
             "then 429 with Retry-After, even with the right token")
        t.ok('"event":"admin_auth_failed"' in d.log(),
             "failures are security events")
        p = ctl(d, "admin", "remove", "alice")
        t.eq(p.returncode, 0, "admin removed")


Tap().run(main)
