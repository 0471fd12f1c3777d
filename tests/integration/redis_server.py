"""redis_server.py - a redis-server of its own for a test, on a free
loopback port, with no persistence.

    from redis_server import RedisServer, have_redis
    if not have_redis(): t.skip_all("redis-server is not installed")
    with RedisServer(password="pw") as r:
        r.port, r.url(db=3)            # redis://:pw@127.0.0.1:PORT/3
        r.kill(); r.start()            # kill -9, then again on the same port

Only 127.0.0.1; the server is killed at exit even when the test fails.
"""
import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from harness import free_port

_live = []


def _cleanup():
    for r in list(_live):
        r.kill()


atexit.register(_cleanup)


def have_redis():
    return shutil.which("redis-server") is not None


class RedisServer:
    def __init__(self, password=None, port=None):
        self.password = password
        self.port = port or free_port(udp_too=False)
        self.dir = tempfile.mkdtemp(prefix="mtest-redis-")
        self.proc = None

    def url(self, db=0):
        auth = ":%s@" % self.password if self.password else ""
        return "redis://%s127.0.0.1:%d%s" % (auth, self.port,
                                             "/%d" % db if db else "")

    def start(self, timeout=10):
        args = ["redis-server", "--port", str(self.port),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", self.dir, "--logfile", os.path.join(self.dir, "log")]
        if self.password:
            args += ["--requirepass", self.password]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        _live.append(self)
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64):
                        return self
            except OSError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start on port %d" % self.port)

    def kill(self):
        """kill -9 and wait."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        if self in _live:
            _live.remove(self)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
