"""The request-rate cap per host holds across crawls in different processes and machines: they share slots
through the catalog's database."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time

import pytest

from stylist.catalog.pacing import SharedHostGate
from stylist.catalog.store import CatalogStore
from stylist.databases import engine_for
from stylist.settings import Settings

DELAY = 0.3


@pytest.fixture
def engine(data_dir, database):
    settings = Settings(data_dir=data_dir, preset="tiny", device="cpu", database=database)
    CatalogStore(settings).close()  # creates the catalog's tables, host_pacing among them
    return engine_for(settings, "catalog")


def requests_from_two_crawls(engine, host: str, each: int) -> list[float]:
    """Two crawls, each in its own thread and event loop with its own gate (as two workers would be), asking
    `host` `each` times as fast as their gates let them; when each request was let through."""
    times: list[float] = []

    def crawl() -> None:
        gate = SharedHostGate(engine, DELAY)

        async def ask() -> None:
            for _ in range(each):
                await gate.wait(host)
                times.append(time.monotonic())

        asyncio.run(ask())

    crawls = [threading.Thread(target=crawl) for _ in range(2)]
    for thread in crawls:
        thread.start()
    for thread in crawls:
        thread.join()
    return sorted(times)


def test_two_crawls_of_one_host_share_its_delay(engine):
    times = requests_from_two_crawls(engine, "cdn.shopify.com", 3)
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert len(times) == 6 and min(gaps) >= DELAY * 0.9, gaps  # one request per delay, not one per crawl


def test_a_retry_after_pauses_the_host_for_every_crawl(engine):
    SharedHostGate(engine, DELAY).pause("shop.example", 1.0)
    started = time.monotonic()
    asyncio.run(SharedHostGate(engine, DELAY).wait("shop.example"))
    assert time.monotonic() - started >= 0.9


def test_a_retry_after_heard_inside_a_crawl_reaches_the_other_crawls(engine):
    async def crawl_hears_retry_after() -> None:
        SharedHostGate(engine, DELAY).pause("busy.example", 1.0)  # from the event loop, as fetch.py calls it
        await asyncio.sleep(0.3)  # the write goes on in a thread meanwhile

    asyncio.run(crawl_hears_retry_after())
    started = time.monotonic()
    asyncio.run(SharedHostGate(engine, DELAY).wait("busy.example"))
    assert time.monotonic() - started >= 0.5  # what was left of the second
