#!/usr/bin/env python3
"""The move from SQLite to PostgreSQL, timed: `declutterd store copy` on a store of N generations, and the downtime.

Run under scripts/with-postgres.sh. Builds a SQLite store the way the daemon fills one: N STARTING generations with
known callback tokens and a webhook endpoint, then a SUCCEEDED callback for all but the last `--in-flight` of them
through `declutterd serve` (each writes its row, an event, a message and a delivery; the endpoint answers nothing,
so attempts pile up too). Then, as an operator would: stop the daemon (SIGTERM), `declutterd store copy` into a fresh
PostgreSQL database, start the daemon on it; the downtime is from the SIGTERM until the new daemon accepts
connections. Last, the generations still in flight get their callbacks, under their old tokens, from the new daemon.

Usage: scripts/with-postgres.sh scripts/bench/store_copy.py [path/to/declutterd] [--generations 100000] [--in-flight 1000]
"""

import argparse
import http.client
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from lib import paths, postgres, sqlite, wrk  # noqa: E402
from lib.callbacks import SUCCEEDED_BODY, new_tokens, token_hash  # noqa: E402
from lib.daemon import start_serve  # noqa: E402
from lib.ports import free_port  # noqa: E402
from lib.processes import stop  # noqa: E402


def callbacks(port, tokens):
    """A SUCCEEDED callback for each token on one kept-alive connection: how many were answered 204."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    answered = 0
    for token in tokens:
        connection.request("POST", "/callbacks/" + token, body=SUCCEEDED_BODY, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        answered += response.status == 204
    connection.close()
    return answered


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary", nargs="?", default=paths.declutterd("release"))
    parser.add_argument("--generations", type=int, default=100_000)
    parser.add_argument("--in-flight", type=int, default=1000)
    options = parser.parse_args()

    work = tempfile.mkdtemp(prefix="declutterd-copy.")
    database = os.path.join(work, "declutterd.sqlite")
    port, local = free_port(), free_port()
    stop(start_serve(options.binary, work, database, port))  # migrates the fresh database
    tokens = new_tokens(options.generations)
    sqlite.seed(database, tokens, "http://127.0.0.1:9/hook")
    ended, in_flight = tokens[:-options.in_flight], tokens[-options.in_flight:]
    tokens_file, lua_file = os.path.join(work, "tokens.txt"), os.path.join(work, "callbacks.lua")
    wrk.write_callbacks_script(lua_file)

    serve = start_serve(options.binary, work, database, port, local)
    filled = time.monotonic()
    waiting = ended
    while waiting:
        # wrk starts from the first token of the file each time: the file holds only those not applied yet.
        wrk.write_tokens(tokens_file, waiting)
        wrk.run(f"http://127.0.0.1:{port}", 10, 64, lua=lua_file, tokens_file=tokens_file)
        done = set(row[0] for row in sqlite.rows(database, "SELECT callback_token_hash FROM generations WHERE status = 'SUCCEEDED'"))
        waiting = [token for token in waiting if token_hash(token) not in done]
    applied = len(ended)
    print(f"filled: {applied} generations SUCCEEDED by callback, {len(in_flight)} in flight ({time.monotonic() - filled:.0f} s)")
    for table in ["generations", "events", "messages", "deliveries", "delivery_attempts", "images"]:
        print(f"  {table}: {sqlite.count(database, f'SELECT count(*) FROM {table}')} rows")
    print(f"  SQLite file: {os.path.getsize(database) / 1e6:.1f} MB (+ WAL {os.path.getsize(database + '-wal') / 1e6:.1f} MB)")

    target = postgres.fresh_database("declutterd_copy")
    stopped = time.monotonic()
    stop(serve)
    stop_seconds = time.monotonic() - stopped
    copy_started = time.monotonic()
    copy = subprocess.run([options.binary, "store", "copy", "--from", database, "--archive-dir", os.path.join(work, f"images-{port}"),
                           "--to", target], capture_output=True, text=True)
    copy_seconds = time.monotonic() - copy_started
    if copy.returncode != 0:
        sys.exit(f"store copy failed ({copy.returncode}): {copy.stderr}")
    print(copy.stdout.rstrip())
    serve = start_serve(options.binary, work, target, port, local)
    downtime = time.monotonic() - stopped
    print(f"downtime: {downtime:.1f} s (the stop {stop_seconds:.1f} s, the copy {copy_seconds:.1f} s, "
          f"the start on PostgreSQL {downtime - stop_seconds - copy_seconds:.1f} s)")
    answered = callbacks(port, in_flight)
    stop(serve)
    succeeded = int(postgres.psql(target, "SELECT count(*) FROM generations WHERE status = 'SUCCEEDED'")[0][0])
    print(f"after the move: {answered} of {len(in_flight)} callbacks of generations in flight answered 204 under their old tokens; "
          f"{succeeded} of {options.generations} generations SUCCEEDED in PostgreSQL")
    if answered != len(in_flight) or succeeded != options.generations:
        sys.exit("the move lost callbacks")


if __name__ == "__main__":
    main()
