#!/usr/bin/env python3
"""What the dashboard's overview weighs and costs with many generations in the database.

Starts `declutterd serve` once on a fresh database (to migrate it), stops it, writes N generations over the last
two days straight into the file with sqlite3 (states spread as a busy account's would be), starts it again and
times GET / against GET /healthz of the same server (the bare route, the baseline), sequentially, after a warm-up.

Usage: scripts/bench/dashboard.py [path/to/declutterd] [--generations 100000] [--requests 200]
Use a release build (swift build -c release): debug figures say little.
"""

import argparse
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from loopback import free_port  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def start(binary, work, local):
    environment = {
        "PATH": os.environ.get("PATH", ""), "HOME": work,
        "DECLUTTERD_API_KEY": "bench-key", "DECLUTTERD_UPSTREAM_USER_ID": "00000000-0000-4000-8000-000000000001",
        "DECLUTTERD_UPSTREAM_BASE_URL": "http://127.0.0.1:9",
        "DECLUTTERD_DATABASE_PATH": os.path.join(work, "declutterd.sqlite"),
        "DECLUTTERD_CALLBACKS_LISTEN": "127.0.0.1:0",
        "DECLUTTERD_LOCAL_LISTEN": f"127.0.0.1:{local}",
        "DECLUTTERD_LOG_LEVEL": "warning",
    }
    process = subprocess.Popen([binary, "serve"], env=environment, stdout=subprocess.DEVNULL,
                               stderr=open(os.path.join(work, "serve.log"), "a"), stdin=subprocess.DEVNULL)
    # Patient on a loaded machine (a debug build migrating, a first answer slower than a second): only a daemon that
    # never answers, or exits, fails here.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{local}/healthz", timeout=10):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    sys.exit("declutterd serve did not start")


def stop(process):
    process.terminate()
    process.wait(timeout=120)  # a graceful stop drains requests and commits: slow, not stuck, on a loaded machine


def stamp(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def seed(database, count):
    now = datetime.now(timezone.utc)
    states = ["SUCCEEDED"] * 80 + ["FAILED"] * 8 + ["PROCESSING"] * 5 + ["STARTING"] * 3 + ["LOST"] * 2 + ["REJECTED"] * 2
    random.seed(7)
    rows = []
    for index in range(count):
        created = now - timedelta(seconds=random.uniform(0, 2 * 86400))
        status = random.choice(states)
        done = status in ("SUCCEEDED", "FAILED", "REJECTED", "LOST")
        completed = stamp(created + timedelta(minutes=3)) if done else None
        rows.append((str(uuid.uuid4()), "generation", status, "https://images.example/room.jpg", 1,
                     '["https://cdn.example/out.png"]' if status == "SUCCEEDED" else None,
                     stamp(created), stamp(created), completed, None if done else stamp(created + timedelta(minutes=10)),
                     "callback" if status == "SUCCEEDED" else ("poll" if done else None), 1 if status == "FAILED" else 0))
    with sqlite3.connect(database) as db:
        db.executemany("""
            INSERT INTO generations (generation_id, kind, status, image_url, auto, images, created_at, updated_at, completed_at,
                                     next_poll_at, resolved_by, refunded, version)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)""", rows)


def timed(url, requests):
    times, size = [], 0
    for _ in range(requests):
        started = time.perf_counter()
        with urllib.request.urlopen(url, timeout=30) as response:
            size = len(response.read())
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95)], size


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary", nargs="?", default=os.path.join(ROOT, ".build/release/declutterd"))
    parser.add_argument("--generations", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    options = parser.parse_args()
    work = tempfile.mkdtemp(prefix="declutterd-dashboard-bench-")
    local = free_port()
    stop(start(options.binary, work, local))
    seed(os.path.join(work, "declutterd.sqlite"), options.generations)
    server = start(options.binary, work, local)
    try:
        base = f"http://127.0.0.1:{local}"
        for path in ("/", "/generations", "/healthz"):
            timed(base + path, 10)
        results = {path: timed(base + path, options.requests) for path in ("/healthz", "/v1/stats", "/", "/generations")}
        bare = results["/healthz"][0]
        print(f"{options.generations} generations in the database, {options.requests} sequential requests each (after a warm-up)")
        for path, (median, p95, size) in results.items():
            print(f"  GET {path:<13} {size:>7} bytes   median {median:7.2f} ms   p95 {p95:7.2f} ms   "
                  f"{median / bare:6.1f}x the bare route's median")
    finally:
        stop(server)


if __name__ == "__main__":
    main()
