"""The man pages render with man -l without warnings, and meetopia.conf(5)
documents every configuration key that meetopiad knows."""
import glob
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import MEETOPIAD, SRCDIR  # noqa: E402
from tap import Tap  # noqa: E402

t = Tap()
if shutil.which("man") is None:
    t.skip_all("man is not installed (Debian package man-db)")
pages = sorted(glob.glob(os.path.join(SRCDIR, "doc", "*.[58]")))
t.ok(len(pages) >= 2, "man pages exist (%d)" % len(pages))
for page in pages:
    p = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", page],
                       capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, MANWIDTH="80", MAN_KEEP_FORMATTING="0"))
    name = os.path.basename(page)
    t.ok(p.returncode == 0 and len(p.stdout) > 200, "%s renders" % name)
    t.eq(p.stderr.strip(), "", "%s renders without warnings" % name)

conf5 = os.path.join(SRCDIR, "doc", "meetopia.conf.5")
if os.path.exists(conf5):
    text = open(conf5).read()
    out = subprocess.run([MEETOPIAD, "--check-config"], capture_output=True,
                         text=True, timeout=10).stdout
    keys = set()
    for line in out.splitlines():
        m = re.match(r"^#? ?([a-z][a-z0-9-]*)(?: = |: )", line)
        if m and m.group(1) not in ("from", "state", "meetopiad"):
            keys.add(m.group(1))
    missing = sorted(k for k in keys if (".It Cm %s " % k) not in text)
    t.eq(missing, [], "meetopia.conf(5) documents every key")
t.done()
