"""The 3-node cluster examples in etc/cluster/ (issue 17) cannot rot: each
node's configuration passes meetopiad --check-config, the nodes agree on
what a cluster shares (SPEC "Cluster") and differ where they must, the
docker-compose file matches the configurations, and the systemd drop-in
sets keys meetopiad knows."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import BUILDDIR, MEETOPIAD, SRCDIR  # noqa: E402
from tap import Tap  # noqa: E402

t = Tap()
EX = os.path.join(SRCDIR, "etc", "cluster")
NODES = ["node1", "node2", "node3"]


def check_config(path, state, env=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("MEETOPIA_")}
    e.update(env or {})
    args = [MEETOPIAD, "--state-dir", state, "--check-config"]
    if path:
        args[1:1] = ["-c", path]
    return subprocess.run(args, capture_output=True, text=True, timeout=10,
                          env=e)


def effective(out):
    """{key: value} from --check-config's "key = value" lines."""
    keys = {}
    for line in out.splitlines():
        m = re.match(r"^([a-z][a-z0-9-]*) = (.*)$", line)
        if m:
            keys.setdefault(m.group(1), m.group(2).strip())
    return keys


def conf_keys(text):
    keys = {}
    for line in text.splitlines():
        line = line.split(" #")[0].strip()
        if line and not line.startswith("#"):
            k, _, v = line.partition("=")
            keys[k.strip()] = v.strip()
    return keys


confs = {}
with tempfile.TemporaryDirectory() as tmp:
    for n in NODES:
        text = open(os.path.join(EX, n + ".conf")).read()
        confs[n] = conf_keys(text)
        # The example as an operator installs it: chmod 600 (it holds
        # auth-secret and the Redis password), state in a dir of its own.
        path = os.path.join(tmp, n + ".conf")
        with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(text)
        state = os.path.join(tmp, n + "-state")
        os.mkdir(state, 0o700)
        p = check_config(path, state)
        t.eq(p.returncode, 0, "%s.conf passes --check-config" % n)
        if p.returncode:
            t.diag(p.stderr)
        eff = effective(p.stdout)
        t.eq(eff.get("node-name"), n, "%s.conf: node-name %s" % (n, n))
        t.ok(eff.get("redis", "").startswith("redis://"),
             "%s.conf: redis is set (a cluster node)" % n)

    shared = ["auth-secret", "redis", "cluster-prefix", "node-address"]
    for k in shared:
        t.eq(len({confs[n].get(k) for n in NODES}), 1,
             "the nodes share %s" % k)
    for k in ["node-name", "turn-port", "tls-port", "http-port"]:
        t.eq(len({confs[n].get(k) for n in NODES}), 3,
             "each node has its own %s" % k)
    ranges = sorted((int(confs[n]["min-port"]), int(confs[n]["max-port"]))
                    for n in NODES)
    t.ok(all(a[1] < b[0] for a, b in zip(ranges, ranges[1:])),
         "the relay port ranges do not overlap")

    # The systemd drop-in: the MEETOPIA_ variables it sets are keys.
    dropin = open(os.path.join(EX, "meetopiad.service.d",
                               "cluster.conf")).read()
    envs = re.findall(r"^#?Environment=(MEETOPIA_[A-Z_]+)=(\S+)$", dropin,
                      re.M)
    t.ok(any(k == "MEETOPIA_NODE_NAME" for k, _ in envs),
         "the drop-in names the node from the environment")
    for k, v in envs:
        key = k[len("MEETOPIA_"):].lower().replace("_", "-")
        value = "from-env" if key == "node-name" else v
        state = os.path.join(tmp, "env-" + key)
        os.mkdir(state, 0o700)
        p = check_config(os.path.join(tmp, "node1.conf"), state,
                         {k: value})
        t.eq(effective(p.stdout).get(key), value,
             "drop-in: %s sets %s" % (k, key))
    t.ok(re.search(r"^After=.*redis-server\.service", dropin, re.M)
         and re.search(r"^Wants=.*redis-server\.service", dropin, re.M),
         "drop-in: started after the local redis-server")
    for f in ["resume-secret", "pseudonym-secret"]:
        t.ok(re.search(r"^LoadCredential=%s:" % f, dropin, re.M)
             and f in dropin.split("ExecStartPre=")[-1],
             "drop-in: %s copied into the state dir" % f)

# systemd reads the drop-in with the unit and finds nothing to say of it.
unit = os.path.join(BUILDDIR, "etc", "meetopiad.service")
if shutil.which("systemd-analyze") and os.path.exists(unit):
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(unit, tmp)
        os.mkdir(os.path.join(tmp, "meetopiad.service.d"))
        shutil.copy(os.path.join(EX, "meetopiad.service.d", "cluster.conf"),
                    os.path.join(tmp, "meetopiad.service.d"))
        p = subprocess.run(["systemd-analyze", "verify",
                            os.path.join(tmp, "meetopiad.service")],
                           capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, SYSTEMD_UNIT_PATH=tmp + ":"))
        bad = [x for x in (p.stdout + p.stderr).splitlines()
               if "cluster.conf" in x]
        t.eq(bad, [], "systemd-analyze verify: the drop-in is clean")
else:
    t.ok(True, "# SKIP no systemd-analyze or no built unit")

# The compose file matches the node configurations.
try:
    import yaml
except ImportError:
    yaml = None
compose_text = open(os.path.join(EX, "docker-compose.yml")).read()
if yaml is None:
    t.ok(all(re.search(r"^  %s:$" % s, compose_text, re.M)
             for s in ["redis", "cluster-secrets"] + NODES),
         "docker-compose.yml: the services (no python3-yaml: names only)")
else:
    comp = yaml.safe_load(compose_text)
    svc = comp.get("services", {})
    t.eq(sorted(svc), sorted(["redis", "cluster-secrets"] + NODES),
         "docker-compose.yml: redis, cluster-secrets and three nodes")
    rcmd = svc.get("redis", {}).get("command", [])
    t.ok("--appendonly" in rcmd and
         rcmd[rcmd.index("--appendonly") + 1] == "yes",
         "redis runs with appendonly yes")
    pw = rcmd[rcmd.index("--requirepass") + 1] if "--requirepass" in rcmd \
        else None
    m = re.match(r"redis://(?:[^:@]*:([^@]*)@)?([^:/]+)", confs["node1"]["redis"])
    t.eq((m.group(1), m.group(2)), (pw, "redis"),
         "the nodes' redis URL names the redis service and its password")
    secrets_vols = svc.get("cluster-secrets", {}).get("volumes", [])
    script = "\n".join(svc.get("cluster-secrets", {}).get("command", []))
    t.ok("resume-secret" in script and "pseudonym-secret" in script,
         "cluster-secrets provisions resume-secret and pseudonym-secret")
    for n in NODES:
        s = svc.get(n, {})
        vols = s.get("volumes", [])
        t.ok("./%s.conf:/etc/meetopia/meetopia.conf:ro" % n in vols,
             "%s mounts %s.conf" % (n, n))
        t.ok("%s-state:/var/lib/meetopia" % n in vols and
             "%s-state:/state/%s" % (n, n) in secrets_vols,
             "%s's state dir gets the shared secrets" % n)
        t.ok(s.get("read_only") is True and s.get("cap_drop") == ["ALL"]
             and s.get("user") == "1000:1000",
             "%s is hardened as etc/docker-compose.yml (read-only, no "
             "capabilities, uid 1000)" % n)
        dep = s.get("depends_on", {})
        t.ok(dep.get("redis", {}).get("condition") == "service_healthy" and
             dep.get("cluster-secrets", {}).get("condition") ==
             "service_completed_successfully",
             "%s starts after redis and the secrets" % n)
        c = confs[n]
        want = {"%s:%s/udp" % (c["turn-port"], c["turn-port"]),
                "%s:%s/tcp" % (c["turn-port"], c["turn-port"]),
                "%s:%s/tcp" % (c["tls-port"], c["tls-port"]),
                "%s:%s/tcp" % (c["http-port"], c["http-port"]),
                "%s-%s:%s-%s/udp" % ((c["min-port"], c["max-port"]) * 2)}
        t.eq(set(s.get("ports", [])), want,
             "%s publishes its configured ports" % n)
t.done()
