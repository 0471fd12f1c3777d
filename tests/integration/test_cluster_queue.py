#!/usr/bin/env python3
"""test_cluster_queue.py - the cluster's pairing queue and Redis link
(cluster/queue.c, cluster/redis.c) against a real redis-server.

Starts redis-server on a free loopback port with a password, and runs
tests/unit/test_cluster_queue with its URL (database 3), which prints the
TAP checks; when it prints "# kill-redis" the server is killed (-9), and
on "# start-redis" started again on the same port.  Then checks that the
link's SELECT put the queue in database 3, not 0.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILDDIR  # noqa: E402
from redis_server import RedisServer, have_redis  # noqa: E402
from tap import Tap  # noqa: E402


def main():
    t = Tap()
    if not have_redis():
        t.skip_all("redis-server is not installed (Debian: redis-server)")
    prog = os.path.join(BUILDDIR, "tests", "unit", "test_cluster_queue")
    with RedisServer(password="mtest-redis-pw") as r:
        env = dict(os.environ, MTEST_REDIS_URL=r.url(db=3))
        p = subprocess.Popen([prog], stdout=subprocess.PIPE, env=env,
                             text=True)
        plan = None
        for line in p.stdout:
            line = line.rstrip("\n")
            if line == "# kill-redis":
                r.kill()
                continue
            if line == "# start-redis":
                r.start()
                continue
            if line.startswith("1.."):
                plan = line
                continue
            if line.startswith("ok ") or line.startswith("not ok "):
                name = line.split(" - ", 1)[1] if " - " in line else line
                t.ok(line.startswith("ok "), name)
            else:
                print(line, flush=True)
        rc = p.wait()
        t.ok(rc == 0 and plan is not None and plan != "1..0",
             "test_cluster_queue ran to its end (exit %d, %s)" % (rc, plan))
        cli = ["redis-cli", "-p", str(r.port), "-a", r.password,
               "--no-auth-warning"]
        db3 = subprocess.run(cli + ["-n", "3", "EXISTS", "mtest:queue:seq"],
                             capture_output=True, text=True).stdout.strip()
        db0 = subprocess.run(cli + ["-n", "0", "EXISTS", "mtest:queue:seq"],
                             capture_output=True, text=True).stdout.strip()
        t.ok(db3 == "1" and db0 == "0",
             "SELECT from the URL: the queue is in database 3 (%s/%s)"
             % (db3, db0))
        keys = subprocess.run(cli + ["-n", "3", "KEYS", "*"],
                              capture_output=True, text=True).stdout.split()
        t.ok(all(k.startswith("mtest:") for k in keys),
             "every key is under the cluster prefix: %s" % sorted(keys))
    t.done()


main()
