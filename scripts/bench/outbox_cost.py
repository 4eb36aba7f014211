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
import base64
import datetime
import hashlib
import http.client
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

SUCCEEDED_BODY = '{"status": "SUCCEEDED", "images": ["https://cdn.example/out.png"]}'
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

LUA = r"""
local tokens = {}
for line in io.lines(os.getenv("TOKENS_FILE")) do tokens[#tokens + 1] = line end
local counter = 0
local threads = 0
function setup(thread) thread:set("offset", threads); threads = threads + 1 end
function init(args) counter = 0 end
local body = '{"status": "SUCCEEDED", "images": ["https://cdn.example/out.png"]}'  -- SUCCEEDED_BODY
local headers = {["Content-Type"] = "application/json"}
function request()
  local index = (offset + counter * 2) % #tokens + 1
  counter = counter + 1
  return wrk.format("POST", "/callbacks/" .. tokens[index], headers, body)
end
"""


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


def percentile(values, fraction):
    return values[min(len(values) - 1, int(len(values) * fraction))] if values else float("nan")


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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_serve(binary, work, database, callbacks_port, local_port=0, extra=None):
    """`declutterd serve` on `database` (a path, or a postgres:// URL), returning once its callback port accepts, and
    its local one when given (the two are bound one after the other). `extra`: more environment (it wins)."""
    environment = {
        "PATH": os.environ.get("PATH", ""), "HOME": work,
        "DECLUTTERD_API_KEY": "bench-key", "DECLUTTERD_UPSTREAM_USER_ID": "00000000-0000-4000-8000-000000000001",
        "DECLUTTERD_UPSTREAM_BASE_URL": "http://127.0.0.1:9",
        **({"DECLUTTERD_DATABASE_URL": database} if database.startswith("postgres") else {"DECLUTTERD_DATABASE_PATH": database}),
        "DECLUTTERD_CALLBACKS_LISTEN": f"127.0.0.1:{callbacks_port}",
        "DECLUTTERD_CALLBACKS_PUBLIC_BASE_URL": f"http://127.0.0.1:{callbacks_port}",
        "DECLUTTERD_CALLBACKS_MAX_CONNECTIONS": "256",
        "DECLUTTERD_LOCAL_LISTEN": f"127.0.0.1:{local_port}",
        "DECLUTTERD_LOG_LEVEL": "warning",
        # Each instance its own archive folder in the run's work folder: with PostgreSQL, files an instance lacks
        # come from the database, which a shared folder would hide.
        "DECLUTTERD_ARCHIVE_DIR": os.path.join(work, f"images-{callbacks_port}"),
        **(extra or {}),
    }
    err = open(os.path.join(work, "serve.err"), "a")
    process = subprocess.Popen([binary, "serve"], env=environment, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL)
    # A debug build migrating a database on a loaded machine can take a while: only one that never listens (or
    # exits) fails here.
    deadline = time.monotonic() + 120
    waiting = [callbacks_port] + ([local_port] if local_port else [])
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", waiting[0]), timeout=5):
                waiting.pop(0)
            if not waiting:
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    process.wait()
    raise SystemExit("serve did not start: " + open(os.path.join(work, "serve.err")).read())


def stop(process):
    process.terminate()
    process.wait(timeout=120)  # a graceful stop drains requests and commits: slow, not stuck, on a loaded machine


def seed(database, tokens, endpoint_url):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    db = sqlite3.connect(database)
    db.executemany(
        "INSERT INTO generations (generation_id, kind, status, callback_token_hash, created_at, submitted_at, updated_at, next_poll_at, version) "
        "VALUES (?, 'tracked', 'STARTING', ?, ?, ?, ?, ?, 1)",
        ((f"00000000-0000-4000-8000-{n:012d}", hashlib.sha256(token.encode()).hexdigest(), now, now, now, later)
         for n, token in enumerate(tokens)))
    if endpoint_url:
        secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
        db.execute("INSERT INTO endpoints (url, secret, created_at, updated_at) VALUES (?, ?, ?, ?)", (endpoint_url, secret, now, now))
    db.commit()
    db.close()


def run_wrk(url, duration, connections, lua=None, tokens_file=None):
    """wrk -t2 against `url` (with a Lua script reading TOKENS_FILE): rate, p50/p99 in ms, requests, non-2xx."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency"] + (["-s", lua] if lua else []) + [url]
    output = subprocess.run(command, env=dict(os.environ, TOKENS_FILE=tokens_file or ""), capture_output=True, text=True,
                            check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))

    def latency(label):
        value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", output).groups()
        return float(value) / 1000 if unit == "us" else float(value) * 1000 if unit == "s" else float(value)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"rate": rate, "p50": latency("50%"), "p99": latency("99%"),
            "requests": int(re.search(r"(\d+) requests in", output).group(1)), "non2xx": int(non2xx.group(1)) if non2xx else 0}


def new_tokens(count):
    return [base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode() for _ in range(count)]


def prepared_store(binary, work, generations):
    """A database in `work`, migrated by `binary`, with `generations` STARTING ones: (database, callback port, tokens)."""
    database = os.path.join(work, "declutterd.sqlite")
    port = free_port()
    stop(start_serve(binary, work, database, port))  # migrates the fresh database
    tokens = new_tokens(generations)
    seed(database, tokens, None)
    return database, port, tokens


def count(database, sql):
    db = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return db.execute(sql).fetchone()[0]
    finally:
        db.close()


def run(binary, work, mode, tokens, options, receiver):
    directory = tempfile.mkdtemp(prefix=f"outbox-{mode}-", dir=work)
    database = os.path.join(directory, "declutterd.sqlite")
    port = free_port()
    stop(start_serve(binary, directory, database, port))  # migrates the fresh database
    seed(database, tokens, f"http://127.0.0.1:{receiver.port}/hooks" if mode == "endpoint" else None)
    loaded, spared = tokens[:-options.paced], tokens[-options.paced:]
    tokens_file = os.path.join(directory, "tokens.txt")
    with open(tokens_file, "w") as f:
        f.write("\n".join(loaded) + "\n")
    lua_file = os.path.join(directory, "callbacks.lua")
    with open(lua_file, "w") as f:
        f.write(LUA)
    serve = start_serve(binary, directory, database, port)
    try:
        received_before = receiver.count
        result = run_wrk(f"http://127.0.0.1:{port}", options.duration, options.connections, lua=lua_file, tokens_file=tokens_file)
        result["messages"] = count(database, "SELECT count(*) FROM messages")
        if mode == "endpoint":
            ended = time.monotonic()
            expected = count(database, "SELECT count(*) FROM deliveries")
            while receiver.count - received_before < expected and time.monotonic() - ended < 120:
                time.sleep(0.05)
            result["drain"] = time.monotonic() - ended
            result["received"] = receiver.count - received_before
            delays = receiver.delays(received_before)
            result["loaded_p50"], result["loaded_p99"] = percentile(delays, 0.5), percentile(delays, 0.99)
            # A healthy endpoint at a steady rate the daemon keeps up with: commit to arrival.
            before_paced = receiver.count
            paced(port, spared, options.rate)
            deadline = time.monotonic() + 30
            while receiver.count - before_paced < len(spared) and time.monotonic() < deadline:
                time.sleep(0.05)
            delays = receiver.delays(before_paced)
            result["paced"] = len(delays)
            result["paced_p50"], result["paced_p99"] = percentile(delays, 0.5), percentile(delays, 0.99)
        return result
    finally:
        stop(serve)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary", nargs="?", default=os.path.join(ROOT, ".build/release/declutterd"))
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
