"""One crawl of a shop at a time, however it was started, on one machine (SQLite) and across a fleet (PostgreSQL)."""

from __future__ import annotations

import pytest

from stylist.catalog.crawl_lock import crawl_lock
from stylist.catalog.store import CatalogStore
from stylist.errors import StylistError
from stylist.settings import Settings
from tests.helpers.cli import assert_one_line_error, stylist


@pytest.fixture
def settings(data_dir, database) -> Settings:
    return Settings(data_dir=data_dir, preset="tiny", device="cpu", database=database)


def test_a_shop_being_crawled_is_refused_to_a_second_crawl_until_the_first_ends(settings):
    engine = CatalogStore(settings).engine
    with crawl_lock(settings, engine, "shop.example"):
        with pytest.raises(StylistError, match=r"shop\.example is being crawled elsewhere"):
            with crawl_lock(settings, engine, "shop.example"):
                pass
        with crawl_lock(settings, engine, "other.example"):  # another shop is not held up
            pass
    with crawl_lock(settings, engine, "shop.example"):  # let go when the first ended
        pass


def test_the_cli_says_so_in_one_line(settings):
    engine = CatalogStore(settings).engine
    backend = ["--database", settings.database] if settings.database else []
    with crawl_lock(settings, engine, "127.0.0.1:9"):
        refused = stylist(settings.data_dir, *backend, "catalog", "crawl", "http://127.0.0.1:9/", "--delay", "0")
    assert "127.0.0.1:9 is being crawled elsewhere" in assert_one_line_error(refused)
