#!/usr/bin/env python3
"""Callback ingest against the framework's own speed, in one run on one build.

Starts `declutterd serve` on a fresh database (migrating it), stops it, writes N generations in STARTING with
known callback tokens, starts it again, then, with the same wrk settings: the bare route (`GET /healthz` on the
public listener of the same process) and the callback route (`POST /callbacks/{token}`, valid SUCCEEDED bodies,
tokens taken in turn: the first pass applies, later ones are duplicates); then the callback route paced at half
its measured peak on one kept-alive connection, timing each answer. Prints req/s of both, the ratio, p50/p99,
the daemon's CPU time per callback (from /proc), its peak RSS, and what the database holds afterwards.

--auth required: the daemon runs with local.auth = required (DECLUTTERD_LOCAL_AUTH). Keys guard the local API
only, not the public callback route, so this is there to show that turning them on costs the callbacks nothing:
compare a run with --auth off (the default) to one with --auth required. The script's own reads of /metrics on
the local listener then send a read key it makes on the store (`keys create`; its token is never printed).

Usage: scripts/bench/ingest.py [path/to/declutterd] [--generations 2000] [--duration 8] [--connections 64] [--smoke]
                               [--profile perf.data] [--total 1000000] [--auth off|required]
Needs wrk (and perf for --profile: the callback run is recorded, and its top entries printed). --total N: after the
measurements, more callbacks under wrk until about N have been sent in all, then the daemon's RSS. Use a release build (swift build -c release): debug figures say little. --smoke: a few seconds, any build.
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from lib import figures, paths, sqlite, wrk  # noqa: E402
from lib.callbacks import paced  # noqa: E402
from lib.daemon import create_key, metric, prepared_store, start_serve  # noqa: E402
from lib.ports import free_port  # noqa: E402
from lib.processes import cpu_seconds, peak_rss_mib, rss_mib, stop  # noqa: E402


def start_profile(pid, output):
    recorder = subprocess.Popen(["perf", "record", "-F", "999", "-g", "-p", str(pid), "-o", output],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)  # perf attaches before wrk starts
    return recorder


def demangled(line):
    """`swift demangle --simplified` on a perf line, when the toolchain is there."""
    try:
        return subprocess.run(["swift", "demangle", "--simplified", "--compact"], input=line, capture_output=True, text=True,
                              timeout=30).stdout.strip()[:150] or line[:150]
    except (OSError, subprocess.SubprocessError):
        return line[:150]


def print_profile(data):
    def report(*options):
        lines = subprocess.run(["perf", "report", "-i", data, "--stdio", "-g", "none", *options], capture_output=True, text=True).stdout
        return [line.strip() for line in lines.splitlines() if line.strip() and not line.startswith("#")]
    print("\nperf, the callback run: by thread")
    for line in report("--no-children", "--sort", "comm"):
        print("  " + line[:150])
    print("perf: self time, entries over 1.5%")
    for line in report("--no-children", "--sort", "symbol", "--percent-limit", "1.5"):
        print("  " + line[:150])
    print("perf: the daemon's own functions, with what they call, entries over 1%")
    for line in report("--children", "--sort", "symbol", "--percent-limit", "1"):
        if "Declutter" in line:
            print("  " + demangled(line))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary", nargs="?", default=paths.declutterd("release"))
    parser.add_argument("--generations", type=int, default=2000)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--smoke", action="store_true", help="one-second runs: checks the script works, measures nothing")
    parser.add_argument("--profile", metavar="PERF_DATA", help="record the callback run with perf into this file")
    parser.add_argument("--total", type=int, default=0, help="then send callbacks until about this many in all; print RSS")
    parser.add_argument("--auth", choices=("off", "required"), default="off",
                        help="local.auth of the daemon (DECLUTTERD_LOCAL_AUTH); the callback route is public either way")
    options = parser.parse_args()
    if options.smoke:
        options.duration, options.generations = 1, 200
    work = tempfile.mkdtemp(prefix="declutterd-ingest-bench.")
    database, port, tokens = prepared_store(os.path.abspath(options.binary), work, options.generations)
    tokens_file, lua_file = os.path.join(work, "tokens.txt"), os.path.join(work, "callbacks.lua")
    wrk.write_tokens(tokens_file, tokens)
    wrk.write_callbacks_script(lua_file)
    local = free_port()
    token, extra = None, None
    if options.auth == "required":
        token = create_key(os.path.abspath(options.binary), work, database, "bench-metrics", "read")
        extra = {"DECLUTTERD_LOCAL_AUTH": "required"}
    serve = start_serve(os.path.abspath(options.binary), work, database, port, local, extra=extra)
    try:
        if token:
            try:
                metric(local, "declutterd_store_synchronous")
                sys.exit("GET /metrics without a key answered 2xx: local.auth = required did not take (an older build?)")
            except urllib.error.HTTPError as error:
                if error.code != 401:
                    sys.exit(f"GET /metrics without a key answered {error.code}, not 401")
        synchronous = metric(local, "declutterd_store_synchronous", token)
        if synchronous is None:
            print("(this build has no declutterd_store_synchronous nor commit counters: neither is checked nor printed)")
        elif synchronous != 2:
            sys.exit(f"PRAGMA synchronous on the writer is {synchronous:.0f}, not 2 (FULL): the figures would not be durable ones")
        base = f"http://127.0.0.1:{port}"
        bare = wrk.run(base + "/healthz", options.duration, options.connections)
        recorder = start_profile(serve.pid, options.profile) if options.profile else None
        before = cpu_seconds(serve.pid)
        commits_before, writes_before = (metric(local, "declutterd_store_commits_total", token),
                                         metric(local, "declutterd_store_writes_total", token))
        callbacks = wrk.run(base, options.duration, options.connections, lua=lua_file, tokens_file=tokens_file)
        cpu = cpu_seconds(serve.pid) - before
        commits_after, writes_after = (metric(local, "declutterd_store_commits_total", token),
                                       metric(local, "declutterd_store_writes_total", token))
        if recorder:
            recorder.send_signal(signal.SIGINT)
            recorder.wait(timeout=60)
        half = max(1.0, callbacks["rate"] / 2)
        latencies = paced(port, tokens, half, 1 if options.smoke else options.duration)
        sent = callbacks["requests"] + len(latencies)
        if options.total > sent:
            more = wrk.run(base, max(1, int((options.total - sent) / max(callbacks["rate"], 1))), options.connections, lua=lua_file,
                           tokens_file=tokens_file)
            sent += more["requests"]
        rss_now = rss_mib(serve.pid)
        applied = sqlite.count(database, "SELECT count(*) FROM events WHERE source = 'callback' AND outcome = 'applied'")
        events = sqlite.count(database, "SELECT count(*) FROM events")
        print(f"bare GET /healthz:        {bare['rate']:9.0f} req/s  p50 {bare['p50']:.2f} ms  p99 {bare['p99']:.2f} ms")
        print(f"POST /callbacks/{{token}}: {callbacks['rate']:9.0f} req/s  p50 {callbacks['p50']:.2f} ms  p99 {callbacks['p99']:.2f} ms  "
              f"non-2xx {callbacks['non2xx']}  ({figures.ratio(callbacks['rate'], bare['rate']):.3f}x the bare route)")
        print(f"paced at {half:.0f}/s (half the peak): {len(latencies)} callbacks  "
              f"p50 {figures.percentile(latencies, 0.5):.2f} ms  p99 {figures.percentile(latencies, 0.99):.2f} ms")
        print(f"daemon CPU per callback under wrk: {cpu / max(callbacks['requests'], 1) * 1e6:.0f} µs "
              f"({cpu:.1f} s for {callbacks['requests']} callbacks); peak RSS {peak_rss_mib(serve.pid):.1f} MiB")
        if options.total:
            print(f"after {sent} callbacks in all: RSS {rss_now:.1f} MiB now, peak {peak_rss_mib(serve.pid):.1f} MiB")
        if synchronous is not None:
            commits, writes = commits_after - commits_before, writes_after - writes_before
            print(f"store under wrk: {commits:.0f} commits held {writes:.0f} writes ({writes / max(commits, 1):.1f} per commit); "
                  f"PRAGMA synchronous on the writer: {synchronous:.0f} (FULL)")
        print(f"database: {applied} callbacks applied (one per generation), {events} events kept "
              f"({options.generations} generations, wrk -t2 -c{options.connections} -d{options.duration}s, "
              f"local.auth {options.auth})")
    finally:
        stop(serve)
        subprocess.run(["rm", "-rf", work])
    if options.profile:
        print_profile(options.profile)


if __name__ == "__main__":
    main()
