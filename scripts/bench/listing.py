#!/usr/bin/env python3
"""A listing of 40 uploaded photos through the sandbox, end to end, against a baseline run in the same script.

Two runs against one release build, each with `declutterd sandbox` (it fetches each photo from the daemon as the
service does, and calls back) and `declutterd serve` on a fresh database and archive folder:

1. The listing: 40 photos in one multipart form (`POST /v1/listings`); the time from that request to the listing
   completed (every photo SUCCEEDED), the upstream calls the sandbox counted (generate, get), and then
   `results.zip`: its size, how long it took to stream, and the daemon's resident memory sampled every 10 ms while
   it streams, against the same daemon idle just before.
2. The baseline: the same 40 photos sent one by one (`POST /v1/generations` with each file, in turn), the time until
   every one has SUCCEEDED: what the same daemon and sandbox take for the same work without a listing.

Usage: scripts/bench/listing.py [path/to/declutterd] [--photos 40] [--image-size BYTES]
Use a release build (swift build -c release): debug figures say little.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.request
import zipfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from lib import daemon, images, paths  # noqa: E402
from lib.ports import free_port  # noqa: E402
from lib.processes import RSSSampler, rss_kib, stop_or_kill  # noqa: E402
from lib.waiting import wait_for  # noqa: E402


def start(binary, work, image_size):
    port = free_port()
    sandbox = daemon.start_sandbox(binary, work, port, [
        "--api-key", daemon.API_KEY, "--user-id", daemon.USER_ID, "--quota", "100000", "--start-ms", "50",
        "--min-completion-ms", "200", "--max-completion-ms", "400", "--image-size", str(image_size), "--fetch-inputs"], timeout=30)
    callbacks, local = free_port(), free_port()
    serve = daemon.start_serve(binary, work, os.path.join(work, "declutterd.sqlite"), callbacks, local, extra={
        "DECLUTTERD_UPSTREAM_BASE_URL": f"http://127.0.0.1:{port}", "DECLUTTERD_ARCHIVE_ALLOW_PRIVATE": "true"})
    return sandbox, serve, f"http://127.0.0.1:{local}", f"http://127.0.0.1:{port}"


def call(method, url, body=None, content_type="application/json", timeout=60):
    request = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": content_type} if body is not None else {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, response.read()


def photos(count):
    return [(f"room-{index:02d}.png", images.png(160, 120, index + 1)) for index in range(count)]


def counters(sandbox_url):
    return json.loads(call("GET", sandbox_url + "/sandbox/counters")[1])


def all_archived(listing):
    return all(image["state"] == "archived" for photo in listing["photos"] for image in photo["images"])


def listing_run(binary, count, image_size):
    work = tempfile.mkdtemp(prefix="declutterd-listing-bench-")
    sandbox, serve, base, sandbox_url = start(binary, work, image_size)
    try:
        body, content_type = images.form([("reference", "L-bench"), ("auto", "true")], [("photo", name, "image/png", data) for name, data in photos(count)])
        started = time.monotonic()
        status, _ = call("POST", base + "/v1/listings", body, content_type)
        assert status == 202, status
        listing = {}

        def completed():
            nonlocal listing
            listing = json.loads(call("GET", base + "/v1/listings/L-bench")[1])
            return listing["state"] != "in_progress"
        wait_for(completed, 600, "the listing completed")
        elapsed = time.monotonic() - started
        wait_for(lambda: all_archived(json.loads(call("GET", base + "/v1/listings/L-bench")[1])), 600, "every result archived")
        seen = counters(sandbox_url)

        time.sleep(1)
        idle = rss_kib(serve.pid) / 1024
        sampler = RSSSampler(serve, ceiling_mb=0, interval=0.01)
        sampler.start()
        sampler.reset_peak()
        zip_path = os.path.join(work, "results.zip")
        zip_started = time.monotonic()
        with urllib.request.urlopen(base + "/v1/listings/L-bench/results.zip", timeout=600) as response, open(zip_path, "wb") as out:
            shutil.copyfileobj(response, out, 1 << 16)
        zip_seconds = time.monotonic() - zip_started
        sampler.stop()
        with zipfile.ZipFile(zip_path) as archive:
            assert archive.testzip() is None
            entries = len(archive.namelist())
        return {"state": listing["state"], "counts": listing["counts"], "seconds": elapsed, "generate_calls": seen["generate_calls"],
                "retrieval_calls": seen["retrieval_calls"], "inputs_fetched": len(seen["inputs_fetched"]), "zip_bytes": os.path.getsize(zip_path),
                "zip_entries": entries, "zip_seconds": zip_seconds, "idle_rss_mib": idle, "peak_rss_mib": max(sampler.peak, idle)}
    finally:
        stop_or_kill(serve, 30)
        stop_or_kill(sandbox, 30)
        shutil.rmtree(work, ignore_errors=True)


def baseline_run(binary, count, image_size):
    work = tempfile.mkdtemp(prefix="declutterd-listing-baseline-")
    sandbox, serve, base, sandbox_url = start(binary, work, image_size)
    try:
        started = time.monotonic()
        ids = []
        for name, data in photos(count):
            body, content_type = images.form([("auto", "true")], [("image", name, "image/png", data)])
            status, answer = call("POST", base + "/v1/generations", body, content_type)
            assert status == 202, status
            ids.append(json.loads(answer)["id"])

        def settled():
            listed = json.loads(call("GET", base + "/v1/generations?status=SUCCEEDED&limit=500")[1])["generations"]
            return len(listed) >= count
        wait_for(settled, 600, "every generation succeeded")
        return {"seconds": time.monotonic() - started, "generate_calls": counters(sandbox_url)["generate_calls"]}
    finally:
        stop_or_kill(serve, 30)
        stop_or_kill(sandbox, 30)
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary", nargs="?", default=paths.declutterd("release"))
    parser.add_argument("--photos", type=int, default=40)
    parser.add_argument("--image-size", type=int, default=1 << 20, help="bytes of each result image (two per photo)")
    options = parser.parse_args()

    listing = listing_run(options.binary, options.photos, options.image_size)
    baseline = baseline_run(options.binary, options.photos, options.image_size)
    print(f"listing:  {options.photos} uploaded photos in one form, {listing['state']} in {listing['seconds']:.2f} s "
          f"({listing['counts'].get('succeeded', 0)} succeeded); upstream calls: {listing['generate_calls']} generate, "
          f"{listing['retrieval_calls']} get; the service fetched {listing['inputs_fetched']} photos")
    print(f"baseline: the same photos as {options.photos} single uploads, all succeeded in {baseline['seconds']:.2f} s "
          f"({baseline['generate_calls']} generate calls)")
    print(f"ratio:    listing / single uploads = {listing['seconds'] / baseline['seconds']:.2f}")
    print(f"zip:      {listing['zip_entries']} entries, {listing['zip_bytes'] / 1e6:.1f} MB in {listing['zip_seconds']:.2f} s "
          f"({listing['zip_bytes'] / 1e6 / listing['zip_seconds']:.0f} MB/s); daemon RSS idle {listing['idle_rss_mib']:.1f} MiB, "
          f"peak while streaming {listing['peak_rss_mib']:.1f} MiB "
          f"(+{listing['peak_rss_mib'] - listing['idle_rss_mib']:.1f} MiB for a {listing['zip_bytes'] / 1048576:.0f} MiB zip)")


if __name__ == "__main__":
    main()
