#!/usr/bin/env python3
"""The local API's summary reads with many generations: a filtered list page, /v1/stats and /metrics, with
local.auth off and with local.auth = required (a key), in one run on the same database.

Starts `declutterd serve` once on a fresh database (to migrate it), stops it, writes N generations straight into
the file with sqlite3 (a share of them STARTING, the rest spread over the other states, one archived image per
SUCCEEDED one), makes a key on the store (`declutterd keys create bench --scopes read`: /v1/stats and /metrics
list the keys, so the key is there in both passes and only local.auth differs between them), then times two
passes, each a daemon started on that database and, sequentially after a warm-up,
GET /healthz of the same listener (the bare route, the pass's baseline), GET /v1/generations?status=STARTING&limit=50,
GET /v1/stats and GET /metrics:
  1. local.auth off (the default), no Authorization header;
  2. local.auth = required, every request (the open /healthz too) sending Authorization: Bearer with that key
     (checked first: a request without it gets 401).
Prints both tables (each route against its own pass's bare route), then per route the ratio of the medians,
auth on / auth off. The token is never printed.

Usage: scripts/bench/reads.py [path/to/declutterd] [--generations 1000000] [--starting 0.1] [--requests 100]
Use a release build (swift build -c release): debug figures say little.
"""

import argparse
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from lib import paths  # noqa: E402
from lib.daemon import bearer, create_key, serve_local  # noqa: E402
from lib.figures import timed_gets  # noqa: E402
from lib.ports import free_port  # noqa: E402
from lib.processes import stop  # noqa: E402
from lib.sqlite import stamp  # noqa: E402

PATHS = ["/healthz", "/v1/generations?status=STARTING&limit=50", "/v1/stats", "/metrics"]


def seed(database, count, starting_share):
    now = datetime.now(timezone.utc)
    others = ["SUCCEEDED"] * 85 + ["FAILED"] * 8 + ["PROCESSING"] * 3 + ["LOST"] * 2 + ["REJECTED"] * 2
    random.seed(7)

    def rows():
        for index in range(count):
            created = now - timedelta(seconds=(count - index) * 0.5)
            status = "STARTING" if random.random() < starting_share else random.choice(others)
            done = status in ("SUCCEEDED", "FAILED", "REJECTED", "LOST")
            yield (index + 1, str(uuid.uuid4()), status, stamp(created), stamp(created),
                   stamp(created + timedelta(minutes=3)) if done else None,
                   None if done else stamp(created + timedelta(minutes=10)),
                   "callback" if status in ("SUCCEEDED", "FAILED") else None, 1 if status == "FAILED" else 0,
                   '["https://cdn.example/out.png"]' if status == "SUCCEEDED" else None)

    with sqlite3.connect(database) as db:
        db.execute("PRAGMA synchronous = OFF")
        db.executemany("""
            INSERT INTO generations (id, generation_id, kind, status, image_url, auto, created_at, updated_at, completed_at,
                                     next_poll_at, resolved_by, refunded, images, version)
            VALUES (?, ?, 'generation', ?, 'https://images.example/room.jpg', 1, ?, ?, ?, ?, ?, ?, ?, 1)""", rows())
        db.execute("""
            INSERT INTO images (generation, position, source_url, state, sha256, bytes, content_type, width, height, archived_at,
                                attempts, created_at, updated_at)
            SELECT id, 0, 'https://cdn.example/out.png', 'archived', printf('%064x', id), 1048576, 'image/png', 1024, 768,
                   completed_at, 1, completed_at, completed_at
            FROM generations WHERE status = 'SUCCEEDED'""")
        db.execute("INSERT INTO quota_history (recorded_at, remaining_photos) VALUES (?, 500)", (stamp(now),))


def timed_pass(binary, work, local, requests, extra=None, headers=None):
    """A daemon on WORK/declutterd.sqlite (`extra`: more settings), PATHS warmed up then timed with `headers`:
    {path: (median, p95, size)}. With a key (`headers`), first checks that a read without it is refused."""
    server = serve_local(binary, work, local, extra=extra)
    try:
        base = f"http://127.0.0.1:{local}"
        if headers:
            try:
                with urllib.request.urlopen(base + "/v1/stats", timeout=30):
                    sys.exit("GET /v1/stats without a key answered 2xx: local.auth = required did not take (an older build?)")
            except urllib.error.HTTPError as error:
                if error.code != 401:
                    sys.exit(f"GET /v1/stats without a key answered {error.code}, not 401")
        for path in PATHS:
            timed_gets(base + path, 5, headers)
        return {path: timed_gets(base + path, requests, headers) for path in PATHS}
    finally:
        stop(server)


def print_pass(title, results):
    bare = results["/healthz"][0]
    print(title)
    for path, (median, p95, size) in results.items():
        print(f"  GET {path:<42} {size:>7} bytes   median {median:7.2f} ms   p95 {p95:7.2f} ms   {median / bare:6.1f}x the bare route")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary", nargs="?", default=paths.declutterd("release"))
    parser.add_argument("--generations", type=int, default=1_000_000)
    parser.add_argument("--starting", type=float, default=0.1, help="share of the generations in STARTING")
    parser.add_argument("--requests", type=int, default=100)
    options = parser.parse_args()
    work = tempfile.mkdtemp(prefix="declutterd-reads-bench-")
    database = os.path.join(work, "declutterd.sqlite")
    local = free_port()
    try:
        stop(serve_local(options.binary, work, local))
        seeding = time.monotonic()
        seed(database, options.generations, options.starting)
        seeded = time.monotonic() - seeding
        # Before both passes: a key shows in /v1/stats and /metrics whether local.auth is on or not.
        token = create_key(options.binary, work, database, "bench", "read")
        off = timed_pass(options.binary, work, local, options.requests)
        on = timed_pass(options.binary, work, local, options.requests, extra={"DECLUTTERD_LOCAL_AUTH": "required"},
                        headers=bearer(token))
        print(f"{options.generations} generations ({options.starting:.0%} STARTING, seeded in {seeded:.0f} s), "
              f"{options.requests} sequential requests each after a warm-up, per pass; the same database (and key) in both")
        print_pass("local.auth off, no Authorization header:", off)
        print_pass("local.auth = required, Authorization: Bearer (a read key) on every request:", on)
        print("auth on / auth off, medians (and each against its own pass's bare route):")
        bare_off, bare_on = off["/healthz"][0], on["/healthz"][0]
        for path in PATHS:
            print(f"  GET {path:<42} {on[path][0] / off[path][0]:6.2f}x   "
                  f"(off {off[path][0] / bare_off:6.1f}x, on {on[path][0] / bare_on:6.1f}x the bare route)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
