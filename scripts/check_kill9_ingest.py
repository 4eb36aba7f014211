#!/usr/bin/env python3
"""No acknowledged callback is lost when `declutterd serve` is killed with SIGKILL under load.

Seeds N generations in STARTING with known callback tokens, starts the daemon, sends one SUCCEEDED callback per
token from several threads (each on its own kept-alive connection), kills the daemon with SIGKILL at a random
moment, then reads the database: every callback answered 204 before the kill must have left its generation
SUCCEEDED with its event. Repeats for --rounds rounds. Exit 1, naming the lost tokens' rows, otherwise.

Usage: scripts/check_kill9_ingest.py [path/to/declutterd] [--rounds 3] [--generations 3000] [--threads 16]
"""

import argparse
import http.client
import os
import random
import signal
import sqlite3
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import paths  # noqa: E402
from lib.callbacks import SUCCEEDED_BODY, token_hash  # noqa: E402
from lib.daemon import prepared_store, start_serve  # noqa: E402
from lib.waiting import wait_for  # noqa: E402

def sender(port, tokens, acknowledged, lock):
    # A slow answer on a loaded machine is waited for: only the kill (a reset connection) ends a sender early.
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for token in tokens:
        try:
            connection.request("POST", "/callbacks/" + token, body=SUCCEEDED_BODY, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            return  # the daemon is gone
        if status == 204:
            with lock:
                acknowledged.append(token)


def one_round(binary, number, generations, threads):
    work = tempfile.mkdtemp(prefix="declutterd-kill9-")
    database, port, tokens = prepared_store(binary, work, generations)
    serve = start_serve(binary, work, database, port)
    acknowledged, lock = [], threading.Lock()
    workers = [threading.Thread(target=sender, args=(port, tokens[index::threads], acknowledged, lock)) for index in range(threads)]
    for worker in workers:
        worker.start()
    # The kill comes at a random point of the load, counted in acknowledged callbacks rather than in seconds (on a
    # loaded machine a second may see none, and the round would prove nothing).
    target = random.randint(1, max(1, generations // 2))
    try:
        wait_for(lambda: len(acknowledged) >= target or not any(worker.is_alive() for worker in workers), 300,
                 f"{target} acknowledged callbacks")
    finally:
        serve.send_signal(signal.SIGKILL)
        serve.wait()
    for worker in workers:
        worker.join()
    db = sqlite3.connect(database)
    lost = []
    for token in acknowledged:
        row = db.execute("""
            SELECT g.id, g.status, (SELECT count(*) FROM events e WHERE e.generation = g.id AND e.outcome = 'applied' AND e.source = 'callback')
            FROM generations g WHERE g.callback_token_hash = ?""", (token_hash(token),)).fetchone()
        if row is None or row[1] != "SUCCEEDED" or row[2] != 1:
            lost.append(row)
    db.close()
    print(f"round {number}: SIGKILL after {len(acknowledged)} acknowledged callbacks; lost: {len(lost)}")
    return lost


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary", nargs="?", default=paths.declutterd("debug"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--generations", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=16)
    options = parser.parse_args()
    lost = [row for number in range(1, options.rounds + 1)
            for row in one_round(os.path.abspath(options.binary), number, options.generations, options.threads)]
    if lost:
        sys.exit(f"acknowledged callbacks lost: {lost[:10]}")
    print("ok: every acknowledged callback survived SIGKILL")


if __name__ == "__main__":
    main()
