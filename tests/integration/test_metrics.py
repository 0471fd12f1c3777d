"""GET /metrics (SPEC "Metrics"): Prometheus text with SPEC's names, from
loopback by default, refused (403) to an address outside metrics-allow;
the signaling figures move with traffic: ws_connections, sessions_waiting,
pairs, pairs_total, connect_seconds/connect_success_total from client
`stats`, connect_failure_total, session_seconds at the end of a pair,
errors_total{code}."""
import asyncio
import http.client
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon  # noqa: E402
from tap import Tap  # noqa: E402
from wsclient import connect  # noqa: E402

NAMES = ["meetopia_turn_allocations", "meetopia_turn_allocations_total",
         "meetopia_turn_auth_failures_total",
         "meetopia_turn_relayed_bytes_total",
         "meetopia_turn_relayed_packets_total",
         "meetopia_turn_peer_denied_total",
         "meetopia_turn_send_dropped_total", "meetopia_ws_connections",
         "meetopia_sessions_waiting", "meetopia_pairs", "meetopia_pairs_total",
         "meetopia_connect_seconds", "meetopia_connect_success_total",
         "meetopia_connect_failure_total", "meetopia_session_seconds",
         "meetopia_errors_total", "meetopia_security_events_total"]


def scrape(d):
    c = http.client.HTTPConnection("127.0.0.1", d.http_port, timeout=5)
    c.request("GET", "/metrics")
    r = c.getresponse()
    body = r.read().decode()
    c.close()
    vals = {}
    for line in (body if r.status == 200 else "").splitlines():
        if line.startswith("#") or not line:
            continue
        k, _, v = line.rpartition(" ")
        vals[k] = float(v)
    return r.status, r.getheader("Content-Type"), body, vals


async def traffic(t, d):
    v0 = scrape(d)[3]
    a = await connect(d, "127.0.0.2")
    b = await connect(d, "127.0.0.3")
    await a.send_json(type="find")
    await a.recv_type("waiting")
    v = scrape(d)[3]
    t.eq(v["meetopia_ws_connections"], 2, "ws_connections: 2")
    t.eq(v["meetopia_sessions_waiting"], 1, "sessions_waiting: 1")
    await b.send_json(type="find")
    await a.recv_type("matched")
    await b.recv_type("matched")
    v = scrape(d)[3]
    t.ok(v["meetopia_pairs"] == 1 and v["meetopia_sessions_waiting"] == 0,
         "pairs: 1, sessions_waiting: 0")
    t.eq(v["meetopia_pairs_total"], v0["meetopia_pairs_total"] + 1,
         "pairs_total + 1")
    await a.send_json(type="stats", state="connected", rtt=20, loss=0,
                      connectMs=1500)
    await a.send_json(type="stats", state="connected",
                      connectMs=1500)    # counted once
    await b.send_json(type="stats", state="failed")
    await a.send_raw("{bad json")
    await a.recv_type("error")
    await b.send_json(type="next")
    await a.recv_type("partner_left")
    v = scrape(d)[3]
    t.eq(v["meetopia_connect_success_total"], 1,
         "connect_success_total from stats, once per pair")
    t.eq(v["meetopia_connect_failure_total"], 1, "connect_failure_total")
    t.ok(v['meetopia_connect_seconds_bucket{le="2"}'] == 1 and
         v['meetopia_connect_seconds_bucket{le="1"}'] == 0 and
         v["meetopia_connect_seconds_sum"] == 1.5,
         "connect_seconds: 1.5 s in the 2 s bucket")
    t.eq(v["meetopia_session_seconds_count"], 1,
         "session_seconds observed when the pair ended")
    t.eq(v['meetopia_errors_total{code="bad_request"}'],
         v0['meetopia_errors_total{code="bad_request"}'] + 1,
         'errors_total{code="bad_request"} + 1')
    t.eq(v["meetopia_pairs"], 0, "pairs back to 0")
    await a.close()
    await b.close()
    await asyncio.sleep(0.3)
    t.eq(scrape(d)[3]["meetopia_ws_connections"], 0,
         "ws_connections back to 0")


def main(t):
    with Daemon() as d:
        st, ctype, body, vals = scrape(d)
        t.ok(st == 200 and ctype.startswith("text/plain; version=0.0.4"),
             "GET /metrics from loopback: 200, Prometheus text")
        missing = [n for n in NAMES if not re.search(
            r"^# TYPE %s " % n, body, re.M)]
        t.eq(missing, [], "every name of SPEC is there")
        asyncio.run(traffic(t, d))
    with Daemon(conf={"metrics-allow": "10.0.0.0/8"}) as d:
        st, ctype, body, vals = scrape(d)
        t.ok(st == 403 and "meetopia_" not in body,
             "127.0.0.1 outside metrics-allow: 403")
        t.ok('"event":"metrics_refused"' in d.log(), "a security event")


Tap().run(main)
