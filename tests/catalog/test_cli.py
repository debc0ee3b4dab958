"""`stylist catalog ...` as a user runs it: a separate process, its exit code, its output, its files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from PIL import Image

from stylist.demo.shop import DemoShop, serve

CONTRACT_KEYS = {"id", "shop", "sku", "url", "designer", "title", "description", "price", "currency", "available",
                 "images", "first_seen", "last_seen", "variants", "same_as"}


def stylist(data_dir, *args, check=True, timeout=120):
    env = {**os.environ, "STYLIST_DATA_DIR": str(data_dir)}
    result = subprocess.run([sys.executable, "-m", "stylist", *args], check=False, env=env, capture_output=True,
                            text=True, timeout=timeout)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def listed(data_dir, *flags):
    return [json.loads(line) for line in stylist(data_dir, "catalog", "list", "--json", *flags).stdout.splitlines()]


def assert_one_line_error(result):
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr


@pytest.fixture
def shop():
    shop = DemoShop(n_products=30, seed=5, traps=True)
    with serve(shop):
        yield shop


def test_crawl_list_stats_export_refresh(shop, data_dir, tmp_path):
    result = stylist(data_dir, "catalog", "crawl", shop.base_url, "--delay", "0", "--concurrency", "4")
    (line,) = result.stdout.splitlines()
    assert "complete crawl" in line and f"{len(shop.expected(1))} new" in line

    products = listed(data_dir)
    expected = shop.expected(1)
    assert {p["sku"] for p in products} == {sku for sku, want in expected.items() if want.available}
    for product in products:
        assert set(product) == CONTRACT_KEYS and product["available"] is True
        for path in product["images"]:
            assert os.path.isabs(path)
            with Image.open(path) as image:
                assert image.size == (512, 512) and image.mode == "RGB"
    assert len(listed(data_dir, "--all")) == len(expected)

    stats = json.loads(stylist(data_dir, "catalog", "stats", "--json").stdout)["shops"]
    assert stats[0]["purchasable"] == len(products) and stats[0]["last_complete_crawl"]

    out = tmp_path / "dataset"
    stylist(data_dir, "catalog", "export", str(out), "--max-images", "3")
    records = [json.loads(line) for line in (out / "metadata.jsonl").read_text().splitlines()]
    assert {r["product_id"] for r in records} == {p["id"] for p in products}
    assert all((out / r["file_name"]).exists() for r in records)

    shop.day = 2
    shop.requests.clear()
    # A page limit tried once is not what refresh repeats.
    stylist(data_dir, "catalog", "crawl", shop.base_url, "--delay", "0", "--max-pages", "2")
    result = stylist(data_dir, "catalog", "refresh")
    assert "complete crawl" in result.stdout
    assert {p["sku"] for p in listed(data_dir)} == {sku for sku, want in shop.expected(2).items() if want.available}

    host = shop.base_url.split("://", 1)[1]
    assert f"forgot {host}" in stylist(data_dir, "catalog", "forget", host).stdout
    assert listed(data_dir, "--all") == []
    assert_one_line_error(stylist(data_dir, "catalog", "forget", host, check=False))


@pytest.mark.parametrize("args, message", [
    (["catalog", "crawl", "not-a-url"], "not a shop URL"),
    (["catalog", "crawl", "http//127.0.0.1:8123"], "did you mean http://"),
    (["catalog", "crawl", "http://127.0.0.1:9"], "did not complete"),
    (["catalog", "crawl", "https://x.test", "--adapter", "magic"], "magic"),
    (["catalog", "refresh"], "no shop has been crawled"),
    (["catalog", "nosuch"], "No such command"),
])
def test_bad_input_gets_one_clear_line(data_dir, args, message):
    result = stylist(data_dir, *args, check=False)
    assert_one_line_error(result)
    assert message in result.stderr


def test_export_refuses_to_overwrite_other_files(data_dir, tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    result = stylist(data_dir, "catalog", "export", str(folder), check=False)
    assert_one_line_error(result)
    assert (folder / "keep.txt").read_text() == "mine"


def test_a_killed_crawl_loses_nothing_and_marks_nothing(shop, data_dir):
    stylist(data_dir, "catalog", "crawl", shop.base_url, "--delay", "0")
    day_one = {p["sku"] for p in listed(data_dir)}
    shop.day = 2
    shop.requests.clear()
    env = {**os.environ, "STYLIST_DATA_DIR": str(data_dir)}
    process = subprocess.Popen(
        [sys.executable, "-m", "stylist", "catalog", "crawl", shop.base_url, "--delay", "0.05", "--concurrency", "1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while len(shop.requests) < 25 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert {p["sku"] for p in listed(data_dir)} == day_one

    stylist(data_dir, "catalog", "crawl", shop.base_url, "--delay", "0")
    assert {p["sku"] for p in listed(data_dir)} == {sku for sku, want in shop.expected(2).items() if want.available}
    stats = json.loads(stylist(data_dir, "catalog", "stats", "--json").stdout)["shops"][0]
    assert stats["latest_crawl"]["status"] == "complete"


def test_with_a_postgresql_database_the_catalog_lives_there(shop, data_dir, postgres_url):
    env = {**os.environ, "STYLIST_DATA_DIR": str(data_dir), "STYLIST_DATABASE": postgres_url}

    def run(*args):
        result = subprocess.run([sys.executable, "-m", "stylist", *args], check=False, env=env, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert "complete crawl" in run("catalog", "crawl", shop.base_url, "--delay", "0", "--concurrency", "4")
    products = [json.loads(line) for line in run("catalog", "list", "--json").splitlines()]
    assert {p["sku"] for p in products} == {sku for sku, want in shop.expected(1).items() if want.available}
    # the records are in the database; only the image files are in the data dir, and the paths lead to them
    assert not (data_dir / "catalog.db").exists()
    assert all(os.path.isfile(path) for product in products for path in product["images"])
    assert listed(data_dir) == []  # the data dir's own catalog.db is another catalog
