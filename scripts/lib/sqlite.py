"""A SQLite store written and read behind the daemon's back: its timestamps, STARTING generations with known callback
tokens seeded, and reads on a read-only connection."""

import base64
import datetime
import os
import sqlite3

from .callbacks import token_hash


def stamp(moment):
    """`moment` (aware, UTC) as the store writes timestamps: 2025-01-02T03:04:05.678Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def seed(database, tokens, endpoint_url):
    """`tokens`' generations, STARTING, tracked, not due for a poll before tomorrow (the schema must exist); and a
    webhook endpoint at `endpoint_url` when given."""
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    db = sqlite3.connect(database)
    db.executemany(
        "INSERT INTO generations (generation_id, kind, status, callback_token_hash, created_at, submitted_at, updated_at, next_poll_at, version) "
        "VALUES (?, 'tracked', 'STARTING', ?, ?, ?, ?, ?, 1)",
        ((f"00000000-0000-4000-8000-{n:012d}", token_hash(token), now, now, now, later)
         for n, token in enumerate(tokens)))
    if endpoint_url:
        secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
        db.execute("INSERT INTO endpoints (url, secret, created_at, updated_at) VALUES (?, ?, ?, ?)", (endpoint_url, secret, now, now))
    db.commit()
    db.close()


def rows(database, sql):
    """Every row `sql` reads, on a read-only connection."""
    db = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def count(database, sql):
    """The first column of the first row `sql` reads (a count), on a read-only connection."""
    db = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return db.execute(sql).fetchone()[0]
    finally:
        db.close()
