"""The web app over a fresh data dir holding a small crawled catalog, with a worker thread, and users to call it as."""

from __future__ import annotations

import asyncio
import shutil
import threading

import pytest

from stylist.catalog.crawl import CrawlOptions, crawl_shops
from stylist.catalog.images import ImageStore
from stylist.catalog.store import CatalogStore
from stylist.demo.shop import DemoShop, serve
from stylist.jobs.queue import open_queue
from stylist.settings import Settings
from stylist.worker.loop import Worker
from tests.helpers.photos import variant
from tests.web.app_under_test import create, jpeg
from tests.web.stand_ins import STAND_INS


@pytest.fixture(scope="session")
def catalog_dir(tmp_path_factory):
    """A data dir with a complete crawl of a 12-product offline shop: catalog.db and images/."""
    folder = tmp_path_factory.mktemp("catalog") / "data"
    with serve(DemoShop(n_products=12, seed=0, traps=False)) as url, \
            CatalogStore(Settings(data_dir=folder)) as store:
        report = asyncio.run(crawl_shops([url], store, ImageStore(folder / "images"), CrawlOptions(delay=0.0, concurrency=4)))[0]
    assert report.complete, report.reason
    return folder


@pytest.fixture
def settings(tmp_path, catalog_dir, request) -> Settings:
    """The data dir with its catalog; the people's records on each backend for a test that asks for `database`
    (those about tokens, sizes, picks and deleting), in users.db for the others."""
    database = request.getfixturevalue("database") if "database" in request.fixturenames else None
    data = tmp_path / "data"
    shutil.copytree(catalog_dir, data, dirs_exist_ok=True)  # `database` made the (empty) data dir already
    return Settings(data_dir=data, preset="tiny", device="cpu", database=database)


@pytest.fixture(scope="session")
def photos() -> list[tuple[str, bytes]]:
    """Three usable photos of one face, not near-duplicates of each other."""
    return [("front.jpg", jpeg(variant((0, 0, 480, 480)))),
            ("closer.jpg", jpeg(variant((100, 0, 420, 400), 1.5, (1.1, 1.0, 0.9)))),
            ("mirrored.jpg", jpeg(variant((20, 0, 512, 460), 1.1, (0.9, 1.0, 1.1), mirror=True)))]


@pytest.fixture
def queue(settings):
    opened = open_queue(settings)
    yield opened
    opened.close()


@pytest.fixture
def worker(settings, queue):
    """A worker thread running the real handlers, over quick stand-in pipelines (and training)."""
    runner = Worker(settings, queue, STAND_INS, name="test", lease=5, poll=0.02)
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    yield runner
    runner.stop()
    thread.join(timeout=60)


@pytest.fixture
def app(settings, queue):
    return create(settings, queue)


@pytest.fixture
def client(app):
    return app.test_client()
