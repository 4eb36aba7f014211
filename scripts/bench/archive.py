#!/usr/bin/env python3
"""How fast the archive keeps result images, and that it streams them rather than holding them in memory.

Two runs against one release build, each with `declutterd sandbox` (its generations finish in milliseconds and
call back) and `declutterd serve` on a fresh database and archive folder, `archive.allow_private` on:

1. Throughput: generations with two 1 MiB PNG results each are submitted; once all are archived, the images'
   window (first queued to last archived, from the `images` table) gives images/s and MB/s. The baseline, in
   the same script: wrk fetching one of the same 1 MiB images from the same sandbox over the same loopback, with
   as many connections as `archive.max_in_flight` (4): what the sandbox and loopback can serve at all.
2. Memory: generations with two 20 MiB results each (100 images, 2 GiB in all); the daemon's resident memory
   is sampled every 20 ms while it archives them, and compared with the same daemon idle just before.

Usage: scripts/bench/archive.py [path/to/declutterd] [--generations 100] [--large 50]
Needs wrk. Use a release build (swift build -c release): debug figures say little.
"""

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from lib import daemon, paths, wrk  # noqa: E402
from lib.ports import free_port  # noqa: E402
from lib.processes import rss_kib, stop_or_kill  # noqa: E402
from lib.waiting import answers_200, wait_for  # noqa: E402


def start_sandbox(binary, work, image_size, completion_ms):
    """Every generation completes `completion_ms` after its submission: long enough for all submissions to be made
    first, so that the archive's queue fills at once and the window measures the archive, not the submissions."""
    port = free_port()
    process = daemon.start_sandbox(binary, work, port, [
        "--api-key", daemon.API_KEY, "--user-id", daemon.USER_ID, "--quota", "100000", "--start-ms", "1",
        "--min-completion-ms", str(completion_ms), "--max-completion-ms", str(completion_ms + 100), "--image-size", str(image_size)],
        timeout=30)
    return process, f"http://127.0.0.1:{port}"


def start_serve(binary, work, sandbox_url):
    callbacks, local = free_port(), free_port()
    environment = daemon.environment(work, os.path.join(work, "declutterd.sqlite"), callbacks, local, upstream=sandbox_url,
                                     extra={"DECLUTTERD_ARCHIVE_ALLOW_PRIVATE": "true"})
    err = open(os.path.join(work, "serve.log"), "w")
    process = subprocess.Popen([binary, "serve"], env=environment, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{local}"
    wait_for(lambda: answers_200(base + "/readyz", timeout=1), 30, "declutterd serve")
    return process, base


def submit(base, count):
    for index in range(count):
        body = json.dumps({"image_url": f"https://images.example/{index}.jpg", "auto": True}).encode()
        request = urllib.request.Request(base + "/v1/generations", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 202, response.status


def archive_counts(work):
    with sqlite3.connect(f"file:{os.path.join(work, 'declutterd.sqlite')}?mode=ro", uri=True, timeout=10) as db:
        return dict(db.execute("SELECT state, count(*) FROM images GROUP BY state").fetchall())


def window(work):
    """Seconds from the first image queued to the last archived, images archived, bytes archived."""
    with sqlite3.connect(f"file:{os.path.join(work, 'declutterd.sqlite')}?mode=ro", uri=True, timeout=10) as db:
        first, last, count, size = db.execute("""
            SELECT julianday(min(created_at)), julianday(max(archived_at)), count(*), sum(bytes) FROM images WHERE state = 'archived'
            """).fetchone()
    return (last - first) * 86400, count, size


def baseline(sandbox_url, base, seconds=8):
    """wrk on one 1 MiB image of the sandbox: the loopback throughput the archive competes with."""
    with urllib.request.urlopen(base + "/v1/generations?limit=1", timeout=10) as response:
        url = json.load(response)["generations"][0]["images"][0]
    output = wrk.output(url, seconds, 4)
    return wrk.rate(output), output


def run(binary, generations, image_size, sample_memory):
    work = tempfile.mkdtemp(prefix="declutterd-archive-bench-")
    sandbox, sandbox_url = start_sandbox(binary, work, image_size, completion_ms=2000 + 40 * generations)
    serve, base = start_serve(binary, work, sandbox_url)
    try:
        time.sleep(1)
        idle = rss_kib(serve.pid)
        peak = idle
        submit(base, generations)
        expected = generations * 2
        while True:
            counts = archive_counts(work)
            if sample_memory:
                peak = max(peak, rss_kib(serve.pid))
            if counts.get("archived", 0) + counts.get("failed", 0) >= expected:
                break
            time.sleep(0.02)
        seconds, archived, size = window(work)
        result = {"archived": archived, "failed": counts.get("failed", 0), "seconds": seconds, "bytes": size,
                  "idle_rss_kib": idle, "peak_rss_kib": peak}
        if not sample_memory:
            result["baseline_rps"], result["wrk"] = baseline(sandbox_url, base)
        return result
    finally:
        stop_or_kill(serve, 30)
        stop_or_kill(sandbox, 30)
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary", nargs="?", default=paths.declutterd("release"))
    parser.add_argument("--generations", type=int, default=100, help="generations of two 1 MiB images for the throughput run")
    parser.add_argument("--large", type=int, default=50, help="generations of two 20 MiB images for the memory run")
    options = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed (apt-get install wrk)")

    fast = run(options.binary, options.generations, 1 << 20, sample_memory=False)
    images_per_second = fast["archived"] / fast["seconds"]
    megabytes_per_second = fast["bytes"] / fast["seconds"] / 1e6
    baseline_mb = fast["baseline_rps"] * (fast["bytes"] / max(fast["archived"], 1)) / 1e6
    print(f"throughput: {fast['archived']} images of {fast['bytes'] / max(fast['archived'], 1) / 1e6:.2f} MB archived "
          f"({fast['failed']} failed) in {fast['seconds']:.2f} s: {images_per_second:.1f} images/s, {megabytes_per_second:.1f} MB/s")
    print(f"baseline:   wrk -c 4 on one such image of the same sandbox: {fast['baseline_rps']:.1f} requests/s, {baseline_mb:.1f} MB/s")
    print(f"ratio:      archive / baseline = {megabytes_per_second / baseline_mb:.2f}")

    large = run(options.binary, options.large, 20 << 20, sample_memory=True)
    print(f"memory:     {large['archived']} images of {large['bytes'] / max(large['archived'], 1) / 1048576:.1f} MiB archived "
          f"({large['failed']} failed) in {large['seconds']:.1f} s; daemon RSS idle {large['idle_rss_kib'] / 1024:.1f} MiB, "
          f"peak while archiving {large['peak_rss_kib'] / 1024:.1f} MiB "
          f"(+{(large['peak_rss_kib'] - large['idle_rss_kib']) / 1024:.1f} MiB; one image is 20 MiB, 4 in flight)")


if __name__ == "__main__":
    main()
