"""declutterd on loopback: `declutterd serve`'s environment; serve started and waited for (on its ports, or on its
local /healthz); a local API key made on the store; the sandbox; the daemon's /metrics; a store prepared for a benchmark; and the abuse probes' harness
(Daemon: the sandbox and serve on free ports with a temporary database, their memory watched)."""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from . import callbacks, sqlite, waiting
from .ports import free_port
from .processes import RSSSampler, rss_mib_or_nan, stop, tail

API_KEY = "bench-key"
USER_ID = "00000000-0000-4000-8000-000000000001"
UNREACHABLE = "http://127.0.0.1:9"  # an upstream (or public base URL) nothing listens on


def environment(work, database, callbacks_port=0, local_port=0, api_key=API_KEY, user_id=USER_ID, upstream=UNREACHABLE,
                public_base_url=True, log_level="warning", extra=None):
    """`declutterd serve`'s whole environment: PATH, HOME (`work`), the API key and user of `upstream`, the database
    (`database`: a path, or a postgres:// URL), both listeners on 127.0.0.1 (port 0: the kernel picks), the callbacks'
    public base URL (the callbacks listener itself; none when `public_base_url` is false), the log level (none when
    `log_level` is None), then `extra` (more DECLUTTERD_* settings: they win)."""
    settings = {
        "PATH": os.environ.get("PATH", ""), "HOME": work,
        "DECLUTTERD_API_KEY": api_key, "DECLUTTERD_UPSTREAM_USER_ID": user_id, "DECLUTTERD_UPSTREAM_BASE_URL": upstream,
        **({"DECLUTTERD_DATABASE_URL": database} if database.startswith("postgres") else {"DECLUTTERD_DATABASE_PATH": database}),
        "DECLUTTERD_CALLBACKS_LISTEN": f"127.0.0.1:{callbacks_port}",
        **({"DECLUTTERD_CALLBACKS_PUBLIC_BASE_URL": f"http://127.0.0.1:{callbacks_port}"} if public_base_url else {}),
        "DECLUTTERD_LOCAL_LISTEN": f"127.0.0.1:{local_port}",
        **({"DECLUTTERD_LOG_LEVEL": log_level} if log_level else {}),
    }
    settings.update(extra or {})
    return settings


def start_serve(binary, work, database, callbacks_port, local_port=0, extra=None):
    """`declutterd serve` on `database` (a path, or a postgres:// URL), returning once its callback port accepts, and
    its local one when given (the two are bound one after the other). `extra`: more environment (it wins)."""
    settings = environment(work, database, callbacks_port, local_port, extra={
        "DECLUTTERD_CALLBACKS_MAX_CONNECTIONS": "256",
        # Each instance its own archive folder in the run's work folder: with PostgreSQL, files an instance lacks
        # come from the database, which a shared folder would hide.
        "DECLUTTERD_ARCHIVE_DIR": os.path.join(work, f"images-{callbacks_port}"),
        **(extra or {}),
    })
    err = open(os.path.join(work, "serve.err"), "a")
    process = subprocess.Popen([binary, "serve"], env=settings, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL)
    # A debug build migrating a database on a loaded machine can take a while: only one that never listens (or
    # exits) fails here.
    if waiting.ports_accept([callbacks_port] + ([local_port] if local_port else []), process, timeout=120):
        return process
    process.kill()
    process.wait()
    raise SystemExit("serve did not start: " + open(os.path.join(work, "serve.err")).read())


def serve_local(binary, work, local_port, extra=None):
    """`declutterd serve` on WORK/declutterd.sqlite, its callbacks listener on a port the kernel picks, returning once
    GET /healthz answers on its local listener (`local_port`). `extra`: more DECLUTTERD_* settings (they win), e.g.
    {"DECLUTTERD_LOCAL_AUTH": "required"}."""
    settings = environment(work, os.path.join(work, "declutterd.sqlite"), 0, local_port, public_base_url=False, extra=extra)
    process = subprocess.Popen([binary, "serve"], env=settings, stdout=subprocess.DEVNULL,
                               stderr=open(os.path.join(work, "serve.log"), "a"), stdin=subprocess.DEVNULL)
    # Patient on a loaded machine (a debug build migrating, a first answer slower than a second): only a daemon that
    # never answers, or exits, fails here.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{local_port}/healthz", timeout=10):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    sys.exit("declutterd serve did not start")


def create_key(binary, work, database, name, scopes):
    """`declutterd keys create NAME --scopes SCOPES --database-path DATABASE` (a path), on the store directly (the
    daemon may be running or not), with no other setting: its token (dcl_...). The token is returned, never printed;
    a failure exits with the command's standard error, which never holds one."""
    result = subprocess.run([binary, "keys", "create", name, "--scopes", scopes, "--database-path", database],
                            env={"PATH": os.environ.get("PATH", ""), "HOME": work}, capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=120)
    token = result.stdout.strip()
    if result.returncode != 0 or not token.startswith("dcl_") or len(token.split()) != 1:
        sys.exit(f"declutterd keys create {name} failed (exit {result.returncode}): {result.stderr.strip()}")
    return token


def bearer(token):
    """The request headers that send `token` (None: none)."""
    return {"Authorization": f"Bearer {token}"} if token else None


def prepared_store(binary, work, generations):
    """A database in `work`, migrated by `binary`, with `generations` STARTING ones: (database, callback port, tokens)."""
    database = os.path.join(work, "declutterd.sqlite")
    port = free_port()
    stop(start_serve(binary, work, database, port))  # migrates the fresh database
    tokens = callbacks.new_tokens(generations)
    sqlite.seed(database, tokens, None)
    return database, port, tokens


def start_sandbox(binary, work, port, arguments, timeout):
    """`declutterd sandbox --port PORT ARGUMENTS`, its output in WORK/sandbox.log, once it says it is listening
    (exits after `timeout` seconds otherwise)."""
    log = open(os.path.join(work, "sandbox.log"), "w")
    process = subprocess.Popen([binary, "sandbox", "--port", str(port), *arguments],
                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    waiting.wait_for(lambda: "listening" in open(log.name).read(), timeout, "the sandbox")
    return process


def metric(port, name, token=None):
    """One unlabelled value from the daemon's /metrics on its local listener; None when this build has no such metric.
    `token`: a key with the read scope, sent as Authorization: Bearer (needed with local.auth = required)."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers=bearer(token) or {})
    with urllib.request.urlopen(request, timeout=60) as response:
        text = response.read().decode()
    found = re.search(rf"^{name} ([\d.e+]+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else None


class SetupError(Exception):
    """The probe could not set up what it measures: it exits 2 rather than print figures."""


def line_of(path, pattern, process, deadline_seconds=60):
    """The first match of `pattern` in the file `path` as `process` writes it; SetupError if it exits first."""
    found = waiting.first_match(path, pattern, process, deadline_seconds)
    if found:
        return found
    if process.poll() is not None:
        raise SetupError(f"{path} ended (exit {process.returncode}) without {pattern!r}: {tail(path)}")
    raise SetupError(f"no {pattern!r} in {path} within {deadline_seconds} s: {tail(path)}")


class Daemon:
    """The abuse probes' harness: the sandbox and `declutterd serve` on 127.0.0.1 free ports with a temporary database.

        with Daemon(args.binary) as daemon:      # exits 2 with a message when the setup fails (or the probe raises
                                                 # SetupError in it)
            daemon.callbacks, daemon.local       # the public and the local listener, as http://127.0.0.1:PORT
            daemon.rss_mb()                      # the daemon's VmRSS now

    Everything stays on loopback; leaving the `with` stops the daemon and the sandbox (SIGTERM, then SIGKILL after
    30 s) and removes the temporary directory. The RSS sampler kills the daemon (SIGKILL) if its resident memory goes
    past a ceiling, so that a probe that makes it balloon cannot take the machine down with it; the probe reports it.

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
        found = line_of(self.sandbox_log, r"listening on (\S+) api_key=(\S+) user_id=(\S+)", self.sandbox)
        self.sandbox_url, key, user = found.groups()
        if self.public_base_url:
            listen = f"127.0.0.1:{free_port()}"
            public = f"http://{listen}"
        else:
            listen, public = "127.0.0.1:0", UNREACHABLE
        # The probe's own environment, with the daemon's settings over it.
        environment = dict(os.environ, DECLUTTERD_API_KEY=key, DECLUTTERD_UPSTREAM_USER_ID=user,
                           DECLUTTERD_UPSTREAM_BASE_URL=self.sandbox_url,
                           DECLUTTERD_DATABASE_PATH=f"{self.scratch}/declutterd.sqlite",
                           DECLUTTERD_CALLBACKS_LISTEN=listen, DECLUTTERD_LOCAL_LISTEN="127.0.0.1:0",
                           DECLUTTERD_CALLBACKS_PUBLIC_BASE_URL=public, **self.settings)
        with open(self.serve_log, "w") as output:
            self.serve = subprocess.Popen([self.binary, "serve"], env=environment, stdout=output, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, preexec_fn=self.preexec_fn)
        found = line_of(self.serve_log, r"callbacks=(\S+).*local=(\S+)", self.serve)
        self.callbacks, self.local = found.groups()
        self.callbacks_port = int(self.callbacks.rsplit(":", 1)[1])
        self.local_port = int(self.local.rsplit(":", 1)[1])
        self.pid = self.serve.pid
        self.sampler = RSSSampler(self.serve, self.rss_ceiling_mb)
        self.sampler.start()

    def rss_mb(self):
        return rss_mib_or_nan(self.serve.pid)

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
