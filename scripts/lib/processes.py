"""Child processes: stopping them; their CPU time and memory from /proc (memory also sampled, with a ceiling); this
process's descriptor limit; the tail of a child's log."""

import os
import resource
import subprocess
import threading

TICKS = os.sysconf("SC_CLK_TCK")


def stop(process):
    """SIGTERM, then waits up to 120 s: a graceful stop drains requests and commits, slow, not stuck, on a loaded
    machine (TimeoutExpired past that)."""
    process.terminate()
    process.wait(timeout=120)


def stop_or_kill(process, timeout):
    """SIGTERM; SIGKILL when the process has not exited `timeout` seconds later."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()


def cpu_seconds(pid):
    """User and system CPU time of `pid` so far, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def status_kib(pid, field):
    """A field of /proc/PID/status in KiB (VmRSS, VmHWM); None when it has none (a zombie). OSError once it is gone."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


def rss_kib(pid):
    """Resident memory of `pid` now, in KiB."""
    return status_kib(pid, "VmRSS")


def rss_mib(pid):
    """Resident memory of `pid` now, in MiB."""
    return rss_kib(pid) / 1024


def peak_rss_mib(pid):
    """The most resident memory `pid` has had, in MiB (VmHWM)."""
    return status_kib(pid, "VmHWM") / 1024


def rss_mib_or_nan(pid):
    """Resident memory of `pid` now, in MiB; nan once the process is gone."""
    try:
        kib = rss_kib(pid)
    except OSError:
        return float("nan")
    return float("nan") if kib is None else kib / 1024


class RSSSampler(threading.Thread):
    """Samples a process's RSS (MiB) every `interval` s; keeps the peak; SIGKILLs it past `ceiling_mb`."""

    def __init__(self, process, ceiling_mb, interval=0.1):
        super().__init__(daemon=True)
        self.process, self.ceiling_mb, self.interval = process, ceiling_mb, interval
        self.peak = 0.0
        self.killed_at_mb = None
        self.finished = threading.Event()

    def run(self):
        while not self.finished.is_set() and self.process.poll() is None:
            current = rss_mib_or_nan(self.process.pid)
            if current == current:  # not nan
                self.peak = max(self.peak, current)
                if self.ceiling_mb and current > self.ceiling_mb and self.killed_at_mb is None:
                    self.killed_at_mb = current
                    self.process.kill()
            self.finished.wait(self.interval)

    def reset_peak(self):
        self.peak = rss_mib_or_nan(self.process.pid)
        if self.peak != self.peak:
            self.peak = 0.0

    def stop(self):
        self.finished.set()
        self.join(timeout=2)


def raise_descriptor_limit():
    """Raises this process's descriptor limit to its hard limit; returns it."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def tail(path, lines=5):
    """The last `lines` lines of the file `path` on one line, joined by " | "; empty when it cannot be read."""
    try:
        with open(path, errors="replace") as log:
            return " | ".join(line.rstrip() for line in log.readlines()[-lines:])
    except OSError:
        return ""
