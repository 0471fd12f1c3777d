"""Privilege drop: started as root with user/group, the daemon runs as that
user (real, effective and saved ids, supplementary groups) and owns its state
dir; as root without a user it refuses to start unless --allow-root."""
import os
import pwd
import grp
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon, MEETOPIAD, READY  # noqa: E402
from tap import Tap  # noqa: E402

t = Tap()
if os.geteuid() != 0:
    t.skip_all("not root: privilege drop needs a root start")


def ids(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("Uid", "Gid", "Groups"):
                out[k] = v.split()
    return out


nobody = pwd.getpwnam("nobody").pw_uid
nogroup = grp.getgrnam("nogroup").gr_gid
d = Daemon(conf={"user": "nobody", "group": "nogroup"}, wait_ready=False)
os.chmod(d._tmp.name, 0o711)    # nobody reaches its state dir after the drop
with d:
    d.wait_log(READY)
    st = ids(d.proc.pid)
    t.eq(st["Uid"], [str(nobody)] * 4, "real, effective, saved, fs uid are nobody")
    t.eq(st["Gid"], [str(nogroup)] * 4, "all gids are nogroup")
    t.eq(st["Groups"], [str(nogroup)], "supplementary groups: nogroup only")
    t.eq(os.stat(d.state_dir).st_uid, nobody, "the state dir is handed to the user")
    t.eq(os.stat(os.path.join(d.state_dir, "auth-secret")).st_uid
         if os.path.exists(os.path.join(d.state_dir, "auth-secret")) else nobody,
         nobody, "files in the state dir too")
    t.ok("privileges dropped to nobody" in d.log(), "the drop is logged")
    t.eq(d.stop(), 0, "stops cleanly as nobody")

env = {k: v for k, v in os.environ.items() if not k.startswith("MEETOPIA_")}
p = subprocess.run([MEETOPIAD, "--http-port=1", "--state-dir=/nonexistent/x"],
                   capture_output=True, text=True, timeout=10, env=env)
t.eq(p.returncode, 2, "root without user: refused (exit 2)")
t.ok("running as root" in p.stderr and "--allow-root" in p.stderr,
     "root without user: the error says what to do", p.stderr)

d = Daemon(conf={"user": "no-such-user-here"}, wait_ready=False)
try:
    d.start()
    d.proc.wait(10)
    t.eq(d.proc.returncode, 1, "unknown user: the daemon does not run (exit 1)")
    t.ok("no-such-user-here: no such user" in d.log(), "unknown user named")
finally:
    d.__exit__(None, None, None)
t.done()
