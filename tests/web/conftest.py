"""The web app over a fresh data dir holding a small crawled catalog, with a worker thread, and users to call it as."""

from __future__ import annotations

import asyncio
import io
import shutil
import threading
from functools import partial

import pytest

from stylist.catalog.crawl import CrawlOptions, crawl_shops
from stylist.catalog.images import ImageStore
from stylist.catalog.store import CatalogStore
from stylist.demo.shop import DemoShop, serve
from stylist.jobs.queue import LOOKS, TRAIN, VIDEO, open_queue
from stylist.progress import Progress
from stylist.settings import Settings
from stylist.worker import handlers
from stylist.worker.handlers import HANDLERS
from stylist.worker.loop import Worker
from tests.jobs import handlers as test_handlers
from tests.people.conftest import variant
from tests.web import fake_pipelines


@pytest.fixture(scope="session")
def catalog_dir(tmp_path_factory):
    """A data dir with a complete crawl of a 12-product offline shop: catalog.db and images/."""
    folder = tmp_path_factory.mktemp("catalog") / "data"
    with serve(DemoShop(n_products=12, seed=0, traps=False)) as url, \
            CatalogStore(folder / "catalog.db", folder / "images") as store:
        report = asyncio.run(crawl_shops([url], store, ImageStore(folder / "images"), CrawlOptions(delay=0.0, concurrency=4)))[0]
    assert report.complete, report.reason
    return folder


@pytest.fixture
def settings(tmp_path, catalog_dir) -> Settings:
    data = tmp_path / "data"
    shutil.copytree(catalog_dir, data)
    return Settings(data_dir=data, preset="tiny", device="cpu")


def jpeg(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def photos() -> list[tuple[str, bytes]]:
    """Three usable photos of one face, not near-duplicates of each other."""
    return [("front.jpg", jpeg(variant((0, 0, 480, 480)))),
            ("closer.jpg", jpeg(variant((100, 0, 420, 400), 1.5, (1.1, 1.0, 0.9)))),
            ("mirrored.jpg", jpeg(variant((20, 0, 512, 460), 1.1, (0.9, 1.0, 1.1), mirror=True)))]


def fast_train(ctx):
    """Training stands in for the real trainer in API tests (tests/identity runs the real one)."""
    ctx.on_progress(Progress("training", 1, 2))
    return {"preset": ctx.settings.preset, "steps": ctx.job.params.get("steps", 2), "final_loss": 0.5, "seconds": 0.0}


@pytest.fixture
def queue(settings):
    opened = open_queue(settings)
    yield opened
    opened.close()


# The real handlers over quick stand-in pipelines, through the handlers' own seam: the real pipelines load
# torch and the whole model stack, seconds that API tests do not need (tests/jobs runs the real ones).
STAND_INS = {**HANDLERS, **test_handlers.HANDLERS, TRAIN: fast_train,
             LOOKS: partial(handlers.looks, make_look=fake_pipelines.style),
             VIDEO: partial(handlers.video, make_spin=fake_pipelines.make_spin)}


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


def create(settings, queue, **config):
    from stylist.web.app import create_app

    application = create_app(settings, queue, **config)
    application.testing = True
    return application


@pytest.fixture
def client(app):
    return app.test_client()


def add_user(client, photos, name="Ada"):
    """POST /api/users with the photos; (user id, headers with its token)."""
    files = [(io.BytesIO(data), n) for n, data in photos]
    answer = client.post("/api/users", data={"name": name, "consent": "true", "photos": files},
                         content_type="multipart/form-data")
    assert answer.status_code == 201, answer.json
    return answer.json["id"], {"Authorization": f"Bearer {answer.json['token']}"}
