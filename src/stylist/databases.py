"""SQLite files that several processes open at once: the catalog, the people and the jobs."""

from __future__ import annotations

import sqlite3
import time

BUSY_SECONDS = 30.0  # how long a connection waits for another's write before it gives up


def use_wal(db: sqlite3.Connection, timeout: float = BUSY_SECONDS) -> None:
    """Put the file in write-ahead-log mode (readers never wait for a writer), once for good.

    Switching needs the file to itself, and SQLite answers "database is locked" at once rather than waiting
    when another connection is writing (two requests opening a new data directory together, one of them
    creating its tables). A file already in WAL mode says so without any lock, so the switch is tried
    until it is done or `timeout` has passed.
    """
    deadline = time.monotonic() + timeout
    while db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        try:
            db.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
