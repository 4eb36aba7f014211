"""PostgreSQL for the scripts: a fresh database on the server DECLUTTERD_TEST_POSTGRES names (scripts/with-postgres.sh
starts a throwaway one), statements through psql, and generations seeded as the SQLite scripts seed them."""

import datetime
import os
import subprocess
import uuid

from .callbacks import token_hash


def server_url():
    url = os.environ.get("DECLUTTERD_TEST_POSTGRES")
    if not url:
        raise SystemExit("DECLUTTERD_TEST_POSTGRES is not set: run this under scripts/with-postgres.sh")
    return url


def psql(url, sql, stdin=None):
    """Runs `sql` (psql -At): the rows, each a list of text fields."""
    output = subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qAt", "-F", "\t", "-c", sql], input=stdin,
                            capture_output=True, text=True, check=True).stdout
    return [line.split("\t") for line in output.splitlines() if line]


def fresh_database(prefix="declutterd"):
    """A new, empty database on the test server: its URL."""
    server = server_url()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    psql(server, f"CREATE DATABASE {name}")
    return server.rsplit("/", 1)[0] + "/" + name


def seed(url, tokens):
    """`tokens`' generations, STARTING, tracked, not due for a poll before tomorrow (the schema must exist)."""
    now = datetime.datetime.now(datetime.timezone.utc).isoformat()
    later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)).isoformat()
    rows = "".join(f"00000000-0000-4000-8000-{n:012d}\ttracked\tSTARTING\t{token_hash(token)}"
                   f"\t{now}\t{now}\t{now}\t{later}\t1\n" for n, token in enumerate(tokens))
    subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-q", "-c",
                    "\\copy generations (generation_id, kind, status, callback_token_hash, created_at, submitted_at, updated_at, "
                    "next_poll_at, version) FROM STDIN"], input=rows, text=True, check=True, capture_output=True)


def not_kept(url, tokens):
    """The tokens among `tokens` whose generation is not SUCCEEDED with exactly one applied callback event: callbacks
    answered 204 that the database does not hold."""
    kept = {row[0] for row in psql(url, "SELECT callback_token_hash FROM generations g WHERE status = 'SUCCEEDED' AND (SELECT count(*) "
                                        "FROM events e WHERE e.generation = g.id AND e.source = 'callback' AND e.outcome = 'applied') = 1")}
    return [token for token in tokens if token_hash(token) not in kept]
