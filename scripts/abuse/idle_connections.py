#!/usr/bin/env python3
"""Holds N idle TCP connections on declutterd's public listener and measures what a real caller gets meanwhile.

Usage: python3 scripts/abuse/idle_connections.py [--binary .build/debug/declutterd] [--connections 19000]

It starts the sandbox and `declutterd serve` on 127.0.0.1 free ports with a temporary database, opens the
connections (each sends nothing), then, while they are held, times GET /healthz on the public and the local
listener and one POST of a callback, and reads the daemon's resident memory. Loopback only; it stops
everything it started. The number of connections is bounded by this process's descriptor limit.
"""
import argparse, json, os, re, resource, signal, socket, subprocess, tempfile, time, urllib.request


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def timed(label, call):
    started = time.monotonic()
    try:
        result = call()
    except Exception as error:  # noqa: BLE001 - the point is to report it
        result = f"failed: {type(error).__name__}: {error}"
    print(f"  {label}: {result} in {1000 * (time.monotonic() - started):.1f} ms")


def get(url):
    with urllib.request.urlopen(url, timeout=5) as answer:
        return answer.status


def post(url, body):
    request = urllib.request.Request(url, data=body.encode(), method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/debug/declutterd")
    parser.add_argument("--connections", type=int, default=19000)
    parser.add_argument("--daemon-fd-limit", type=int, default=0,
                        help="the daemon's descriptor limit (0: inherit); below --connections it shows what running out does")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    count = min(args.connections, hard - 100)

    scratch = tempfile.mkdtemp(prefix="declutterd-abuse-")
    sandbox = subprocess.Popen([args.binary, "sandbox", "--port", "0"], stdout=subprocess.PIPE, text=True)
    line = sandbox.stdout.readline()
    match = re.search(r"listening on (\S+) api_key=(\S+) user_id=(\S+)", line)
    base, key, user = match.groups()
    environment = dict(os.environ, DECLUTTERD_API_KEY=key, DECLUTTERD_UPSTREAM_USER_ID=user, DECLUTTERD_UPSTREAM_BASE_URL=base,
                       DECLUTTERD_DATABASE_PATH=f"{scratch}/declutterd.sqlite", DECLUTTERD_CALLBACKS_LISTEN="127.0.0.1:0",
                       DECLUTTERD_LOCAL_LISTEN="127.0.0.1:0", DECLUTTERD_CALLBACKS_PUBLIC_BASE_URL="http://127.0.0.1:9")
    def limit_descriptors():
        if args.daemon_fd_limit:
            resource.setrlimit(resource.RLIMIT_NOFILE, (args.daemon_fd_limit, args.daemon_fd_limit))
    serve = subprocess.Popen([args.binary, "serve"], env=environment, stderr=subprocess.PIPE, text=True, preexec_fn=limit_descriptors)
    callbacks = local = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (callbacks and local):
        text = serve.stderr.readline()
        found = re.search(r"callbacks=(\S+).*local=(\S+)", text)
        if found:
            callbacks, local = found.groups()
    port = int(callbacks.rsplit(":", 1)[1])
    try:
        print(f"declutterd {args.binary}: rss {rss_mb(serve.pid):.0f} MB before; holding {count} idle connections")
        held = []
        started = time.monotonic()
        for _ in range(count):
            try:
                held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
            except OSError as error:
                print(f"  connect failed after {len(held)}: {error}")
                break
        print(f"  opened {len(held)} in {time.monotonic() - started:.1f} s; daemon rss {rss_mb(serve.pid):.0f} MB")
        time.sleep(2)
        timed("GET /healthz (public)", lambda: get(f"{callbacks}/healthz"))
        timed("GET /healthz (local)", lambda: get(f"{local}/healthz"))
        timed("GET /v1/stats (local)", lambda: get(f"{local}/v1/stats"))
        timed("POST /callbacks/unknown (public)", lambda: post(f"{callbacks}/callbacks/abc", json.dumps({"status": "PROCESSING"})))
        still_open = 0
        for connection in held:
            connection.setblocking(False)
            try:
                still_open += 0 if connection.recv(1) == b"" else 1
            except BlockingIOError:
                still_open += 1
            except OSError:
                pass
        print(f"  of {len(held)} held, {still_open} still open on the daemon's side; daemon rss {rss_mb(serve.pid):.0f} MB")
        for connection in held:
            connection.close()
        time.sleep(2)
        print(f"  released; daemon rss {rss_mb(serve.pid):.0f} MB")
    finally:
        serve.send_signal(signal.SIGTERM)
        sandbox.send_signal(signal.SIGTERM)
        serve.wait(timeout=30)
        sandbox.wait(timeout=30)


if __name__ == "__main__":
    main()
