"""Figures: percentiles, ratios, and sequential timed GETs."""

import statistics
import time
import urllib.request


def percentile(values, fraction):
    """The value at `fraction` (0.5, 0.99) of the sorted `values`; nan when there are none."""
    return values[min(len(values) - 1, int(len(values) * fraction))] if values else float("nan")


def ratio(part, whole):
    """part / whole, NaN when whole is 0: a one-second smoke run on a loaded machine may complete no request at all,
    and its figures are printed, never judged."""
    return part / whole if whole else float("nan")


def timed_gets(url, requests, headers=None):
    """`requests` GETs of `url`, one after the other, each with `headers` (a dict, e.g. Authorization): the median and
    p95 time (ms), and the size of the last body."""
    times, size = [], 0
    for _ in range(requests):
        request = urllib.request.Request(url, headers=headers or {})
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:
            size = len(response.read())
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95)], size
