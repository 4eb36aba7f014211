"""Waiting with a deadline: for a condition, for ports that accept, for a line in a log, for a URL that answers 200."""

import re
import socket
import sys
import time
import urllib.request


def wait_for(predicate, timeout, what):
    """The first truthy value of `predicate`, asked every 50 ms; exits naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    sys.exit(f"FAIL: timed out waiting for {what}")


def within(predicate, timeout):
    """Whether `predicate` comes true within `timeout` seconds (asked every 50 ms); the caller reports it if not."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def ports_accept(ports, process, timeout=120, connect_timeout=5):
    """Whether each of `ports` of 127.0.0.1, one after the other, accepted a connection within `timeout` seconds;
    False as soon as `process` has exited."""
    waiting = list(ports)
    if not waiting:
        return True
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", waiting[0]), timeout=connect_timeout):
                waiting.pop(0)
            if not waiting:
                return True
        except OSError:
            time.sleep(0.05)
    return False


def wait_for_port(port, process, timeout=120):
    """Returns once 127.0.0.1:`port` accepts a connection; exits when `process` ends or `timeout` seconds pass first
    (120 by default: a debug build starting on a loaded machine is slow, not failed)."""
    if not ports_accept([port], process, timeout, connect_timeout=1):
        raise SystemExit(f"port {port} never answered")


def first_match(path, pattern, process, timeout, interval=0.05):
    """The first match of `pattern` in a line of the file `path` as `process` writes it (the whole line is the
    match's `.string`); None once `process` has exited without writing one, or after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    expression = re.compile(pattern)
    while time.monotonic() < deadline:
        with open(path, errors="replace") as log:
            for line in log:
                found = expression.search(line)
                if found:
                    return found
        if process.poll() is not None:
            return None
        time.sleep(interval)
    return None


def answers_200(url, timeout):
    """Whether GET `url` answers 200 now; False when it cannot connect, or answers an error."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False
