#!/usr/bin/env python3
"""What the outbox costs a callback: the same wrk run against the same build, without and with one webhook
endpoint configured.

Each run starts `declutterd serve` on a fresh database seeded with generations in STARTING (their callback
tokens known here), then wrk POSTs one SUCCEEDED callback per token: every request is a change of state, so
every request writes a message (and, with the endpoint, a delivery that the worker then sends to a receiver
on loopback). It prints requests/s and latency of both runs and their ratio, and for the endpoint run how long
after its commit each message reached the receiver (p50/p99) and how long the backlog took to drain.

Usage: scripts/bench/outbox_cost.py [path/to/declutterd] [--duration 10] [--connections 32] [--tokens 200000]
Needs wrk. Use a release build (swift build -c release): debug figures say little.
"""

import argparse
import asyncio
import datetime
import http.client
import os
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from lib import daemon, figures, paths, sqlite, wrk  # noqa: E402
from lib.callbacks import SUCCEEDED_BODY, new_tokens  # noqa: E402
from lib.ports import free_port  # noqa: E402
from lib.processes import stop  # noqa: E402


class Receiver:
    """A minimal HTTP/1.1 endpoint on asyncio, kept cheap (it shares the 2 cores with the daemon): it answers
    204 to each request and notes when it arrived and the message's timestamp, parsed only after the run."""

    def __init__(self):
        self.arrivals = []
        self.loop = asyncio.new_event_loop()
        self.server = self.loop.run_until_complete(asyncio.start_server(self.handle, "127.0.0.1", 0))
        self.port = self.server.sockets[0].getsockname()[1]
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    @property
    def count(self):
        return len(self.arrivals)

    async def handle(self, reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                start = head.lower().find(b"content-length:") + 15
                body = await reader.readexactly(int(head[start:head.find(b"\r\n", start)]))
                arrived = time.time()
                at = body.find(b'"timestamp":"') + 13
                self.arrivals.append((arrived, body[at:at + 24]))
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    def delays(self, since):
        """Milliseconds from each message's commit (its timestamp) to its arrival, sorted."""
        def commit_time(stamp):
            return datetime.datetime.strptime(stamp.decode(), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()
        return sorted((arrived - commit_time(stamp)) * 1000 for arrived, stamp in self.arrivals[since:])


def paced(callbacks_port, tokens, rate):
    """One SUCCEEDED callback per token at `rate` per second, on one kept-alive connection."""
    connection = http.client.HTTPConnection("127.0.0.1", callbacks_port, timeout=10)
    body = SUCCEEDED_BODY
    started = time.monotonic()
    for index, token in enumerate(tokens):
        delay = started + index / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        connection.request("POST", "/callbacks/" + token, body=body, headers={"Content-Type": "application/json"})
        connection.getresponse().read()
    connection.close()


def run(binary, work, mode, tokens, options, receiver):
    directory = tempfile.mkdtemp(prefix=f"outbox-{mode}-", dir=work)
    database = os.path.join(directory, "declutterd.sqlite")
    port = free_port()
    stop(daemon.start_serve(binary, directory, database, port))  # migrates the fresh database
    sqlite.seed(database, tokens, f"http://127.0.0.1:{receiver.port}/hooks" if mode == "endpoint" else None)
    loaded, spared = tokens[:-options.paced], tokens[-options.paced:]
    tokens_file = os.path.join(directory, "tokens.txt")
    wrk.write_tokens(tokens_file, loaded)
    lua_file = os.path.join(directory, "callbacks.lua")
    wrk.write_callbacks_script(lua_file)
    serve = daemon.start_serve(binary, directory, database, port)
    try:
        received_before = receiver.count
        result = wrk.run(f"http://127.0.0.1:{port}", options.duration, options.connections, lua=lua_file, tokens_file=tokens_file)
        result["messages"] = sqlite.count(database, "SELECT count(*) FROM messages")
        if mode == "endpoint":
            ended = time.monotonic()
            expected = sqlite.count(database, "SELECT count(*) FROM deliveries")
            while receiver.count - received_before < expected and time.monotonic() - ended < 120:
                time.sleep(0.05)
            result["drain"] = time.monotonic() - ended
            result["received"] = receiver.count - received_before
            delays = receiver.delays(received_before)
            result["loaded_p50"], result["loaded_p99"] = figures.percentile(delays, 0.5), figures.percentile(delays, 0.99)
            # A healthy endpoint at a steady rate the daemon keeps up with: commit to arrival.
            before_paced = receiver.count
            paced(port, spared, options.rate)
            deadline = time.monotonic() + 30
            while receiver.count - before_paced < len(spared) and time.monotonic() < deadline:
                time.sleep(0.05)
            delays = receiver.delays(before_paced)
            result["paced"] = len(delays)
            result["paced_p50"], result["paced_p99"] = figures.percentile(delays, 0.5), figures.percentile(delays, 0.99)
        return result
    finally:
        stop(serve)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary", nargs="?", default=paths.declutterd("release"))
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--tokens", type=int, default=200_000)
    parser.add_argument("--paced", type=int, default=1000, help="callbacks sent at --rate after the wrk run (endpoint run)")
    parser.add_argument("--rate", type=float, default=200, help="callbacks per second of the paced run")
    options = parser.parse_args()
    binary = os.path.abspath(options.binary)
    work = tempfile.mkdtemp(prefix="declutterd-outbox-bench.")
    tokens = new_tokens(options.tokens)
    receiver = Receiver()
    results = {}
    for mode in ("none", "endpoint"):
        results[mode] = run(binary, work, mode, tokens, options, receiver)
        r = results[mode]
        print(f"{mode:>8}: {r['rate']:8.0f} callbacks/s  p50 {r['p50']:.2f} ms  p99 {r['p99']:.2f} ms  "
              f"non-2xx {r['non2xx']}  messages {r['messages']}", flush=True)
        if mode == "endpoint":
            print(f"          {r['received']} deliveries received; the backlog drained {r['drain']:.1f} s after wrk ended "
                  f"(commit to receiver under that load: p50 {r['loaded_p50']:.0f} ms, p99 {r['loaded_p99']:.0f} ms)")
            print(f"          paced at {options.rate:.0f} callbacks/s: {r['paced']} delivered, commit to receiver "
                  f"p50 {r['paced_p50']:.1f} ms, p99 {r['paced_p99']:.1f} ms")
    ratio = results["endpoint"]["rate"] / results["none"]["rate"]
    print(f"with one endpoint / without: {ratio:.2f} of the callback rate ({(1 - ratio) * 100:+.0f}% cost)")
    subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
