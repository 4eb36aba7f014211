#!/usr/bin/env python3
"""Has M connections ask declutterd's public listener for an uploaded photo (about 40 MB) at its capability URL and
never read the answer, and measures the daemon's memory and what real callers get meanwhile.

Usage: python3 scripts/abuse/slow_readers.py [--binary .build/debug/declutterd] [--connections 300] [--hold 40]
           [--megabytes 40]

It starts the sandbox (with --fetch-inputs, so that it fetches each photo it is given, as the service does, and
lists the URL under `inputs_fetched` in GET /sandbox/counters) and `declutterd serve` on 127.0.0.1 free ports with
a temporary database and the public listener as its public base URL. It uploads a generated PNG (a real signature
and IHDR header, random bytes after) to POST /v1/generations, takes the capability URL `/inputs/{token}.png` the
sandbox was given, then opens M connections that each send `GET` of that URL and never read. While they are held
(H seconds) it times, five times, a callback POST (an unknown token: a 404 is an answer), GET /healthz on the
public listener and on the local one; then it counts the sockets the daemon still holds (from /proc) and the bytes
waiting unread in this side's buffers, closes them, and prints the daemon's RSS before, at its peak and after. Loopback
only, bounded in connections and time; it stops everything it started (the daemon is killed if its RSS passes
--rss-ceiling-mb, and the probe says so). Exits 0 after printing, whatever the figures; 2 when the setup fails.
"""
import argparse, array, fcntl, json, os, socket, struct, sys, termios, time, urllib.parse, zlib

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from lib.daemon import Daemon, SetupError  # noqa: E402
from lib.probing import add_common_arguments, json_request, request, summarize, timed, timed_get  # noqa: E402
from lib.processes import raise_descriptor_limit  # noqa: E402

TCP_STATES = {1: "established", 7: "closed", 8: "closed by the daemon"}


def png_of(size):
    """`size` bytes that the daemon's upload checks take for a PNG: signature, an IHDR chunk, then random bytes."""
    header = struct.pack(">IIBBBBB", 4000, 3000, 8, 2, 0, 0, 0)
    ihdr = struct.pack(">I", len(header)) + b"IHDR" + header + struct.pack(">I", zlib.crc32(b"IHDR" + header))
    head = b"\x89PNG\r\n\x1a\n" + ihdr
    return head + os.urandom(max(0, size - len(head)))


def tcp_state(connection):
    info = connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)
    return TCP_STATES.get(info[0], f"state {info[0]}")


def unread_bytes(connection):
    waiting = array.array("i", [0])
    fcntl.ioctl(connection.fileno(), termios.FIONREAD, waiting)
    return waiting[0]


def main():
    parser = argparse.ArgumentParser()
    add_common_arguments(parser)
    parser.add_argument("--connections", type=int, default=300, help="slow readers (M)")
    parser.add_argument("--hold", type=float, default=40, help="seconds the readers are held (H)")
    parser.add_argument("--megabytes", type=float, default=40, help="size of the uploaded photo")
    parser.add_argument("--max-rss-mb", type=float, default=0,
                        help="as a check (.ci/run): exit 1 when the daemon's peak RSS passes this (0: only print)")
    parser.add_argument("--max-answer-ms", type=float, default=0,
                        help="as a check: exit 1 when a callback or /healthz meanwhile took longer, or failed (0: only print)")
    args = parser.parse_args()
    raise_descriptor_limit()

    sandbox_args = ["--fetch-inputs", "--min-completion-ms", "600000", "--max-completion-ms", "600000"]
    with Daemon(args.binary, sandbox_args=sandbox_args, public_base_url=True, rss_ceiling_mb=args.rss_ceiling_mb) as daemon:
        photo = png_of(int(args.megabytes * 1e6))
        started = time.monotonic()
        try:
            status, body = request("POST", f"{daemon.local}/v1/generations?auto=true", body=photo,
                                   headers={"Content-Type": "image/png"}, timeout=120)
            _, counters = json_request("GET", f"{daemon.sandbox_url}/sandbox/counters")
        except OSError as error:
            raise SetupError(f"the upload failed: {error}") from error
        if status != 202:
            raise SetupError(f"the upload answered {status}: {body[:300]!r}")
        print(f"declutterd {args.binary}: uploaded a {len(photo) / 1e6:.1f} MB PNG in {time.monotonic() - started:.1f} s")
        del photo
        fetched = (counters or {}).get("inputs_fetched") or []
        if not fetched:
            raise SetupError(f"the sandbox fetched no input: {counters}")
        url = fetched[0]["url"]
        path = urllib.parse.urlsplit(url).path
        status, _ = request("HEAD", url)
        print(f"  the sandbox fetched {fetched[0]['bytes']} bytes from {path[:16]}….png; HEAD answers {status}")
        time.sleep(1)
        before, sockets_before = daemon.rss_mb(), daemon.open_sockets()
        daemon.sampler.reset_peak()
        ask = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{daemon.callbacks_port}\r\n\r\n".encode()
        held = []
        started = time.monotonic()
        for _ in range(args.connections):
            try:
                connection = socket.create_connection(("127.0.0.1", daemon.callbacks_port), timeout=5)
                connection.sendall(ask)
                held.append(connection)
            except OSError as error:
                print(f"  connect failed after {len(held)}: {error}")
                break
        opened = time.monotonic()
        print(f"  rss {before:.0f} MB before; {len(held)} readers asked for it in {opened - started:.1f} s, reading nothing")

        probes = {"POST /callbacks/{unknown} (public)": [], "GET /healthz (public)": [], "GET /healthz (local)": []}
        callback = json.dumps({"status": "PROCESSING"}).encode()
        for round_number in range(5):
            time.sleep(max(0.0, opened + (round_number + 1) * args.hold / 6 - time.monotonic()))
            token = os.urandom(16).hex()
            probes["POST /callbacks/{unknown} (public)"].append(
                timed("POST", f"{daemon.callbacks}/callbacks/{token}", body=callback, headers={"Content-Type": "application/json"}))
            probes["GET /healthz (public)"].append(timed_get(f"{daemon.callbacks}/healthz"))
            probes["GET /healthz (local)"].append(timed_get(f"{daemon.local}/healthz"))
            print(f"    {time.monotonic() - opened:4.1f} s: daemon rss {daemon.rss_mb():.0f} MB")
        time.sleep(max(0.0, opened + args.hold - time.monotonic()))
        states = {}
        waiting = 0
        for connection in held:
            try:
                state = tcp_state(connection)
                waiting += unread_bytes(connection)
            except OSError as error:
                state = f"error {error.errno}"
            states[state] = states.get(state, 0) + 1
        held_rss, sockets_held = daemon.rss_mb(), daemon.open_sockets()
        for connection in held:
            connection.close()
        time.sleep(3)
        after = daemon.rss_mb()

        for label, timings in probes.items():
            print(f"  {label} while held: {summarize(timings, ok_statuses=(200, 404))}")
        print(f"  after {args.hold:.0f} s the daemon held {sockets_held - sockets_before} sockets more than before the readers; "
              "theirs, on this side: " + ", ".join(f"{count} {state}" for state, count in sorted(states.items()))
              + f"; {waiting / 1e6:.1f} MB waiting unread on this side")
        print(f"  daemon rss: before {before:.0f} MB, peak {daemon.sampler.peak:.0f} MB, at the end of the hold "
              f"{held_rss:.0f} MB, 3 s after closing {after:.0f} MB")
        print(daemon.report_exit() or "  daemon still running")
        return check(args, daemon.sampler.peak, probes)


def check(args, peak_rss, probes):
    """With --max-rss-mb / --max-answer-ms: 1 (and what failed) when a bound was passed, else 0."""
    failures = []
    if args.max_rss_mb and peak_rss > args.max_rss_mb:
        failures.append(f"peak RSS {peak_rss:.0f} MB is above {args.max_rss_mb:.0f} MB")
    if args.max_answer_ms:
        for label, timings in probes.items():
            for seconds, status, error in timings:
                if error is not None or status not in (200, 404) or 1000 * seconds > args.max_answer_ms:
                    failures.append(f"{label}: {error or status} in {1000 * seconds:.0f} ms (bound {args.max_answer_ms:.0f} ms)")
    for failure in failures:
        print(f"  CHECK FAILED: {failure}")
    if (args.max_rss_mb or args.max_answer_ms) and not failures:
        print("  check passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
