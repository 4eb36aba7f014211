#!/usr/bin/env python3
"""PostgreSQL stopped and started again under callback load: 503s while it is down, no acknowledged callback lost,
recovery without restarting declutterd.

Run under scripts/with-postgres.sh (it needs DECLUTTERD_TEST_POSTGRES, and DECLUTTERD_TEST_POSTGRES_BIN/_DATA to stop
and start the server). Seeds --generations STARTING generations with known callback tokens, starts `declutterd
serve` (database.timeout 1s), sends one SUCCEEDED callback per token from --threads threads, each retrying a token
until it is answered 204, as the service retries. Meanwhile, once a tenth are in, it stops PostgreSQL for --down
seconds (longer if need be, until /readyz and a callback have met it down) and starts it again. Checks, exiting 1
otherwise: some callbacks got 503 while it was down and none any other error; /readyz answered 503 naming
PostgreSQL; every token was finally answered 204 by the same process; every acknowledged callback left its
generation SUCCEEDED with its event.

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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import paths, postgres  # noqa: E402
from lib.callbacks import SUCCEEDED_BODY, new_tokens  # noqa: E402
from lib.daemon import start_serve  # noqa: E402
from lib.ports import free_port  # noqa: E402
from lib.waiting import wait_for, within  # noqa: E402

# The senders' deadline: every callback answered 204 well before it, even on a loaded machine; only a daemon that
# never recovers reaches it.
SEND_SECONDS = 300
# How long to wait for each thing that must happen while PostgreSQL is down, or once it is back.
PATIENCE = 120
# A graceful stop drains the requests in flight; on a loaded machine that is slow, not stuck.
STOP_SECONDS = 120


def pg_ctl(*arguments):
    """pg_ctl on the test cluster, as its owner (postgres when this runs as root)."""
    binary = os.path.join(os.environ["DECLUTTERD_TEST_POSTGRES_BIN"], "pg_ctl")
    as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    # -t: pg_ctl's own wait (60 s by default) is for a machine that is not busy.
    subprocess.run(as_owner + [binary, "-D", os.environ["DECLUTTERD_TEST_POSTGRES_DATA"], "-w", "-t", str(PATIENCE), *arguments],
                   check=True, capture_output=True)


def sender(port, tokens, statuses, acknowledged, lock, deadline):
    # Generous: a timeout counts as an answer other than 204 and 503, and a loaded machine answers slowly.
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    for token in tokens:
        while time.monotonic() < deadline:
            try:
                connection.request("POST", "/callbacks/" + token, body=SUCCEEDED_BODY, headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
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


def names_postgres(answer):
    return answer[0] == 503 and any("PostgreSQL" in reason for reason in answer[1].get("reasons", []))


def readyz_until(port, condition):
    """The first /readyz answer that meets `condition`, else the last one after PATIENCE seconds."""
    answers = []

    def met():
        answers.append(readyz(port))
        return condition(answers[-1])
    within(met, PATIENCE)
    return answers[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary", nargs="?", default=paths.declutterd("debug"))
    parser.add_argument("--generations", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--down", type=float, default=4)
    options = parser.parse_args()
    binary = os.path.abspath(options.binary)
    work = tempfile.mkdtemp(prefix="declutterd-pg-restart-")
    url = postgres.fresh_database("restart")
    port, local_port = free_port(), free_port()
    serve = start_serve(binary, work, url, port, local_port, extra={"DECLUTTERD_DATABASE_TIMEOUT": "1s"})
    tokens = new_tokens(options.generations)
    postgres.seed(url, tokens)
    statuses, acknowledged, lock = {}, [], threading.Lock()
    deadline = time.monotonic() + SEND_SECONDS
    workers = [threading.Thread(target=sender, args=(port, tokens[index::options.threads], statuses, acknowledged, lock, deadline))
               for index in range(options.threads)]
    try:
        for worker in workers:
            worker.start()
        # Stopped under load: once a tenth of the callbacks are in (not after a while: on a fast machine they could
        # all be in, and none would meet the outage; on a slow one none might be).
        wait_for(lambda: len(acknowledged) >= len(tokens) // 10, PATIENCE, "the first tenth of the callbacks acknowledged")
        before_stop = len(acknowledged)
        pg_ctl("-m", "fast", "stop")
        stopped_at = time.monotonic()
        # Down for --down seconds at least, and until what this checks has happened while it is: /readyz says so,
        # and a callback was refused with 503 (each waits database.timeout first, longer on a loaded machine).
        ready_down = readyz_until(local_port, names_postgres)
        within(lambda: statuses.get(503, 0) > 0 or not any(worker.is_alive() for worker in workers), PATIENCE)
        time.sleep(max(0, stopped_at + options.down - time.monotonic()))
        pg_ctl("-l", os.path.join(os.path.dirname(os.environ["DECLUTTERD_TEST_POSTGRES_DATA"]), "server.log"), "start")
        for worker in workers:
            worker.join()
        ready_after = readyz_until(local_port, lambda answer: answer[0] == 200)
        alive = serve.poll() is None
    finally:
        serve.terminate()
        try:
            serve.wait(timeout=STOP_SECONDS)
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
    if not names_postgres(ready_down):
        failures.append(f"/readyz while down: {ready_down}")
    if ready_after[0] != 200: failures.append(f"/readyz after: {ready_after}")
    if not alive: failures.append("declutterd stopped")
    if not stopped: failures.append(f"declutterd did not stop within {STOP_SECONDS} s of SIGTERM")
    if failures:
        sys.exit("; ".join(failures) + f" (logs in {work})")
    print("ok: 503 while PostgreSQL was down, nothing acknowledged lost, recovered without a restart")


if __name__ == "__main__":
    main()
