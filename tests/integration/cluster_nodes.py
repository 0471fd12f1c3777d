"""cluster_nodes.py - one redis-server and N meetopiad nodes of one cluster
for the cluster tests, on free loopback ports.

    from cluster_nodes import Cluster
    with Cluster(3) as cl:
        cl.redis, cl.nodes        # RedisServer, [Daemon, ...] named n1..nN
        cl.node_of_port(port)     # the Daemon whose TURN port it is
        cl.wait_up(t)             # every node sees every other one up

The nodes share what a cluster must share (SPEC "Cluster"): auth-secret
(the harness' default, in the config), and resume-secret and
pseudonym-secret, written into each node's state dir before it starts.
"""
import os
import secrets
import time

from harness import Daemon, metric
from redis_server import RedisServer

PREFIX = "mtest:"


class Cluster:
    def __init__(self, n=3, conf=None, password="mtest-redis-pw"):
        self.redis = RedisServer(password=password)
        self.n = n
        self.conf = dict(conf or {})
        self.shared = {"resume-secret": secrets.token_hex(32),
                       "pseudonym-secret": secrets.token_hex(32)}
        self.nodes = []

    def make_node(self, i):
        conf = {"redis": self.redis.url(), "cluster-prefix": PREFIX,
                "node-name": "n%d" % i}
        conf.update(self.conf)
        d = Daemon(conf=conf)
        os.makedirs(d.state_dir, mode=0o700, exist_ok=True)
        for name, value in self.shared.items():
            path = os.path.join(d.state_dir, name)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(value + "\n")
        return d

    def start(self):
        self.redis.start()
        for i in range(1, self.n + 1):
            d = self.make_node(i)
            self.nodes.append(d)
            d.start()
        return self

    def node_of_port(self, port):
        for d in self.nodes:
            if d.turn_port == port:
                return d
        return None

    def node_of_servers(self, ice):
        """The Daemon every URL of an iceServers list names, or None."""
        ports = set()
        for srv in ice:
            for u in srv["urls"]:
                ports.add(int(u.split(":")[2].split("?")[0]))
        if len(ports) != 1:
            return None
        return self.node_of_port(ports.pop())

    def wait_up(self, want=None, timeout=10):
        """True once every live node counts want nodes up."""
        want = want if want is not None else len(self.nodes)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if all(metric(d, 'meetopia_cluster_nodes{state="up"}') == want
                   for d in self.nodes if d.proc.poll() is None):
                return True
            time.sleep(0.2)
        return False

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        for d in self.nodes:
            d.__exit__(*exc)
        self.redis.__exit__(*exc)
        return False
