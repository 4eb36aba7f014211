"""Callbacks as the service sends them: the SUCCEEDED body, callback tokens and their hashes, and callbacks paced at
a rate."""

import base64
import hashlib
import http.client
import os
import time

SUCCEEDED_BODY = '{"status": "SUCCEEDED", "images": ["https://cdn.example/out.png"]}'


def new_tokens(count):
    """`count` random callback tokens, as the daemon makes them (32 bytes, URL-safe base64 without padding)."""
    return [base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode() for _ in range(count)]


def token_hash(token):
    """What the store keeps of a token (generations.callback_token_hash): its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def paced(port, tokens, rate, seconds):
    """SUCCEEDED callbacks at `rate` per second for `seconds` on one kept-alive connection, taking `tokens` in turn;
    each answer timed (ms), sorted."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)  # slow on a loaded machine, not an error
    body = SUCCEEDED_BODY
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
