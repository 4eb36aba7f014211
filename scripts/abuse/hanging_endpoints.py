#!/usr/bin/env python3
"""Registers webhook endpoints that never answer beside one healthy endpoint, and measures how long the healthy one
waits for its messages.

Usage: python3 scripts/abuse/hanging_endpoints.py [--binary .build/debug/declutterd] [--hanging 10] [--messages 100]

It starts the sandbox and `declutterd serve` on 127.0.0.1 free ports with a temporary database, and, on 127.0.0.1,
E raw socket servers (one port each) that accept every connection and read the request but never answer, and one
HTTP receiver whose path /healthy answers 204 at once and records when each message (by webhook-id) arrives. It
registers the E hanging endpoints, then the healthy one, through POST /v1/endpoints, all for `generation.created`
only, then tracks M random generation ids (POST /v1/track): each writes one `generation.created` message, queued
for every endpoint. It prints how many distinct messages the healthy endpoint had 5, 10, 30 and 60 s after the
first track (stopping early once it has all M), the time to the last one, and what the hanging servers saw.
Loopback only, bounded in connections and time; it stops everything it started. Exits 0 after printing, whatever
the figures; 2 when the setup fails.
"""
import argparse, http.server, os, selectors, socket, sys, threading, time, uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from lib.daemon import Daemon, SetupError  # noqa: E402
from lib.probing import add_common_arguments, json_request  # noqa: E402
from lib.processes import raise_descriptor_limit  # noqa: E402

CHECKPOINTS = (5, 10, 30, 60)


class HangingServers(threading.Thread):
    """E listening sockets that accept and read everything and never write; counts connections and requests."""

    def __init__(self, count):
        super().__init__(daemon=True)
        self.selector = selectors.DefaultSelector()
        self.listeners, self.open = [], set()
        self.accepted = self.requests = 0
        for _ in range(count):
            listener = socket.socket()
            listener.bind(("127.0.0.1", 0))
            listener.listen(256)
            listener.setblocking(False)
            self.selector.register(listener, selectors.EVENT_READ, "listener")
            self.listeners.append(listener)
        self.finished = threading.Event()

    def urls(self):
        return [f"http://127.0.0.1:{listener.getsockname()[1]}/hang" for listener in self.listeners]

    def run(self):
        while not self.finished.is_set():
            for key, _ in self.selector.select(timeout=0.2):
                if key.data == "listener":
                    try:
                        connection, _ = key.fileobj.accept()
                    except BlockingIOError:
                        continue
                    connection.setblocking(False)
                    self.selector.register(connection, selectors.EVENT_READ, "connection")
                    self.open.add(connection)
                    self.accepted += 1
                    continue
                try:
                    data = key.fileobj.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if data:
                    self.requests += data.count(b"POST ")
                else:  # the daemon gave up on it
                    self.selector.unregister(key.fileobj)
                    self.open.discard(key.fileobj)
                    key.fileobj.close()

    def stop(self):
        self.finished.set()
        self.join(timeout=2)
        for sock in list(self.open) + self.listeners:
            sock.close()
        self.selector.close()


class HealthyReceiver(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        self.arrivals = {}  # webhook-id -> monotonic time of its first arrival
        self.posts = 0
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), HealthyHandler)


class HealthyHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - the http.server convention
        arrived = time.monotonic()
        self.rfile.read(int(self.headers.get("content-length") or 0))
        if self.path != "/healthy":
            self.send_response(404)
            self.end_headers()
            return
        with self.server.lock:
            self.server.posts += 1
            self.server.arrivals.setdefault(self.headers.get("webhook-id"), arrived)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *arguments):
        pass


def register(local, url, description):
    try:
        status, answer = json_request("POST", f"{local}/v1/endpoints",
                                      {"url": url, "types": ["generation.created"], "description": description})
    except OSError as error:
        raise SetupError(f"POST /v1/endpoints failed: {error}") from error
    if status != 201:
        raise SetupError(f"POST /v1/endpoints answered {status}: {answer}")
    return answer["id"]


def main():
    parser = argparse.ArgumentParser()
    add_common_arguments(parser)
    parser.add_argument("--hanging", type=int, default=10, help="endpoints that never answer (E)")
    parser.add_argument("--messages", type=int, default=100, help="generation.created messages to cause (M)")
    args = parser.parse_args()
    raise_descriptor_limit()

    hanging = HangingServers(args.hanging)
    healthy = HealthyReceiver()
    hanging.start()
    threading.Thread(target=healthy.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    try:
        with Daemon(args.binary, rss_ceiling_mb=args.rss_ceiling_mb) as daemon:
            for number, url in enumerate(hanging.urls()):
                register(daemon.local, url, f"hanging {number}")
            register(daemon.local, f"http://127.0.0.1:{healthy.server_address[1]}/healthy", "healthy")
            print(f"declutterd {args.binary}: {args.hanging} hanging endpoints and 1 healthy, registered in that order; "
                  f"tracking {args.messages} generations")
            started = time.monotonic()
            refused = 0
            for _ in range(args.messages):
                try:
                    status, _ = json_request("POST", f"{daemon.local}/v1/track", {"generation_id": str(uuid.uuid4())})
                except OSError:
                    status = None
                refused += status not in (200, 202)
            print(f"  {args.messages - refused} tracks accepted ({refused} not) in {time.monotonic() - started:.1f} s")
            for checkpoint in CHECKPOINTS:
                while time.monotonic() - started < checkpoint and len(healthy.arrivals) < args.messages:
                    time.sleep(0.05)
                if len(healthy.arrivals) >= args.messages and time.monotonic() - started < checkpoint:
                    print(f"  by {checkpoint:2d} s: all {args.messages} had arrived (stopped early)")
                    break
                print(f"  after {checkpoint:2d} s: the healthy endpoint had {len(healthy.arrivals)} of {args.messages} messages")
            with healthy.lock:
                arrivals = sorted(healthy.arrivals.values())
                posts = healthy.posts
            if arrivals:
                print(f"  first message after {arrivals[0] - started:.2f} s, last ({len(arrivals)}th) after "
                      f"{arrivals[-1] - started:.2f} s; {posts} POSTs in all")
            else:
                print("  the healthy endpoint got no message")
            print(f"  hanging servers: {hanging.accepted} connections accepted, {hanging.requests} requests read, "
                  f"{len(hanging.open)} still open")
            print(daemon.report_exit() or "  daemon still running")
    finally:
        healthy.shutdown()
        healthy.server_close()
        hanging.stop()


if __name__ == "__main__":
    main()
