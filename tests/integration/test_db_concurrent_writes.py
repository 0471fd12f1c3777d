"""Many meetopiactl processes write the database at once while the daemon
runs (and writes: its purge at start, its cache refreshes read): WAL and the
busy timeout serialise them, every command succeeds, nothing is lost, and
the daemon's ban cache ends with every ban."""
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon, MEETOPIACTL  # noqa: E402
from tap import Tap  # noqa: E402

WRITERS = 6
EACH = 8


def main(t):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEETOPIA_")}
    with Daemon() as d:
        base = [MEETOPIACTL, "-c", d.conf_path, "--state-dir", d.state_dir]
        # Each writer runs a shell loop of meetopiactl invocations, so
        # that the processes overlap for the whole run.
        procs = []
        for w in range(WRITERS):
            script = "; ".join(
                "%s ban add 10.%d.%d.1 --reason w%d >/dev/null || exit 1"
                % (" ".join(base), w, i, w) for i in range(EACH))
            procs.append(subprocess.Popen(["sh", "-c", script + "; exit 0"],
                                          env=env))
        for _ in range(2):
            procs.append(subprocess.Popen(
                ["sh", "-c", "; ".join(" ".join(base) + " %s >/dev/null || "
                                       "exit 1" % c for c in
                                       ["purge", "ban list", "report list",
                                        "purge", "admin list"] * 3)
                 + "; exit 0"], env=env))
        codes = [p.wait(timeout=120) for p in procs]
        t.eq(codes, [0] * len(procs), "%d concurrent meetopiactl loops all "
             "succeeded" % len(procs))
        p = subprocess.run(base + ["--json", "ban", "list"],
                           capture_output=True, text=True, timeout=30, env=env)
        bans = json.loads(p.stdout)["bans"]
        t.eq(len(bans), WRITERS * EACH, "every ban is in the database")
        t.eq(len({b["id"] for b in bans}), WRITERS * EACH, "with its own id")
        deadline = time.time() + 3
        last = None
        while time.time() < deadline:
            counts = re.findall(r"ban cache: (\d+) active bans", d.log())
            last = int(counts[-1]) if counts else None
            if last == WRITERS * EACH:
                break
            time.sleep(0.05)
        t.eq(last, WRITERS * EACH, "the daemon's cache has them all")
        t.ok(d.proc.poll() is None, "the daemon kept running")


Tap().run(main)
