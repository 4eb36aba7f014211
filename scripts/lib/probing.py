"""What the abuse probes in scripts/abuse/ share besides their harness (daemon.Daemon): their common options, and
timed HTTP requests on fresh connections that report a failure rather than raise it."""

import http.client
import json
import statistics
import threading
import time
import urllib.parse


def default_rss_ceiling_mb():
    """Half the memory available now: the daemon may use that much before the sampler kills it."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) // 2048
    except OSError:
        pass
    return 4096


def add_common_arguments(parser):
    parser.add_argument("--binary", default=".build/debug/declutterd")
    parser.add_argument("--rss-ceiling-mb", type=int, default=default_rss_ceiling_mb(),
                        help="kill the daemon if its RSS goes past this (default: half the memory available now)")


def request(method, url, body=None, headers=None, timeout=5.0):
    """One request on a fresh connection (no proxy); (status, body bytes). Raises on a transport failure."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        connection.request(method, path, body=body, headers=headers or {})
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def json_request(method, url, document=None, timeout=10.0):
    """A JSON request to the local API; (status, decoded body or None)."""
    body = None if document is None else json.dumps(document).encode()
    headers = {"Content-Type": "application/json"} if body is not None else {}
    status, data = request(method, url, body=body, headers=headers, timeout=timeout)
    try:
        return status, json.loads(data) if data else None
    except ValueError:
        return status, None


def timed(method, url, body=None, headers=None, timeout=5.0):
    """(seconds, status or None, error text or None): never raises."""
    started = time.monotonic()
    try:
        status, _ = request(method, url, body=body, headers=headers, timeout=timeout)
        return time.monotonic() - started, status, None
    except Exception as error:  # noqa: BLE001 - the point is to report it
        return time.monotonic() - started, None, f"{type(error).__name__}: {error}"


def timed_get(url, timeout=5.0):
    return timed("GET", url, timeout=timeout)


def describe_timing(label, timing):
    seconds, status, error = timing
    return f"  {label}: {status if error is None else 'failed: ' + error} in {1000 * seconds:.1f} ms"


def summarize(timings, ok_statuses=(200,)):
    """One line over (seconds, status, error) samples: count, median and worst latency, failures and timeouts."""
    if not timings:
        return "no samples"
    latencies = [seconds * 1000 for seconds, _, _ in timings]
    timeouts = sum(1 for _, _, error in timings if error and "timed out" in error.lower())
    failures = sum(1 for _, status, error in timings if error or status not in ok_statuses) - timeouts
    return (f"{len(timings)} requests, median {statistics.median(latencies):.1f} ms, worst {max(latencies):.1f} ms, "
            f"{timeouts} timeouts, {failures} other failures")


class Poller(threading.Thread):
    """Times GET `url` every `interval` seconds (fresh connection, `timeout`) until stopped, filing each sample
    under the phase current when it started."""

    def __init__(self, url, interval=0.5, timeout=5.0):
        super().__init__(daemon=True)
        self.url, self.interval, self.timeout = url, interval, timeout
        self.phase = None
        self.samples = {}
        self.finished = threading.Event()

    def run(self):
        next_at = time.monotonic()
        while not self.finished.is_set():
            phase = self.phase
            if phase is not None:
                self.samples.setdefault(phase, []).append(timed_get(self.url, self.timeout))
            next_at = max(next_at + self.interval, time.monotonic())
            self.finished.wait(max(0.0, next_at - time.monotonic()))

    def stop(self):
        self.finished.set()
        self.join(timeout=self.timeout + 1)
