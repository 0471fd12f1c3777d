"""meetopiactl credential prints a TURN REST credential (username
EXPIRY[:ID], password base64(HMAC-SHA1(secret, username))) signed with the
first auth-secret, or with the one the daemon generated in its state dir;
checked here with an independent HMAC, and, when the relay is built, by an
Allocate with it."""
import asyncio
import base64
import hashlib
import hmac
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon, ctl  # noqa: E402
from tap import Tap  # noqa: E402
from turnclient import aioice_allocate  # noqa: E402


def sign(secret, user):
    return base64.b64encode(hmac.new(secret.encode(), user.encode(),
                                     hashlib.sha1).digest()).decode()


def main(t):
    with Daemon(conf={"auth-secret": ["first-secret-0123456789",
                                      "second-secret-0123456789"],
                      "credential-ttl": "600"}) as d:
        now = int(time.time())
        p = ctl(d, "credential", "--id", "alice")
        m = re.search(r"username: (\d+):alice\npassword: (\S+)\n", p.stdout)
        t.ok(p.returncode == 0 and m, "credential --id", p.stdout + p.stderr)
        user, pw = ("%s:alice" % m.group(1), m.group(2)) if m else ("", "")
        t.ok(m and now + 600 <= int(m.group(1)) <= now + 602,
             "expires after credential-ttl")
        t.eq(pw, sign("first-secret-0123456789", user),
             "signed with the first auth-secret")
        p = ctl(d, "--json", "credential", "--ttl", "90")
        doc = json.loads(p.stdout)
        t.ok(re.fullmatch(r"\d+", doc["username"]) and doc["ttl"] == 90 and
             doc["expires"] == int(doc["username"]) and doc["password"] ==
             sign("first-secret-0123456789", doc["username"]),
             "--json, --ttl, no id", doc)
        p = ctl(d, "credential", "--ttl", "0")
        t.eq(p.returncode, 2, "--ttl 0: exit 2")
        p = ctl(d, "credential", "--id", "a:b")
        t.eq(p.returncode, 2, "an id with a colon: exit 2")
        t.eq(asyncio.run(aioice_allocate(d, user, pw)), 200,
             "the relay accepts the credential")

    with Daemon(conf={"auth-secret": None}) as d:
        with open(os.path.join(d.state_dir, "auth-secret")) as f:
            secret = f.read().strip()
        p = ctl(d, "--json", "credential")
        doc = json.loads(p.stdout) if p.returncode == 0 else {}
        t.ok(doc and doc["password"] == sign(secret, doc["username"]),
             "signed with the secret generated in the state dir")
        if doc:
            t.eq(asyncio.run(aioice_allocate(d, doc["username"],
                                             doc["password"])),
                 200, "the relay accepts that one too")


Tap().run(main)
