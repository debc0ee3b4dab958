"""One crawl of a shop at a time, whichever way it was started: a crawl job on a worker, `catalog crawl` or a
plain `catalog refresh` on any machine. Two crawls of one shop would each mark the other's run aborted and
settle availability from half the pages.

On PostgreSQL the lock is an advisory lock of the session that runs the crawl, so it is the fleet's and goes
away with a crawl whose process dies; on SQLite (one machine) it is an exclusive lock on a file in the data
dir, which the system also lets go when its process dies.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from stylist.errors import StylistError
from stylist.settings import Settings


@contextmanager
def crawl_lock(settings: Settings, engine, host: str) -> Iterator[None]:
    """Hold the shop's crawl lock for the block, or raise StylistError at once when another crawl holds it."""
    busy = StylistError(f"{host} is being crawled elsewhere (a crawl job, or another `catalog crawl`); "
                        "try again when that crawl ends")
    if settings.database:
        with engine.connect() as session:
            key = {"key": f"stylist crawl {host}"}
            if not session.execute(text("SELECT pg_try_advisory_lock(hashtext(:key))"), key).scalar():
                raise busy
            try:
                yield
            finally:
                session.execute(text("SELECT pg_advisory_unlock(hashtext(:key))"), key)
                session.commit()
        return
    folder = settings.data_dir / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"crawl-{host.replace(':', '_')}.lock", "a") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise busy from None
        yield
