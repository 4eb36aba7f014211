#!/usr/bin/env python3
"""Callback ingest against the framework's own speed, in one run on one build.

Starts `declutterd serve` on a fresh database (migrating it), stops it, writes N generations in STARTING with
known callback tokens, starts it again, then, with the same wrk settings: the bare route (`GET /healthz` on the
public listener of the same process) and the callback route (`POST /callbacks/{token}`, valid SUCCEEDED bodies,
tokens taken in turn: the first pass applies, later ones are duplicates); then the callback route paced at half
its measured peak on one kept-alive connection, timing each answer. Prints req/s of both, the ratio, p50/p99,
the daemon's CPU time per callback (from /proc), its peak RSS, and what the database holds afterwards.

Usage: scripts/bench/ingest.py [path/to/declutterd] [--generations 2000] [--duration 8] [--connections 64] [--smoke]
                               [--profile perf.data] [--total 1000000]
Needs wrk (and perf for --profile: the callback run is recorded, and its top entries printed). --total N: after the
measurements, more callbacks under wrk until about N have been sent in all, then the daemon's RSS. Use a release build (swift build -c release): debug figures say little. --smoke: a few seconds, any build.
"""

import argparse
import http.client
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import outbox_cost as shared  # noqa: E402  (serve, seeding and wrk helpers)

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        return int(re.search(r"VmHWM:\s+(\d+)", status.read()).group(1)) / 1024


def current_rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        return int(re.search(r"VmRSS:\s+(\d+)", status.read()).group(1)) / 1024


def ratio(part, whole):
    """part / whole, NaN when whole is 0: a one-second smoke run on a loaded machine may complete no request at all,
    and its figures are printed, never judged."""
    return part / whole if whole else float("nan")


def metric(port, name):
    """One unlabelled value from the daemon's /metrics on its local listener; None when this build has no such metric."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=60) as response:
        text = response.read().decode()
    found = re.search(rf"^{name} ([\d.e+]+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else None


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


def paced(port, tokens, rate, seconds):
    """SUCCEEDED callbacks at `rate` per second for `seconds` on one kept-alive connection; each answer timed (ms)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)  # slow on a loaded machine, not an error
    body = shared.SUCCEEDED_BODY
    latencies, started = [], time.monotonic()
    for index in range(int(rate * seconds)):
        delay = started + index / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        sent = time.perf_counter()
        connection.request("POST", "/callbacks/" + tokens[index % len(tokens)], body=body, headers={"Content-Type": "application/json"})
        connection.getresponse().read()
        latencies.append((time.perf_counter() - sent) * 1000)
    connection.close()
    latencies.sort()
    return latencies


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary", nargs="?", default=os.path.join(shared.ROOT, ".build/release/declutterd"))
    parser.add_argument("--generations", type=int, default=2000)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--smoke", action="store_true", help="one-second runs: checks the script works, measures nothing")
    parser.add_argument("--profile", metavar="PERF_DATA", help="record the callback run with perf into this file")
    parser.add_argument("--total", type=int, default=0, help="then send callbacks until about this many in all; print RSS")
    options = parser.parse_args()
    if options.smoke:
        options.duration, options.generations = 1, 200
    work = tempfile.mkdtemp(prefix="declutterd-ingest-bench.")
    database, port, tokens = shared.prepared_store(os.path.abspath(options.binary), work, options.generations)
    tokens_file, lua_file = os.path.join(work, "tokens.txt"), os.path.join(work, "callbacks.lua")
    with open(tokens_file, "w") as f:
        f.write("\n".join(tokens) + "\n")
    with open(lua_file, "w") as f:
        f.write(shared.LUA)
    local = shared.free_port()
    serve = shared.start_serve(os.path.abspath(options.binary), work, database, port, local)
    try:
        synchronous = metric(local, "declutterd_store_synchronous")
        if synchronous is None:
            print("(this build has no declutterd_store_synchronous nor commit counters: neither is checked nor printed)")
        elif synchronous != 2:
            sys.exit(f"PRAGMA synchronous on the writer is {synchronous:.0f}, not 2 (FULL): the figures would not be durable ones")
        base = f"http://127.0.0.1:{port}"
        bare = shared.run_wrk(base + "/healthz", options.duration, options.connections)
        recorder = start_profile(serve.pid, options.profile) if options.profile else None
        before = cpu_seconds(serve.pid)
        commits_before, writes_before = metric(local, "declutterd_store_commits_total"), metric(local, "declutterd_store_writes_total")
        callbacks = shared.run_wrk(base, options.duration, options.connections, lua=lua_file, tokens_file=tokens_file)
        cpu = cpu_seconds(serve.pid) - before
        commits_after, writes_after = metric(local, "declutterd_store_commits_total"), metric(local, "declutterd_store_writes_total")
        if recorder:
            recorder.send_signal(signal.SIGINT)
            recorder.wait(timeout=60)
        half = max(1.0, callbacks["rate"] / 2)
        latencies = paced(port, tokens, half, 1 if options.smoke else options.duration)
        sent = callbacks["requests"] + len(latencies)
        if options.total > sent:
            more = shared.run_wrk(base, max(1, int((options.total - sent) / max(callbacks["rate"], 1))), options.connections, lua=lua_file,
                           tokens_file=tokens_file)
            sent += more["requests"]
        rss_now = current_rss_mib(serve.pid)
        applied = shared.count(database, "SELECT count(*) FROM events WHERE source = 'callback' AND outcome = 'applied'")
        events = shared.count(database, "SELECT count(*) FROM events")
        print(f"bare GET /healthz:        {bare['rate']:9.0f} req/s  p50 {bare['p50']:.2f} ms  p99 {bare['p99']:.2f} ms")
        print(f"POST /callbacks/{{token}}: {callbacks['rate']:9.0f} req/s  p50 {callbacks['p50']:.2f} ms  p99 {callbacks['p99']:.2f} ms  "
              f"non-2xx {callbacks['non2xx']}  ({ratio(callbacks['rate'], bare['rate']):.3f}x the bare route)")
        print(f"paced at {half:.0f}/s (half the peak): {len(latencies)} callbacks  "
              f"p50 {shared.percentile(latencies, 0.5):.2f} ms  p99 {shared.percentile(latencies, 0.99):.2f} ms")
        print(f"daemon CPU per callback under wrk: {cpu / max(callbacks['requests'], 1) * 1e6:.0f} µs "
              f"({cpu:.1f} s for {callbacks['requests']} callbacks); peak RSS {peak_rss_mib(serve.pid):.1f} MiB")
        if options.total:
            print(f"after {sent} callbacks in all: RSS {rss_now:.1f} MiB now, peak {peak_rss_mib(serve.pid):.1f} MiB")
        if synchronous is not None:
            commits, writes = commits_after - commits_before, writes_after - writes_before
            print(f"store under wrk: {commits:.0f} commits held {writes:.0f} writes ({writes / max(commits, 1):.1f} per commit); "
                  f"PRAGMA synchronous on the writer: {synchronous:.0f} (FULL)")
        print(f"database: {applied} callbacks applied (one per generation), {events} events kept "
              f"({options.generations} generations, wrk -t2 -c{options.connections} -d{options.duration}s)")
    finally:
        shared.stop(serve)
        subprocess.run(["rm", "-rf", work])
    if options.profile:
        print_profile(options.profile)


if __name__ == "__main__":
    main()
