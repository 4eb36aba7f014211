#!/usr/bin/env python3
"""Callback ingest on SQLite, on PostgreSQL with one instance, and on PostgreSQL with two, in one run on one build.

Run under scripts/with-postgres.sh (the PostgreSQL cases need DECLUTTERD_TEST_POSTGRES). For each setup: a fresh
store with N STARTING generations of known callback tokens, then with the same wrk settings the bare route
(`GET /healthz` on the public listener) and the callback route (`POST /callbacks/{token}`, valid SUCCEEDED bodies:
the first pass applies, later ones are duplicates). With two instances, wrk runs against both at once, half the
connections each, and the rates are summed. Prints req/s, the ratio to the bare route of the same setup, p50/p99,
the daemons' CPU per callback, and checks that every generation ended SUCCEEDED with one applied callback event.
On this machine PostgreSQL's server shares the two cores with the daemons and wrk: its CPU is counted apart.

Usage: scripts/with-postgres.sh scripts/bench/ingest_backends.py [path/to/declutterd] [--duration 8] [--connections 64]
       [--generations 2000] [--smoke]
"""

import argparse
import os
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from lib import figures, paths, postgres, sqlite, wrk  # noqa: E402
from lib.callbacks import new_tokens, paced  # noqa: E402
from lib.daemon import metric, prepared_store, start_serve  # noqa: E402
from lib.ports import free_port  # noqa: E402
from lib.processes import cpu_seconds, stop  # noqa: E402


def postgres_cpu_seconds():
    """CPU time of every PostgreSQL server process (the cluster's), from /proc."""
    total = 0.0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/comm") as comm:
                if comm.read().strip() != "postgres":
                    continue
            total += cpu_seconds(pid)
        except OSError:
            continue
    return total


def concurrent_wrk(urls, duration, connections, lua=None, tokens_file=None):
    """wrk against every URL at once, `connections` split between them: the summed rate, the worst p50/p99."""
    results = [None] * len(urls)

    def one(index, url):
        results[index] = wrk.run(url, duration, max(2, connections // len(urls)), lua=lua, tokens_file=tokens_file)
    threads = [threading.Thread(target=one, args=(index, url)) for index, url in enumerate(urls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"rate": sum(r["rate"] for r in results), "p50": max(r["p50"] for r in results), "p99": max(r["p99"] for r in results),
            "requests": sum(r["requests"] for r in results), "non2xx": sum(r["non2xx"] for r in results)}


def paced_together(port, tokens, rate, seconds, connections=8):
    """Callbacks at `rate` per second in all, from `connections` kept-alive connections each pacing its share (so a
    slow answer on one does not hold the others back): every answer's time (ms), sorted."""
    shares = [None] * connections

    def one(index):
        shares[index] = paced(port, tokens[index::connections], rate / connections, seconds)
    threads = [threading.Thread(target=one, args=(index,)) for index in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(latency for share in shares for latency in share)


def measure(name, binary, options, database, tokens, instances):
    work = tempfile.mkdtemp(prefix="declutterd-backends.")
    tokens_file, lua_file = os.path.join(work, "tokens.txt"), os.path.join(work, "callbacks.lua")
    wrk.write_tokens(tokens_file, tokens)
    wrk.write_callbacks_script(lua_file)
    ports = [(free_port(), free_port()) for _ in range(instances)]
    serves = [start_serve(binary, work, database, callbacks, local) for callbacks, local in ports]
    try:
        for _, local in ports:
            synchronous = metric(local, "declutterd_store_synchronous")
            if synchronous != 2:
                sys.exit(f"{name}: declutterd_store_synchronous is {synchronous}, not 2: the figures would not be durable ones")
        bases = [f"http://127.0.0.1:{callbacks}" for callbacks, _ in ports]
        bare = concurrent_wrk([base + "/healthz" for base in bases], options.duration, options.connections)
        cpu_before = sum(cpu_seconds(serve.pid) for serve in serves)
        server_before = postgres_cpu_seconds()
        callbacks = concurrent_wrk(bases, options.duration, options.connections, lua=lua_file, tokens_file=tokens_file)
        cpu = sum(cpu_seconds(serve.pid) for serve in serves) - cpu_before
        server = postgres_cpu_seconds() - server_before
        half = callbacks["rate"] / 2 / instances
        latencies = paced_together(ports[0][0], tokens, half, 1 if options.smoke else options.duration)
    finally:
        for serve in serves:
            stop(serve)
    # Every generation a callback reached ended SUCCEEDED with one applied callback event (a short run may not
    # reach them all).
    check = ("SELECT count(*) FILTER (WHERE n > 0), count(*) FILTER (WHERE n = 1 AND status = 'SUCCEEDED') FROM (SELECT g.status, "
             "(SELECT count(*) FROM events e WHERE e.generation = g.id AND e.source = 'callback' AND e.outcome = 'applied') AS n FROM generations g) AS t")
    if database.startswith("postgres"):
        reached, applied = (int(value) for value in postgres.psql(database, check)[0])
    else:
        reached = sqlite.count(database, check.replace("count(*) FILTER (WHERE n = 1 AND status = 'SUCCEEDED')", "0"))
        applied = sqlite.count(database, check.replace("count(*) FILTER (WHERE n > 0), ", ""))
    print(f"== {name}")
    print(f"bare GET /healthz:        {bare['rate']:9.0f} req/s  p50 {bare['p50']:.2f} ms  p99 {bare['p99']:.2f} ms")
    print(f"POST /callbacks/{{token}}: {callbacks['rate']:9.0f} req/s  p50 {callbacks['p50']:.2f} ms  p99 {callbacks['p99']:.2f} ms  "
          f"non-2xx {callbacks['non2xx']}  ({figures.ratio(callbacks['rate'], bare['rate']):.3f}x the bare route)")
    print(f"paced at {half:.0f}/s on one instance (half its share of the peak), 8 connections: {len(latencies)} callbacks  "
          f"p50 {figures.percentile(latencies, 0.5):.2f} ms  p99 {figures.percentile(latencies, 0.99):.2f} ms")
    print(f"daemon CPU per callback: {cpu / max(1, callbacks['requests']) * 1e6:.0f} µs"
          + (f"; PostgreSQL server CPU per callback: {server / max(1, callbacks['requests']) * 1e6:.0f} µs" if database.startswith("postgres") else ""))
    print(f"database: {reached} of {len(tokens)} generations reached by a callback, {applied} of them SUCCEEDED with one applied callback event")
    if applied != reached:
        sys.exit(f"{name}: {reached - applied} generations reached without their state or event")
    return figures.ratio(callbacks["rate"], bare["rate"])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary", nargs="?", default=paths.declutterd("release"))
    parser.add_argument("--generations", type=int, default=2000)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--smoke", action="store_true", help="one-second runs: checks the script works, measures nothing")
    options = parser.parse_args()
    if options.smoke:
        options.duration, options.generations = 1, 200
    binary = os.path.abspath(options.binary)

    work = tempfile.mkdtemp(prefix="declutterd-backends.")
    database, _, tokens = prepared_store(binary, work, options.generations)
    measure("SQLite, one instance", binary, options, database, tokens, 1)
    for instances in (1, 2):
        url = postgres.fresh_database("ingest")
        stop(start_serve(binary, work, url, free_port()))  # migrates it
        tokens = new_tokens(options.generations)
        postgres.seed(url, tokens)
        measure(f"PostgreSQL, {instances} instance{'s' if instances > 1 else ''}", binary, options, url, tokens, instances)


if __name__ == "__main__":
    main()
