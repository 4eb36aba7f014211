#!/usr/bin/env python3
"""Holds N idle TCP connections on declutterd's public listener and measures what a real caller gets meanwhile.

Usage: python3 scripts/abuse/idle_connections.py [--binary .build/debug/declutterd] [--connections 19000]

It starts the sandbox and `declutterd serve` on 127.0.0.1 free ports with a temporary database, opens the
connections (each sends nothing), then, while they are held, times GET /healthz on the public and the local
listener and one POST of a callback, and reads the daemon's resident memory. Loopback only; it stops
everything it started. The number of connections is bounded by this process's descriptor limit.
"""
import argparse, json, os, resource, socket, sys, time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from lib.daemon import Daemon  # noqa: E402
from lib.probing import add_common_arguments, describe_timing, timed, timed_get  # noqa: E402
from lib.processes import raise_descriptor_limit  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    add_common_arguments(parser)
    parser.add_argument("--connections", type=int, default=19000)
    parser.add_argument("--daemon-fd-limit", type=int, default=0,
                        help="the daemon's descriptor limit (0: inherit); below --connections it shows what running out does")
    args = parser.parse_args()
    hard = raise_descriptor_limit()
    count = min(args.connections, hard - 100)

    def limit_descriptors():
        if args.daemon_fd_limit:
            resource.setrlimit(resource.RLIMIT_NOFILE, (args.daemon_fd_limit, args.daemon_fd_limit))
    with Daemon(args.binary, preexec_fn=limit_descriptors, rss_ceiling_mb=args.rss_ceiling_mb) as daemon:
        callbacks, local = daemon.callbacks, daemon.local
        print(f"declutterd {args.binary}: rss {daemon.rss_mb():.0f} MB before; holding {count} idle connections")
        held = []
        started = time.monotonic()
        for _ in range(count):
            try:
                held.append(socket.create_connection(("127.0.0.1", daemon.callbacks_port), timeout=5))
            except OSError as error:
                print(f"  connect failed after {len(held)}: {error}")
                break
        print(f"  opened {len(held)} in {time.monotonic() - started:.1f} s; daemon rss {daemon.rss_mb():.0f} MB")
        time.sleep(2)
        print(describe_timing("GET /healthz (public)", timed_get(f"{callbacks}/healthz")))
        print(describe_timing("GET /healthz (local)", timed_get(f"{local}/healthz")))
        print(describe_timing("GET /v1/stats (local)", timed_get(f"{local}/v1/stats")))
        print(describe_timing("POST /callbacks/unknown (public)",
                              timed("POST", f"{callbacks}/callbacks/abc", body=json.dumps({"status": "PROCESSING"}).encode(),
                                    headers={"Content-Type": "application/json"})))
        still_open = 0
        for connection in held:
            connection.setblocking(False)
            try:
                still_open += 0 if connection.recv(1) == b"" else 1
            except BlockingIOError:
                still_open += 1
            except OSError:
                pass
        print(f"  of {len(held)} held, {still_open} still open on the daemon's side; daemon rss {daemon.rss_mb():.0f} MB")
        for connection in held:
            connection.close()
        time.sleep(2)
        print(f"  released; daemon rss {daemon.rss_mb():.0f} MB")
        print(daemon.report_exit() or "  daemon still running")


if __name__ == "__main__":
    main()
