"""Fixtures more than one room's tests use: a fresh data directory, one torch thread, a machine without model
weights, photos of a person, a small stored catalog and a user, a PostgreSQL server and real repositories'
layouts. Each room's own fixtures are in its conftest.py; helpers and fakes are plain modules (tests/helpers/)."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import huggingface_hub.constants
import pytest
from PIL import Image
from skimage import data

from stylist.catalog.store import CatalogStore
from stylist.databases import dispose_engines
from stylist.jobs.queue import JOB_KINDS, open_queue
from stylist.people.users import add_user
from stylist.settings import Settings
from tests.helpers.images import png_bomb
from tests.helpers.photos import ASTRONAUT, save, save_sideways, variant
from tests.helpers.postgres_server import postgres_bin, start_postgres
from tests.helpers.small_catalog import GONE, PRODUCTS, Catalog, crawl
from tests.worker import handlers as test_handlers


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    """The tests' tensors are too small to split between threads, and xdist runs one test process per core: a
    second torch thread only waits (it made a tiny AnimateDiff step ten times slower, and a tiny CLIP's
    training four times dearer). Processes the tests start are set with OMP_NUM_THREADS where it matters."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def fresh_engines():
    """Each test's databases are its own: the pooled connections a test opened are closed when it ends."""
    yield
    dispose_engines()


@pytest.fixture(scope="session")
def real_repos(tmp_path_factory):
    """Tiny checkpoints in every real repository's own layout (tests/helpers/real_layouts.py), written once a session."""
    from tests.helpers.real_layouts import write_real_repos

    root = tmp_path_factory.mktemp("real-repos")
    write_real_repos(root)
    return root


@pytest.fixture
def data_dir(tmp_path):
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """HF_HUB_OFFLINE set, an empty Hugging Face cache and an empty STYLIST_MODELS_DIR, which is returned."""
    models_dir = tmp_path / "models"
    models_dir.mkdir()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("STYLIST_MODELS_DIR", str(models_dir))
    # huggingface_hub reads its cache location once, at import; the loader looks it up at each call.
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub-cache"))
    for variable in ("STYLIST_MODEL_STABILITYAI_STABLE_DIFFUSION_XL_BASE_1_0",
                     "STYLIST_MODEL_COMPVIS_STABLE_DIFFUSION_V1_4", "STYLIST_MODEL_H94_IP_ADAPTER"):
        monkeypatch.delenv(variable, raising=False)
    return models_dir


# Made once per session: tests only read these files.
@pytest.fixture(scope="session")
def good_photos(tmp_path_factory) -> list[Path]:
    """Four photos of one person in three formats, none a near-duplicate, the last one sideways with EXIF."""
    folder = tmp_path_factory.mktemp("good")
    return [
        save(variant((0, 0, 480, 480)), folder / "front.jpg", quality=92),
        save(variant((100, 0, 420, 400), 1.5, (1.1, 1.0, 0.9)), folder / "closer.png"),
        save(variant((20, 0, 512, 460), 1.1, (0.9, 1.0, 1.1), mirror=True), folder / "mirrored.webp", quality=90),
        save_sideways(folder / "sideways.jpg"),
    ]


@pytest.fixture(scope="session")
def bad_photos(tmp_path_factory) -> Path:
    """A folder holding every file named in BAD_PHOTOS (tests/helpers/photos.py) except missing.jpg."""
    folder = tmp_path_factory.mktemp("bad")
    whole = save(variant((0, 0, 480, 480)), folder / "whole.jpg").read_bytes()
    (folder / "album").mkdir()
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "notes.jpg").write_text("my holiday notes, not a photo\n" * 20)
    (folder / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    (folder / "truncated.jpg").write_bytes(whole[: len(whole) // 2])
    (folder / "bomb.png").write_bytes(png_bomb(30_000, 30_000))
    save(variant((0, 0, 480, 480)), folder / "old.bmp")
    save(variant((0, 0, 480, 480)), folder / "scan.tiff")
    save(variant((0, 0, 480, 480)), folder / "animated.gif")
    save(ASTRONAUT.resize((300, 300)), folder / "small.jpg")
    far = Image.new("RGB", (800, 800), (90, 120, 60))
    far.paste(ASTRONAUT.resize((256, 256)), (300, 300))  # her face is now about 47 pixels wide
    save(far, folder / "far.jpg")
    save(Image.fromarray(data.coffee()), folder / "coffee.jpg")
    return folder


@pytest.fixture(scope="session")
def photos(tmp_path_factory):
    """Three photos of one person as files (tests/web has its own, as uploads)."""
    folder = tmp_path_factory.mktemp("photos")
    return [
        save(variant((0, 0, 480, 480)), folder / "front.jpg", quality=92),
        save(variant((100, 0, 420, 400), 1.5, (1.1, 1.0, 0.9)), folder / "closer.png"),
        save(variant((20, 0, 512, 460), 1.1, (0.9, 1.0, 1.1), mirror=True), folder / "mirrored.webp", quality=90),
    ]


@pytest.fixture
def catalog(data_dir) -> Catalog:
    """The small catalog of tests/helpers/small_catalog.py, crawled twice: once with GONE, once without."""
    settings = Settings(data_dir=data_dir, preset="tiny", device="cpu")
    crawl(settings, [*PRODUCTS, (GONE, "Ostra Studio", "Grey Wool Coat", "coat", "Grey", 80.0, (120, 120, 120))])
    crawl(settings, PRODUCTS)
    with CatalogStore(settings) as store:
        ids = {product.sku: product.id for product in store.products(include_unavailable=True)}
    return Catalog(settings, ids)


@pytest.fixture
def user(catalog, photos):
    return add_user(catalog.settings, "Ada", photos, crop_size=64)


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory):
    """A real PostgreSQL server of this test process's own, on a free 127.0.0.1 port, for the session.

    Skipped where PostgreSQL is not installed, except in CI, where scripts/system-deps.sh installed it and a
    skip would hide a broken install."""
    if postgres_bin() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed, though scripts/system-deps.sh should have installed it")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    if os.geteuid() == 0:
        # pytest's temporary folders are private to their user (0700), so the `postgres` user a root run
        # starts the server as could not reach one: the cluster gets a folder of its own under /tmp.
        folder = Path(tempfile.mkdtemp(prefix="stylist-postgres-"))
    else:
        folder = tmp_path_factory.mktemp("postgres")
    server = start_postgres(folder)
    yield server
    server.stop()
    if os.geteuid() == 0:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """A new, empty PostgreSQL database of this test's own."""
    return postgres_server.new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, data_dir) -> str | None:
    """Where the records and the jobs live: the SQLite files in the data dir (None), or a PostgreSQL database."""
    return None if request.param == "sqlite" else request.getfixturevalue("postgres_url")


@pytest.fixture
def settings(data_dir) -> Settings:
    return Settings(data_dir=data_dir, preset="tiny", device="cpu")


@pytest.fixture
def queue(settings, database):
    """The queue in the `database` (jobs.db in the data dir, or PostgreSQL), taking the app's kinds of job and
    those of tests/worker/handlers.py."""
    opened = open_queue(replace(settings, database=database), kinds=JOB_KINDS.union(test_handlers.HANDLERS))
    yield opened
    opened.close()
