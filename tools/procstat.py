"""procstat.py - a process's figures from /proc, for the tools/ scripts."""
import os


def proc_stats(pid):
    """(VmRSS in KiB, user+system CPU seconds) of pid."""
    rss = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return rss, (int(fields[11]) + int(fields[12])) / tick


def proc_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))
