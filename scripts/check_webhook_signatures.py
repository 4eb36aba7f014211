#!/usr/bin/env python3
"""Checks declutterd's webhooks with an independent implementation: the `standardwebhooks` package (the
Standard Webhooks reference library for Python).

It starts the sandbox, `declutterd serve` and a receiver (all on 127.0.0.1, ports the kernel picks), registers
the receiver as an endpoint, submits generations, and verifies every delivery the receiver gets with
`standardwebhooks.Webhook(secret).verify(body, headers)`. Then it rotates the endpoint's secret, submits more,
and checks that deliveries made during the overlap carry two signatures and verify with the old secret and the
new one alike. A delivery with its body changed must fail verification (the check can fail).

Usage: scripts/check_webhook_signatures.py [path/to/declutterd]   (default .build/debug/declutterd)
Exits 0 when every check holds, 1 otherwise, 2 when the processes do not start.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import standardwebhooks
from standardwebhooks.webhooks import WebhookVerificationError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import daemon, paths  # noqa: E402
from lib.ports import free_port  # noqa: E402
from lib.waiting import first_match, wait_for  # noqa: E402

FINAL = {"generation.succeeded", "generation.failed", "generation.rejected", "generation.lost"}


class Receiver(BaseHTTPRequestHandler):
    """Records every POST (headers and raw body) and answers 204."""

    received = []
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        with Receiver.lock:
            Receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def call(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"content-type": "application/json"} if data else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read()
        return json.loads(text) if text else None


def deliveries():
    with Receiver.lock:
        return list(Receiver.received)


def finals_of(received):
    return {json.loads(body)["data"]["id"] for _, body in received if json.loads(body)["type"] in FINAL}


def archived_of(received):
    """Generations whose archive has settled: their generation.archived comes after their final message."""
    return {json.loads(body)["data"]["id"] for _, body in received if json.loads(body)["type"] == "generation.archived"}


def generation_of(body):
    return json.loads(body).get("data", {}).get("id")


def settled(ids, received):
    """Every message of these generations is in: the final one, and for a SUCCEEDED one its generation.archived."""
    succeeded = {json.loads(body)["data"]["id"] for _, body in received if json.loads(body)["type"] == "generation.succeeded"}
    return set(ids) <= finals_of(received) and (succeeded & set(ids)) <= archived_of(received)


def main():
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else paths.declutterd("debug"))
    work = tempfile.mkdtemp(prefix="declutterd-webhooks.")
    processes = []
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        sandbox_out = os.path.join(work, "sandbox.out")
        with open(sandbox_out, "w") as out:
            sandbox = subprocess.Popen([binary, "sandbox", "--port", "0", "--seed", "7", "--quota", "1000",
                                        "--start-ms", "50", "--min-completion-ms", "100", "--max-completion-ms", "300"],
                                       stdout=out, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        processes.append(sandbox)
        found = first_match(sandbox_out, r"^sandbox listening on ", sandbox, 120, interval=0.1)
        if not found:
            print("the sandbox did not start", file=sys.stderr)
            return 2
        line = found.string
        sandbox_url, api_key, user_id = re.match(r"sandbox listening on (\S+) api_key=(\S+) user_id=(\S+)", line).groups()

        callbacks_port = free_port()
        serve_err = os.path.join(work, "serve.err")
        settings = {
            # Quick retries, over long enough (about 40 s) that a receiver slow to answer on a loaded machine does not
            # fail a message for good (then its batch would never settle).
            "DECLUTTERD_NOTIFY_RETRY_SCHEDULE": "0s, 1s, 2s, 5s, 10s, 20s",
            # A callback the sandbox gave up on (it waits 10 s, and never retries) is polled for instead of after the
            # default 10 minutes; callbacks come within a second, so polls only rescue a lost one.
            "DECLUTTERD_POLLING_CALLBACK_GRACE": "10s",
            "DECLUTTERD_POLLING_INITIAL_INTERVAL": "2s",
            "DECLUTTERD_POLLING_MAX_INTERVAL": "5s",
        }
        environment = daemon.environment(work, os.path.join(work, "declutterd.sqlite"), callbacks_port, 0, api_key=api_key,
                                         user_id=user_id, upstream=sandbox_url, log_level=None, extra=settings)
        with open(serve_err, "w") as err:
            serve = subprocess.Popen([binary, "serve"], env=environment, stdout=subprocess.DEVNULL, stderr=err,
                                     stdin=subprocess.DEVNULL)
        processes.append(serve)
        ready = first_match(serve_err, r" local=\S+.* ready( |$)|: ready .* local=", serve, 120, interval=0.1)
        if not ready:
            print("declutterd serve did not become ready:\n" + open(serve_err).read(), file=sys.stderr)
            return 2
        base = "http://" + re.search(r" local=(?:http://)?(\S+)", ready.string).group(1)

        # Given an endpoint for the receiver
        endpoint = call(base, "POST", "/v1/endpoints", {"url": f"http://127.0.0.1:{receiver.server_port}/hooks"})
        first_secret = endpoint["secret"]
        assert first_secret.startswith("whsec_"), "the secret is whsec_..."

        # When generations run to their end
        def submit(count):
            ids = [call(base, "POST", "/v1/generations", {"image_url": f"https://example.com/room-{time.time_ns()}-{n}.jpg",
                                                          "auto": True})["id"] for n in range(count)]
            # Their last messages too (generation.archived comes after the final one), so that none of this batch is
            # still on its way when the secret is rotated.
            wait_for(lambda: settled(ids, deliveries()), 120, f"the last messages of generations {ids}")
            return ids

        submit(3)
        before_rotation = deliveries()
        failures = []
        # The check can fail: a changed body does not verify.
        headers, body = before_rotation[-1]
        try:
            standardwebhooks.Webhook(first_secret).verify(body.replace(b"generation", b"generatiom"), headers)
            failures.append("a changed body verified")
        except WebhookVerificationError:
            pass

        # When the secret is rotated and more generations run
        rotated = call(base, "POST", f"/v1/endpoints/{endpoint['id']}/rotate-secret")
        second_secret = rotated["secret"]
        assert second_secret != first_secret
        second_batch = submit(2)

        # Sorted by generation, not by when they arrived: every message of the second batch was made after the
        # rotation, so during the overlap; one of the first batch may arrive late (several attempts are in flight
        # at once, and a retry may follow an attempt that did arrive) and then carries one signature or two, so
        # it is only held to the first secret, which signs throughout the overlap.
        received = deliveries()
        overlap = [(headers, body) for headers, body in received if generation_of(body) in second_batch]
        earlier = [(headers, body) for headers, body in received if generation_of(body) not in second_batch]
        for headers, body in received:
            if headers.get("content-type") != "application/json" or not headers.get("user-agent", "").startswith("declutterd/"):
                failures.append(f"{headers.get('webhook-id')}: headers {headers}")
        for headers, body in earlier:
            try:
                standardwebhooks.Webhook(first_secret).verify(body, headers)
            except WebhookVerificationError as error:
                failures.append(f"{headers.get('webhook-id')}: {error}")
        for headers, body in overlap:
            signatures = headers.get("webhook-signature", "").split(" ")
            if len(signatures) != 2:
                failures.append(f"{headers.get('webhook-id')}: {len(signatures)} signatures during the overlap")
            for secret in (first_secret, second_secret):
                try:
                    standardwebhooks.Webhook(secret).verify(body, headers)
                except WebhookVerificationError as error:
                    failures.append(f"{headers.get('webhook-id')} after rotation: {error}")

        version = __import__("importlib.metadata").metadata.version("standardwebhooks")
        print(f"standardwebhooks {version}: {len(earlier)} deliveries verified with the first secret, "
              f"{len(overlap)} during the rotation overlap with both secrets")
        if failures:
            print("FAIL:\n  " + "\n  ".join(failures))
            return 1
        print("ok: every delivery verifies with the reference implementation")
        return 0
    finally:
        receiver.shutdown()
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    sys.exit(main())
