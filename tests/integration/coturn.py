"""coturn.py - coturn's test tools (Debian package coturn) for the tests.

    if UCLIENT is None or PEER is None: skip
    rc, out = uclient(d, port, peer_port, ["-t"])   # loopback only
    lost(out) -> packets lost or None; received(out) -> (sent, received)

uclient runs under timeout(1), so a hung client cannot hold a test.  When
uclient prints several summaries, the last one counts.

The peer listens on PEER_HOST, 127.0.0.2: the daemon's listen address
127.0.0.1 is this host, never a peer but for its own relayed addresses
(SPEC "Relay policy"); a test opens PEER_HOST with allowed-peer-ip.
"""
import re
import shutil
import subprocess
import time

UCLIENT = shutil.which("turnutils_uclient")
PEER = shutil.which("turnutils_peer")
PEER_HOST = "127.0.0.2"


def lost(out):
    m = re.findall(r"Total lost packets (\d+) \(", out)
    return int(m[-1]) if m else None


def received(out):
    m = re.findall(r"tot_send_msgs=(\d+), tot_recv_msgs=(\d+)\s*$", out,
                   re.M)
    return (int(m[-1][0]), int(m[-1][1])) if m else None


def uclient(d, port, peer_port, extra, secret=None, n=100, m=4, timeout=40):
    """turnutils_uclient against d (a harness.Daemon) on 127.0.0.1:port,
    to turnutils_peer on PEER_HOST:peer_port: (exit code, output)."""
    cmd = ["timeout", str(timeout), UCLIENT, "-W", secret or d.secret,
           "-u", "uclient", "-p", str(port), "-e", PEER_HOST,
           "-r", str(peer_port), "-m", str(m), "-n", str(n), "-l", "170"] \
        + extra + ["127.0.0.1"]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout + 10)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def peer_start(port, secs=300):
    """turnutils_peer echoing UDP on PEER_HOST:port, for at most secs (so
    that it ends even if the test is killed); stop it with peer_stop()."""
    p = subprocess.Popen(["timeout", str(secs), PEER, "-L", PEER_HOST,
                          "-p", str(port)], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    return p


def peer_stop(p):
    """SIGTERM, which timeout(1) passes on to the peer (SIGKILL would
    leave the peer running without its timeout)."""
    p.terminate()
    try:
        p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
