#!/usr/bin/env python3
"""Floods declutterd's public listener with pipelined requests it never reads the answers of, and measures what a
real caller gets meanwhile and afterwards.

Usage: python3 scripts/abuse/pipelined_flood.py [--binary .build/debug/declutterd] [--connections 20]
           [--batch 2000] [--duration 15] [--after 10]

It starts the sandbox and `declutterd serve` on 127.0.0.1 free ports with a temporary database, opens N connections
to the public listener and, every 0.2 s for D seconds, writes on each a batch of K pipelined
`GET /healthz HTTP/1.1` requests (non-blocking: what the socket does not take is kept and sent before the next batch),
never reading a byte. Meanwhile, every 0.5 s, it times GET /healthz on the public and on the local listener from a
fresh connection (5 s timeout), then closes the flood's connections and keeps timing for 10 s. It prints, for each
listener and phase, the median and worst latency, timeouts and other failures, and the daemon's RSS before, at its
peak, and after. Loopback only, bounded in connections, bytes and time; it stops everything it started (the daemon
is killed if its RSS passes --rss-ceiling-mb, and the probe says so). Exits 0 after printing, whatever the figures;
2 when the setup fails.
"""
import argparse, os, socket, sys, time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from lib.daemon import Daemon  # noqa: E402
from lib.probing import Poller, add_common_arguments, summarize  # noqa: E402

REQUEST = b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"


def main():
    parser = argparse.ArgumentParser()
    add_common_arguments(parser)
    parser.add_argument("--connections", type=int, default=20, help="flooding connections (N)")
    parser.add_argument("--batch", type=int, default=2000, help="pipelined requests per batch (K)")
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between batches")
    parser.add_argument("--duration", type=float, default=15, help="seconds of flooding (D)")
    parser.add_argument("--after", type=float, default=10, help="seconds of timing after the flood stops")
    args = parser.parse_args()
    batch = REQUEST * args.batch

    with Daemon(args.binary, rss_ceiling_mb=args.rss_ceiling_mb) as daemon:
        time.sleep(1)
        before = daemon.rss_mb()
        print(f"declutterd {args.binary}: rss {before:.0f} MB before; {args.connections} connections x {args.batch} "
              f"pipelined GET /healthz every {args.interval} s for {args.duration:.0f} s, never read")
        pollers = {"public": Poller(f"{daemon.callbacks}/healthz"), "local": Poller(f"{daemon.local}/healthz")}
        flood = []
        for _ in range(args.connections):
            connection = socket.create_connection(("127.0.0.1", daemon.callbacks_port), timeout=5)
            connection.setblocking(False)
            flood.append([connection, b""])  # the socket, and what of its last batch it has not taken yet
        daemon.sampler.reset_peak()
        for poller in pollers.values():
            poller.phase = "flood"
            poller.start()
        sent = ticks = 0
        closed_at = []  # seconds into the flood at which a send found the connection closed
        started = time.monotonic()
        next_batch = started
        while time.monotonic() - started < args.duration:
            for entry in flood:
                connection, pending = entry
                if connection is None:
                    continue
                pending = pending or batch
                try:
                    taken = connection.send(pending)
                    sent += taken
                    entry[1] = pending[taken:]
                except BlockingIOError:
                    entry[1] = pending
                except OSError:
                    connection.close()
                    entry[0] = None
                    closed_at.append(time.monotonic() - started)
            ticks += 1
            next_batch += args.interval
            time.sleep(max(0.0, next_batch - time.monotonic()))
        during = daemon.rss_mb()
        for poller in pollers.values():
            poller.phase = "after"
        for connection, _ in flood:
            if connection is not None:
                connection.close()
        time.sleep(args.after)
        for poller in pollers.values():
            poller.stop()
        after = daemon.rss_mb()

        offered = args.connections * args.batch * ticks
        print(f"  flood: {sent // len(REQUEST)} requests written ({sent / 1e6:.1f} MB; {offered} if the daemon had taken every batch); "
              f"{len(closed_at)} of {args.connections} connections closed by the daemon while flooding"
              + (f" (found closed {min(closed_at):.1f} to {max(closed_at):.1f} s in)" if closed_at else ""))
        for phase, label in (("flood", f"during the flood ({args.duration:.0f} s)"), ("after", f"after it ({args.after:.0f} s)")):
            for name, poller in pollers.items():
                print(f"  GET /healthz ({name}) {label}: {summarize(poller.samples.get(phase, []))}")
        print(f"  daemon rss: before {before:.0f} MB, peak {daemon.sampler.peak:.0f} MB, "
              f"at the flood's end {during:.0f} MB, {args.after:.0f} s after {after:.0f} MB")
        print(daemon.report_exit() or "  daemon still running")


if __name__ == "__main__":
    main()
