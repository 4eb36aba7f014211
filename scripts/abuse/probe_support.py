"""What the abuse probes in scripts/abuse/ share: a sandbox and `declutterd serve` on 127.0.0.1 free ports with a
temporary database, the daemon's resident memory (sampled, with a ceiling), and timed HTTP requests.

Not a probe itself: the probes import it (`from probe_support import ...`), run from any directory.

    with Daemon(args.binary) as daemon:      # exits 2 with a message when the setup fails (or the probe raises
                                             # SetupError in it)
        daemon.callbacks, daemon.local       # the public and the local listener, as http://127.0.0.1:PORT
        daemon.rss_mb()                      # the daemon's VmRSS now

Everything stays on loopback; leaving the `with` stops the daemon and the sandbox (SIGTERM, then SIGKILL after
30 s) and removes the temporary directory. The RSS sampler kills the daemon (SIGKILL) if its resident memory goes
past a ceiling, so that a probe that makes it balloon cannot take the machine down with it; the probe reports it.
"""
import http.client, json, os, re, resource, shutil, signal, socket, statistics, subprocess, sys, tempfile, threading, time
import urllib.parse


class SetupError(Exception):
    """The probe could not set up what it measures: it exits 2 rather than print figures."""


def rss_mb(pid):
    """VmRSS of `pid` in MB; nan once the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def raise_descriptor_limit():
    """Raise this process's descriptor limit to its hard limit; returns it."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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


class RSSSampler(threading.Thread):
    """Samples a process's RSS every `interval` s; keeps the peak; SIGKILLs it past `ceiling_mb`."""

    def __init__(self, process, ceiling_mb, interval=0.1):
        super().__init__(daemon=True)
        self.process, self.ceiling_mb, self.interval = process, ceiling_mb, interval
        self.peak = 0.0
        self.killed_at_mb = None
        self.finished = threading.Event()

    def run(self):
        while not self.finished.is_set() and self.process.poll() is None:
            current = rss_mb(self.process.pid)
            if current == current:  # not nan
                self.peak = max(self.peak, current)
                if self.ceiling_mb and current > self.ceiling_mb and self.killed_at_mb is None:
                    self.killed_at_mb = current
                    self.process.kill()
            self.finished.wait(self.interval)

    def reset_peak(self):
        self.peak = rss_mb(self.process.pid)
        if self.peak != self.peak:
            self.peak = 0.0

    def stop(self):
        self.finished.set()
        self.join(timeout=2)


def wait_for_line(path, pattern, process, deadline_seconds=60):
    """The first match of `pattern` in the file `path` as `process` writes it; SetupError if it exits first."""
    deadline = time.monotonic() + deadline_seconds
    expression = re.compile(pattern)
    while time.monotonic() < deadline:
        with open(path, errors="replace") as log:
            for line in log:
                found = expression.search(line)
                if found:
                    return found
        if process.poll() is not None:
            raise SetupError(f"{path} ended (exit {process.returncode}) without {pattern!r}: {tail(path)}")
        time.sleep(0.05)
    raise SetupError(f"no {pattern!r} in {path} within {deadline_seconds} s: {tail(path)}")


def tail(path, lines=5):
    try:
        with open(path, errors="replace") as log:
            return " | ".join(line.rstrip() for line in log.readlines()[-lines:])
    except OSError:
        return ""


class Daemon:
    """The sandbox and `declutterd serve` on 127.0.0.1 free ports with a temporary database.

    sandbox_args: more `declutterd sandbox` options. public_base_url: False for an unreachable one
    (http://127.0.0.1:9: callbacks never arrive), True for the public listener itself (its port picked ahead, so
    that the service can fetch uploaded photos). settings: more DECLUTTERD_* environment variables.
    preexec_fn: run in the daemon's process before exec (e.g. limit its descriptors).
    Daemon output goes to files in the temporary directory, never to a pipe nobody reads.
    """

    def __init__(self, binary, sandbox_args=(), public_base_url=False, settings=None, preexec_fn=None, rss_ceiling_mb=0):
        self.binary, self.sandbox_args, self.public_base_url = binary, list(sandbox_args), public_base_url
        self.settings, self.preexec_fn, self.rss_ceiling_mb = dict(settings or {}), preexec_fn, rss_ceiling_mb
        self.scratch = self.sandbox = self.serve = self.sampler = None

    def __enter__(self):
        try:
            self.start()
        except SetupError as error:
            self.stop()
            print(f"setup failed: {error}", file=sys.stderr)
            sys.exit(2)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, kind, error, trace):
        self.stop()
        if kind is not None and issubclass(kind, SetupError):
            print(f"setup failed: {error}", file=sys.stderr)
            sys.exit(2)
        return False

    def start(self):
        if not os.access(self.binary, os.X_OK):
            raise SetupError(f"{self.binary} is not an executable")
        self.scratch = tempfile.mkdtemp(prefix="declutterd-abuse-")
        self.sandbox_log, self.serve_log = f"{self.scratch}/sandbox.log", f"{self.scratch}/serve.log"
        with open(self.sandbox_log, "w") as output:
            self.sandbox = subprocess.Popen([self.binary, "sandbox", "--port", "0", *self.sandbox_args],
                                            stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        found = wait_for_line(self.sandbox_log, r"listening on (\S+) api_key=(\S+) user_id=(\S+)", self.sandbox)
        self.sandbox_url, key, user = found.groups()
        if self.public_base_url:
            listen = f"127.0.0.1:{free_port()}"
            public = f"http://{listen}"
        else:
            listen, public = "127.0.0.1:0", "http://127.0.0.1:9"
        environment = dict(os.environ, DECLUTTERD_API_KEY=key, DECLUTTERD_UPSTREAM_USER_ID=user,
                           DECLUTTERD_UPSTREAM_BASE_URL=self.sandbox_url,
                           DECLUTTERD_DATABASE_PATH=f"{self.scratch}/declutterd.sqlite",
                           DECLUTTERD_CALLBACKS_LISTEN=listen, DECLUTTERD_LOCAL_LISTEN="127.0.0.1:0",
                           DECLUTTERD_CALLBACKS_PUBLIC_BASE_URL=public, **self.settings)
        with open(self.serve_log, "w") as output:
            self.serve = subprocess.Popen([self.binary, "serve"], env=environment, stdout=output, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, preexec_fn=self.preexec_fn)
        found = wait_for_line(self.serve_log, r"callbacks=(\S+).*local=(\S+)", self.serve)
        self.callbacks, self.local = found.groups()
        self.callbacks_port = int(self.callbacks.rsplit(":", 1)[1])
        self.local_port = int(self.local.rsplit(":", 1)[1])
        self.pid = self.serve.pid
        self.sampler = RSSSampler(self.serve, self.rss_ceiling_mb)
        self.sampler.start()

    def rss_mb(self):
        return rss_mb(self.serve.pid)

    def open_sockets(self):
        """How many sockets the daemon has open now (listeners, clients, its store's and its own connections)."""
        count = 0
        try:
            for name in os.listdir(f"/proc/{self.serve.pid}/fd"):
                try:
                    count += os.readlink(f"/proc/{self.serve.pid}/fd/{name}").startswith("socket:")
                except OSError:
                    pass
        except OSError:
            pass
        return count

    def alive(self):
        return self.serve is not None and self.serve.poll() is None

    def report_exit(self):
        """A line when the daemon is no longer running (killed by the sampler, or fell over), else None."""
        if self.alive():
            return None
        if self.sampler and self.sampler.killed_at_mb is not None:
            return (f"  DAEMON KILLED by the probe: RSS {self.sampler.killed_at_mb:.0f} MB passed the ceiling "
                    f"{self.rss_ceiling_mb} MB")
        return f"  DAEMON EXITED with {self.serve.returncode}; its log ends: {tail(self.serve_log)}"

    def stop(self):
        if self.sampler:
            self.sampler.stop()
        for process in (self.serve, self.sandbox):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in (self.serve, self.sandbox):
            if process is None:
                continue
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                print(f"  pid {process.pid} ignored SIGTERM for 30 s: killed")
                process.kill()
                process.wait()
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None
