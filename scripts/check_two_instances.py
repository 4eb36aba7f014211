#!/usr/bin/env python3
"""Two `declutterd serve` processes on one PostgreSQL database, one killed with SIGKILL under load.

Run under scripts/with-postgres.sh (it needs DECLUTTERD_TEST_POSTGRES). Starts the sandbox (it drops half the
callbacks, so polls carry much of the work, and holds each retrieval --retrieval-delay-ms so that two polls of one
generation at once would overlap and be counted), then instances A and B on one fresh database, cross-wired: A's
callback URLs point at B's listener and B's at A's, so every callback lands on the instance that did not submit.

1. Submits --submissions generations through both local APIs, alternately, and sends each of --keys
   Idempotency-Keys to both instances at once.
2. Seeds --generations STARTING generations with known callback tokens and sends one SUCCEEDED callback per token
   from --threads threads, spread over both instances; kills A with SIGKILL at a random moment meanwhile.
3. Waits for B to settle every submitted generation (A's claimed polls come back to B when their lease ends).

Checks, exiting 1 with the counts otherwise: every callback answered 204 left its generation SUCCEEDED with its
event; each Idempotency-Key made one generation; every submitted generation ends in the state the sandbox says;
no retrieval of a generation ever overlapped another of the same generation (the sandbox's count).

Usage: scripts/check_two_instances.py [path/to/declutterd] [--submissions 30] [--keys 5] [--generations 2000]
"""

import argparse
import concurrent.futures
import hashlib
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import paths, postgres  # noqa: E402
from lib.callbacks import SUCCEEDED_BODY, new_tokens  # noqa: E402
from lib.daemon import API_KEY, USER_ID, start_serve  # noqa: E402
from lib.ports import free_port  # noqa: E402
from lib.waiting import wait_for, wait_for_port  # noqa: E402

LEASE = "32s"  # longer than a poll's request (30 s), notify.timeout and archive.timeout below
# How long B may take to settle every generation after the kill: A's leases end after LEASE, and then B polls them
# (every 2 s at most); far more than that on a loaded machine, so that only generations never settled reach it.
SETTLE_SECONDS = 300


def start_sandbox(binary, work):
    port = free_port()
    log = open(os.path.join(work, "sandbox.log"), "a")
    process = subprocess.Popen([binary, "sandbox", "--port", str(port), "--seed", "7", "--api-key", API_KEY, "--user-id", USER_ID,
                                "--quota", "1000", "--start-ms", "100", "--min-completion-ms", "300", "--max-completion-ms", "2500",
                                "--drop", "0.5", "--retrieval-delay-ms", "40"], stdout=log, stderr=log)
    wait_for_port(port, process)
    return process, port


def start_instance(binary, work, url, sandbox_port, callbacks_port, callbacks_to, local_port):
    extra = {
        "DECLUTTERD_UPSTREAM_BASE_URL": f"http://127.0.0.1:{sandbox_port}",
        "DECLUTTERD_CALLBACKS_PUBLIC_BASE_URL": f"http://127.0.0.1:{callbacks_to}",
        "DECLUTTERD_POLLING_CALLBACK_GRACE": "2s", "DECLUTTERD_POLLING_INITIAL_INTERVAL": "1s", "DECLUTTERD_POLLING_MAX_INTERVAL": "2s",
        "DECLUTTERD_DATABASE_LEASE": LEASE, "DECLUTTERD_NOTIFY_TIMEOUT": "1s", "DECLUTTERD_ARCHIVE_TIMEOUT": "1s",
        "DECLUTTERD_ARCHIVE_ALLOW_PRIVATE": "true", "DECLUTTERD_LOG_LEVEL": "warning",
    }
    process = start_serve(binary, work, url, callbacks_port, local_port, extra=extra)
    wait_for_port(local_port, process)
    return process


def local_post(port, path, body, key=None):
    headers = {"Content-Type": "application/json", **({"Idempotency-Key": key} if key else {})}
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read())


def sender(ports, tokens, acknowledged, lock):
    # A slow answer on a loaded machine is waited for: only the kill (a reset connection) takes an instance out.
    connections = {port: http.client.HTTPConnection("127.0.0.1", port, timeout=60) for port in ports}
    dead = set()
    for index, token in enumerate(tokens):
        port = ports[index % len(ports)]
        if port in dead:
            continue  # that instance is gone: its share is never acknowledged
        try:
            connection = connections[port]
            connection.request("POST", "/callbacks/" + token, body=SUCCEEDED_BODY, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            dead.add(port)
            continue
        if response.status == 204:
            with lock:
                acknowledged.append(token)


def true_status(sandbox_port, generation_id):
    request = urllib.request.Request(f"http://127.0.0.1:{sandbox_port}/api/declutter_total/get",
                                     data=json.dumps({"generation_id": generation_id, "user_id": USER_ID}).encode(),
                                     headers={"Content-Type": "application/json", "x-api-key": API_KEY}, method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())["status"]


def sandbox_counters(sandbox_port):
    with urllib.request.urlopen(f"http://127.0.0.1:{sandbox_port}/sandbox/counters", timeout=60) as response:
        return json.loads(response.read())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary", nargs="?", default=paths.declutterd("debug"))
    parser.add_argument("--submissions", type=int, default=30)
    parser.add_argument("--keys", type=int, default=5)
    parser.add_argument("--generations", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=16)
    options = parser.parse_args()
    binary = os.path.abspath(options.binary)
    work = tempfile.mkdtemp(prefix="declutterd-two-")
    url = postgres.fresh_database("two")
    sandbox, sandbox_port = start_sandbox(binary, work)
    ports = {name: (free_port(), free_port()) for name in "AB"}
    a = start_instance(binary, work, url, sandbox_port, ports["A"][0], ports["B"][0], ports["A"][1])
    b = start_instance(binary, work, url, sandbox_port, ports["B"][0], ports["A"][0], ports["B"][1])
    killed = False
    try:
        # 1. Submissions through both, and the same Idempotency-Key to both at once.
        submitted = []
        for index in range(options.submissions):
            local = ports["AB"[index % 2]][1]
            status, body = local_post(local, "/v1/generations", {"image_url": f"https://example.com/room-{index}.jpg", "auto": True})
            assert status == 202, (status, body)
            submitted.append(body["id"])
        keyed = {}
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = [(key, pool.submit(local_post, ports[name][1], "/v1/generations",
                                         {"image_url": f"https://example.com/keyed-{key}.jpg", "auto": True}, f"key-{key}"))
                       for key in range(options.keys) for name in "AB"]
            for key, answer in answers:
                keyed.setdefault(key, set()).add(answer.result()[1]["id"])
        one_each = all(len(ids) == 1 for ids in keyed.values())
        submitted += [next(iter(ids)) for ids in keyed.values()]

        # 2. Callback load over both, once the instances poll (the callback grace is 2 s, and half the callbacks are
        # dropped): waited for as the sandbox's first retrieval call, not as a time. A killed meanwhile.
        wait_for(lambda: sandbox_counters(sandbox_port)["retrieval_calls"] > 0, 120, "the first poll")
        tokens = new_tokens(options.generations)
        postgres.seed(url, tokens)
        acknowledged, lock = [], threading.Lock()
        callback_ports = [ports["A"][0], ports["B"][0]]
        workers = [threading.Thread(target=sender, args=(callback_ports, tokens[index::options.threads], acknowledged, lock))
                   for index in range(options.threads)]
        for worker in workers:
            worker.start()
        # At a random point of the load, counted in acknowledged callbacks rather than in seconds (on a loaded
        # machine a second may see none, and the kill would come before any load).
        target = random.randint(1, max(1, options.generations // 2))
        wait_for(lambda: len(acknowledged) >= target or not any(worker.is_alive() for worker in workers), 300,
                 f"{target} acknowledged callbacks")
        a.send_signal(signal.SIGKILL)
        a.wait()
        killed = True
        for worker in workers:
            worker.join()
        lost = postgres.not_kept(url, acknowledged)

        # 3. B settles every submitted generation, A's claimed polls included once their lease ends.
        deadline = time.monotonic() + SETTLE_SECONDS
        rows = []
        while time.monotonic() < deadline:
            rows = postgres.psql(url, "SELECT id, generation_id, status FROM generations WHERE kind <> 'tracked' ORDER BY id")
            if rows and all(status in ("SUCCEEDED", "FAILED", "REJECTED") for _, _, status in rows):
                break
            time.sleep(1)
        pending = [row for row in rows if row[2] not in ("SUCCEEDED", "FAILED", "REJECTED")]
        wrong = [row for row in rows if row[1] and row[2] in ("SUCCEEDED", "FAILED") and true_status(sandbox_port, row[1]) != row[2]]
        counters = sandbox_counters(sandbox_port)

        # 4. Files without a shared folder: every archived image is served by B, those A downloaded included
        # (B's folder lacks them: they come from the database), each body hashing to its name.
        archived = postgres.psql(url, "SELECT generation, position, sha256 FROM images WHERE state = 'archived' ORDER BY id")
        folder = os.path.join(work, f"images-{ports['B'][0]}")
        from_database = sum(1 for _, _, sha256 in archived if not os.path.exists(os.path.join(folder, sha256[:2], sha256[2:4], sha256)))
        served_wrong = []
        for generation, position, sha256 in archived:
            with urllib.request.urlopen(f"http://127.0.0.1:{ports['B'][1]}/v1/generations/{generation}/images/{position}", timeout=30) as response:
                if hashlib.sha256(response.read()).hexdigest() != sha256:
                    served_wrong.append((generation, position))
    finally:
        for process in ([] if killed else [a]) + [b, sandbox]:
            process.send_signal(signal.SIGTERM)
        for process in [a, b, sandbox]:
            process.wait(timeout=120)  # a graceful stop on a loaded machine: slow, not stuck
    retrievals = counters["retrieval_calls_by_generation"]
    print(f"callbacks: {len(acknowledged)} of {options.generations} acknowledged before and after SIGKILL of A; lost: {len(lost)}")
    print(f"submissions: {len(rows)} generations ({options.keys} Idempotency-Keys sent to both instances: "
          f"{'one generation each' if one_each else 'SOME MADE TWO: ' + str(keyed)}); pending after {SETTLE_SECONDS} s: {len(pending)}; "
          f"final state differing from the sandbox's: {len(wrong)}")
    print(f"polls: {sum(retrievals.values())} retrieval calls over {len(retrievals)} generations (at most {max(retrievals.values(), default=0)} "
          f"for one); overlapping retrievals of one generation: {counters['overlapping_retrievals']}; "
          f"callbacks dropped by the sandbox: {counters['callbacks_dropped']}")
    print(f"files: {len(archived)} archived images served by B ({from_database} of them not in its folder: from the database), "
          f"each matching its SHA-256: {not served_wrong}")
    failures = []
    if served_wrong: failures.append(f"images served with other bytes: {served_wrong[:5]}")
    if lost: failures.append(f"acknowledged callbacks lost: {lost[:5]}")
    if not one_each: failures.append("an Idempotency-Key made two generations")
    if pending: failures.append(f"generations never settled: {pending[:5]}")
    if wrong: failures.append(f"generations in a state the sandbox does not say: {wrong[:5]}")
    if counters['overlapping_retrievals'] != 0: failures.append(f"polled twice at once: {counters['overlapping_generations']}")
    if failures:
        sys.exit("; ".join(failures) + f" (logs in {work})")
    print("ok: two instances, one killed: nothing acknowledged lost, every generation settled as the sandbox says, no poll twice at once")


if __name__ == "__main__":
    main()
