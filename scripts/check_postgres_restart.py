#!/usr/bin/env python3
"""PostgreSQL stopped and started again under callback load: 503s while it is down, no acknowledged callback lost,
recovery without restarting declutterd.

Run under scripts/with-postgres.sh (it needs DECLUTTERD_TEST_POSTGRES, and DECLUTTERD_TEST_POSTGRES_BIN/_DATA to stop
and start the server). Seeds --generations STARTING generations with known callback tokens, starts `declutterd
serve` (database.timeout 1s), sends one SUCCEEDED callback per token from --threads threads, each retrying a token
until it is answered 204, as the service retries. Meanwhile it stops PostgreSQL for --down seconds, reads /readyz
while it is down, and starts it again. Checks, exiting 1 otherwise: some callbacks got 503 while it was down and
none any other error; /readyz answered 503 naming PostgreSQL; every token was finally answered 204 by the same
process; every acknowledged callback left its generation SUCCEEDED with its event.

Usage: scripts/check_postgres_restart.py [path/to/declutterd] [--generations 3000] [--threads 8] [--down 4]
"""

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench"))
import outbox_cost as shared  # noqa: E402
import postgres  # noqa: E402


def pg_ctl(*arguments):
    """pg_ctl on the test cluster, as its owner (postgres when this runs as root)."""
    binary = os.path.join(os.environ["DECLUTTERD_TEST_POSTGRES_BIN"], "pg_ctl")
    as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run(as_owner + [binary, "-D", os.environ["DECLUTTERD_TEST_POSTGRES_DATA"], "-w", *arguments],
                   check=True, capture_output=True)


def sender(port, tokens, statuses, acknowledged, lock, deadline):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for token in tokens:
        while time.monotonic() < deadline:
            try:
                connection.request("POST", "/callbacks/" + token, body=shared.SUCCEEDED_BODY, headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = "connection"
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if status == 204:
                    acknowledged.append(token)
            if status == 204:
                break
            time.sleep(0.05)  # the service retries a 503 later


def readyz(port):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/readyz")
    response = connection.getresponse()
    return response.status, json.loads(response.read() or b"{}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary", nargs="?", default=os.path.join(shared.ROOT, ".build/debug/declutterd"))
    parser.add_argument("--generations", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--down", type=float, default=4)
    options = parser.parse_args()
    binary = os.path.abspath(options.binary)
    work = tempfile.mkdtemp(prefix="declutterd-pg-restart-")
    url = postgres.fresh_database("restart")
    port, local_port = shared.free_port(), shared.free_port()
    serve = shared.start_serve(binary, work, url, port, local_port, extra={"DECLUTTERD_DATABASE_TIMEOUT": "1s"})
    tokens = shared.new_tokens(options.generations)
    postgres.seed(url, tokens)
    statuses, acknowledged, lock = {}, [], threading.Lock()
    deadline = time.monotonic() + 120
    workers = [threading.Thread(target=sender, args=(port, tokens[index::options.threads], statuses, acknowledged, lock, deadline))
               for index in range(options.threads)]
    try:
        for worker in workers:
            worker.start()
        time.sleep(0.5)
        before_stop = len(acknowledged)
        pg_ctl("-m", "fast", "stop")
        time.sleep(options.down / 2)
        ready_down = readyz(local_port)
        time.sleep(options.down / 2)
        pg_ctl("-l", os.path.join(os.path.dirname(os.environ["DECLUTTERD_TEST_POSTGRES_DATA"]), "server.log"), "start")
        for worker in workers:
            worker.join()
        ready_after = readyz(local_port)
        alive = serve.poll() is None
    finally:
        serve.terminate()
        try:
            serve.wait(timeout=30)
            stopped = True
        except subprocess.TimeoutExpired:
            serve.kill()
            serve.wait()
            stopped = False
    lost = postgres.not_kept(url, acknowledged)
    unanswered = len(tokens) - len(set(acknowledged))
    print(f"answers: {statuses}; {before_stop} acknowledged before PostgreSQL stopped, {len(acknowledged)} in all")
    print(f"/readyz while down: {ready_down[0]} {ready_down[1].get('reasons')}; after: {ready_after[0]}")
    print(f"lost: {len(lost)}; never acknowledged: {unanswered}; the same declutterd process throughout: {alive}; stopped on SIGTERM: {stopped}")
    failures = []
    if lost: failures.append(f"acknowledged callbacks lost: {lost[:5]}")
    if unanswered: failures.append(f"{unanswered} callbacks never acknowledged after PostgreSQL came back")
    if statuses.get(503, 0) == 0: failures.append("no 503 while PostgreSQL was down")
    if set(statuses) - {204, 503}: failures.append(f"answers other than 204 and 503: {statuses}")
    if ready_down[0] != 503 or not any("PostgreSQL" in reason for reason in ready_down[1].get("reasons", [])):
        failures.append(f"/readyz while down: {ready_down}")
    if ready_after[0] != 200: failures.append(f"/readyz after: {ready_after}")
    if not alive: failures.append("declutterd stopped")
    if not stopped: failures.append("declutterd did not stop within 30 s of SIGTERM")
    if failures:
        sys.exit("; ".join(failures) + f" (logs in {work})")
    print("ok: 503 while PostgreSQL was down, nothing acknowledged lost, recovered without a restart")


if __name__ == "__main__":
    main()
