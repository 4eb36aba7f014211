"""What the Python scripts under scripts/ share. No script imports another script: each puts scripts/ on its path
and imports from here.

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))                   # a script in scripts/
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # one in scripts/bench/, scripts/abuse/
    from lib import ports, waiting  # noqa: E402

- paths: the repository's root and the binaries `swift build` makes there
- ports: a free port on 127.0.0.1
- waiting: waiting with a deadline, for a condition, ports that accept, a line in a log, a URL that answers 200
- processes: stopping child processes; their CPU time and memory from /proc, sampled with a ceiling; the descriptor
  limit; the tail of a log
- daemon: `declutterd serve` (its environment; started and waited for), the sandbox, the daemon's /metrics, a store
  prepared for a benchmark, and the abuse probes' harness (the sandbox and serve on free ports, their memory watched)
- callbacks: the SUCCEEDED callback body, callback tokens and their hashes, callbacks paced at a rate
- wrk: wrk runs and their parsed output, and the Lua script that POSTs one SUCCEEDED callback per token
- figures: percentiles, ratios, sequential timed GETs
- sqlite: a SQLite store written and read behind the daemon's back
- postgres: PostgreSQL databases on the test server (scripts/with-postgres.sh), psql, seeding and checking them
- probing: the abuse probes' common options and their timed requests
"""
