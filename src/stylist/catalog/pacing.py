"""Politeness shared by every crawl of a fleet: one request-rate cap per host, kept in the catalog's database.

A crawl spaces its requests to a host by its delay (fetch.HostGate), but crawls run as jobs on several
workers at once, and many Shopify shops serve their images from one CDN host: each crawl being polite on
its own would still add up. `SharedHostGate` reserves each request's time slot in the `host_pacing` table
(one row per host: when its next request may go), in a transaction that holds the row, so crawls in any
process on any machine take turns. Times are the database's clock on PostgreSQL, so machines' clocks need
not agree; on SQLite (one machine) they are this machine's.
"""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import Connection, Engine, func, select, update

from stylist.catalog.fetch import HostGate
from stylist.catalog.tables import host_pacing
from stylist.databases import insert_or_update, writing


class SharedHostGate(HostGate):
    """A HostGate whose slots every process sharing the database respects."""

    def __init__(self, engine: Engine, delay: float):
        super().__init__(delay)
        self.engine = engine
        self._paused: set[str] = set()  # hosts a Retry-After paused: they are waited for even without a delay
        self._pending: set[asyncio.Future] = set()  # pauses being written to the database

    async def wait(self, host: str) -> None:
        if self.delay <= 0 and host not in self._paused:
            return  # no cap to keep (a crawl with --delay 0, against a shop of one's own)
        # One reservation at a time per host in this process; the database orders processes among themselves.
        lock = self._locks.setdefault(host, asyncio.Lock())
        async with lock:
            paused_here = self._next.get(host, 0.0) - time.monotonic()  # a Retry-After this process heard
            if paused_here > 0:
                await asyncio.sleep(paused_here)
            pause = await asyncio.to_thread(self._reserve, host)
            if pause > 0:
                await asyncio.sleep(pause)

    def pause(self, host: str, seconds: float) -> None:
        """A Retry-After: no process asks the host again for `seconds`.

        Called from the crawl's event loop, which must not wait on the database: there the write goes to a
        thread, and this process keeps the pause itself at once (HostGate's own)."""
        self._paused.add(host)
        super().pause(host, seconds)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._push(host, seconds)
            return
        writing_it = loop.run_in_executor(None, self._push, host, seconds)
        self._pending.add(writing_it)  # held until done, so the write is neither collected nor its error lost
        writing_it.add_done_callback(self._pending.discard)

    def _push(self, host: str, seconds: float) -> None:
        with writing(self.engine) as db:
            now = _now(db)
            later = max(_held_row(db, host, now), now + seconds)
            db.execute(update(host_pacing).where(host_pacing.c.host == host).values(next_at=later))

    def _reserve(self, host: str) -> float:
        """Take the host's next slot; how many seconds until it comes."""
        with writing(self.engine) as db:
            now = _now(db)
            start = max(now, _held_row(db, host, now))
            db.execute(update(host_pacing).where(host_pacing.c.host == host).values(next_at=start + self.delay))
        return start - now


def _held_row(db: Connection, host: str, now: float) -> float:
    """The host's next free time, its row made if new and held until the transaction ends."""
    db.execute(insert_or_update(db, host_pacing).values(host=host, next_at=now)
               .on_conflict_do_nothing(index_elements=["host"]))
    query = select(host_pacing.c.next_at).where(host_pacing.c.host == host)
    if db.dialect.name == "postgresql":
        query = query.with_for_update()  # SQLite's BEGIN IMMEDIATE already holds the whole file
    return float(db.execute(query).scalar_one())


def _now(db: Connection) -> float:
    if db.dialect.name == "postgresql":
        return float(db.execute(select(func.extract("epoch", func.clock_timestamp()))).scalar_one())
    return time.time()
