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
import sys
import tempfile
import uuid
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from lib import paths  # noqa: E402
from lib.daemon import serve_local  # noqa: E402
from lib.figures import timed_gets  # noqa: E402
from lib.ports import free_port  # noqa: E402
from lib.processes import stop  # noqa: E402
from lib.sqlite import stamp  # noqa: E402


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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary", nargs="?", default=paths.declutterd("release"))
    parser.add_argument("--generations", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    options = parser.parse_args()
    work = tempfile.mkdtemp(prefix="declutterd-dashboard-bench-")
    local = free_port()
    stop(serve_local(options.binary, work, local))
    seed(os.path.join(work, "declutterd.sqlite"), options.generations)
    server = serve_local(options.binary, work, local)
    try:
        base = f"http://127.0.0.1:{local}"
        for path in ("/", "/generations", "/healthz"):
            timed_gets(base + path, 10)
        results = {path: timed_gets(base + path, options.requests) for path in ("/healthz", "/v1/stats", "/", "/generations")}
        bare = results["/healthz"][0]
        print(f"{options.generations} generations in the database, {options.requests} sequential requests each (after a warm-up)")
        for path, (median, p95, size) in results.items():
            print(f"  GET {path:<13} {size:>7} bytes   median {median:7.2f} ms   p95 {p95:7.2f} ms   "
                  f"{median / bare:6.1f}x the bare route's median")
    finally:
        stop(server)


if __name__ == "__main__":
    main()
