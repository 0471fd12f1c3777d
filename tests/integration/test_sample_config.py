"""etc/meetopia.conf documents every key: uncommented, it is a valid
configuration, and every key that --check-config prints appears in it."""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import MEETOPIAD, SRCDIR  # noqa: E402
from tap import Tap  # noqa: E402

t = Tap()
sample = open(os.path.join(SRCDIR, "etc", "meetopia.conf")).read()
keyline = re.compile(r"^#([a-z][a-z0-9-]*) = (.*)$")
seen, lines = set(), []
for line in sample.splitlines():
    m = keyline.match(line)
    if m:
        if m.group(1) not in seen:   # scalar keys once
            lines.append("%s = %s" % m.groups())
        seen.add(m.group(1))
t.ok(all(line.startswith("#") or not line.strip() for line in sample.splitlines()),
     "every line of the sample is commented out")
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "all.conf")
    # 0600: uncommented, the sample holds auth-secret and api-key.
    with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write("\n".join(lines) + "\n")
    p = subprocess.run([MEETOPIAD, "-c", path, "--check-config"],
                       capture_output=True, text=True, timeout=10)
    t.eq(p.returncode, 0, "the sample, uncommented, is valid")
    if p.returncode:
        t.diag(p.stderr)
    p = subprocess.run([MEETOPIAD, "--check-config"], capture_output=True,
                       text=True, timeout=10)
    keys = set()
    for line in p.stdout.splitlines():
        m = re.match(r"^#? ?([a-z][a-z0-9-]*)(?: = |: )", line)
        if m and m.group(1) not in ("from", "state", "meetopiad"):
            keys.add(m.group(1))
    t.ok(len(keys) >= 45, "--check-config lists every key (%d)" % len(keys))
    missing = sorted(keys - seen)
    t.eq(missing, [], "every key is documented in etc/meetopia.conf")
t.done()
