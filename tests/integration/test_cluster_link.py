#!/usr/bin/env python3
"""test_cluster_link.py - a node's membership of its cluster (cluster/cluster.c)
against a real redis-server: with `redis` set, meetopia_cluster_up is 1 once
the link is up; when Redis is killed the node keeps serving (/healthz, a
STUN Binding), says so in its log and its security log, and the gauge falls
to 0; when Redis is back on the same port the node rejoins by itself, with
no restart.  A bad `redis` URL is refused at start with a reason.
"""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, metric  # noqa: E402
from redis_server import RedisServer, have_redis  # noqa: E402
import stun  # noqa: E402
from tap import Tap  # noqa: E402


def wait_metric(d, name, want, timeout=10):
    deadline = time.time() + timeout
    v = None
    while time.time() < deadline:
        v = metric(d, name)
        if v == want:
            return True
        time.sleep(0.1)
    return False


def still_serving(d):
    with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % d.http_port,
                                timeout=5) as r:
        healthy = r.status == 200
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    try:
        msg, tid = stun.message(stun.BINDING, [])
        s.sendto(msg, ("127.0.0.1", d.turn_port))
        data, _ = s.recvfrom(2048)
        m = stun.parse(data)
        binding = m["tid"] == tid and m["type"] == stun.BINDING | stun.SUCCESS
    except OSError:
        binding = False
    finally:
        s.close()
    return healthy and binding


def main():
    t = Tap()
    if not have_redis():
        t.skip_all("redis-server is not installed (Debian: redis-server)")

    # A URL meetopiad cannot use is refused before anything starts.
    bad = Daemon(conf={"redis": "http://127.0.0.1:1"}, wait_ready=False)
    bad.start()
    try:
        rc = bad.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        rc = None
    t.ok(rc == 2, "a bad redis URL: exit 2", "rc %r" % rc)
    t.ok("redis" in bad.log(), "a bad redis URL: the log names the key",
         bad.log()[-300:])
    bad.stop()

    with RedisServer(password="mtest-pw") as r:
        seclog = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                              "mtest-cluster-link-%d.jsonl" % os.getpid())
        conf = {"redis": r.url(db=2), "node-name": "node-a",
                "security-log": seclog}
        try:
            with Daemon(conf=conf) as d:
                t.ok(wait_metric(d, "meetopia_cluster_up", 1),
                     "meetopia_cluster_up is 1 once joined")
                t.ok(d.wait_log("cluster: joined as node-a"),
                     "the log says the node joined, with its name")
                t.ok("mtest-pw" not in d.log(),
                     "the Redis password is not in the log")

                r.kill()
                t.ok(wait_metric(d, "meetopia_cluster_up", 0),
                     "Redis killed: meetopia_cluster_up falls to 0")
                t.ok(d.wait_log("cluster: Redis unreachable"),
                     "Redis killed: the log says so")
                t.ok(still_serving(d),
                     "Redis killed: /healthz and STUN still answer")
                events = []
                deadline = time.time() + 5
                while time.time() < deadline and not events:
                    with open(seclog) as f:
                        events = [json.loads(line) for line in f
                                  if '"cluster_down"' in line]
                    time.sleep(0.1)
                t.ok(len(events) >= 1 and events[0]["type"] == "error" and
                     events[0]["severity"] == "high",
                     "Redis killed: a security event cluster_down "
                     "(error, high)", repr(events[:1]))

                r.start()
                t.ok(wait_metric(d, "meetopia_cluster_up", 1, timeout=15),
                     "Redis back: the node rejoins by itself")
                t.ok(d.proc.poll() is None, "no restart: the same process")
        finally:
            if os.path.exists(seclog):
                os.unlink(seclog)

    # Without redis there is no cluster: the gauge is 0 and nothing waits.
    with Daemon() as d:
        t.ok(metric(d, "meetopia_cluster_up") == 0,
             "no redis: meetopia_cluster_up is 0")
    t.done()


if __name__ == "__main__":
    main()
