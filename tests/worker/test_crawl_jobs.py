"""Crawls as jobs: `catalog refresh --jobs` queues one crawl per shop, a worker runs it into the catalog, and a
shop's lock keeps two crawls of it from running at once or waiting twice in the queue."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from stylist.demo.shop import DemoShop, serve
from stylist.jobs.queue import CATALOG_USER, CRAWL, FAILED, QUEUED, SUCCEEDED, open_queue
from stylist.settings import Settings
from stylist.worker.handlers import load_handlers
from stylist.worker.loop import Worker
from tests.helpers.cli import assert_one_line_error, stylist
from tests.helpers.processes import env


@pytest.fixture
def shop_settings(data_dir, database) -> Settings:
    return Settings(data_dir=data_dir, preset="tiny", device="cpu", database=database)


def backend(settings: Settings) -> list[str]:
    return ["--database", settings.database] if settings.database else []


def test_refresh_with_jobs_queues_one_crawl_per_shop_that_a_worker_runs_into_the_catalog(shop_settings):
    shop = DemoShop(n_products=12, seed=2, traps=False)
    with serve(shop) as url:
        first = stylist(shop_settings.data_dir, *backend(shop_settings), "catalog", "crawl", url, "--delay", "0", "--json")
        assert first.returncode == 0, first.stderr
        shop.day = 2  # the shop changed: products sold out, others came

        queued = stylist(shop_settings.data_dir, *backend(shop_settings), "catalog", "refresh", "--jobs", "--json")
        assert queued.returncode == 0, queued.stderr
        (line,) = queued.stdout.strip().splitlines()
        job_id = json.loads(line)["job_id"]
        again = stylist(shop_settings.data_dir, *backend(shop_settings), "catalog", "refresh", "--jobs", "--json")
        assert json.loads(again.stdout)["job_id"] == job_id  # still waiting: found, not queued twice

        queue = open_queue(shop_settings)
        try:
            job = queue.get(job_id)
            assert (job.kind, job.user_id, job.status) == (CRAWL, CATALOG_USER, QUEUED)
            assert Worker(shop_settings, queue, load_handlers(), poll=0.05).run(max_jobs=1) == 1
            done = queue.get(job_id)
        finally:
            queue.close()
    assert done.status == SUCCEEDED, done.error
    assert done.result["complete"] and done.result["unavailable"] > 0

    listed = stylist(shop_settings.data_dir, *backend(shop_settings), "catalog", "list", "--json")
    skus = {json.loads(line)["sku"] for line in listed.stdout.splitlines()}
    assert skus == {sku for sku, product in shop.expected(2).items() if product.available}


def test_a_crawl_whose_shop_went_away_fails_with_the_reason(shop_settings):
    queue = open_queue(shop_settings)
    try:
        job = queue.submit(CRAWL, CATALOG_USER, {"url": "http://127.0.0.1:9/", "options": {"delay": 0, "retries": 0}},
                           lock="crawl:127.0.0.1:9")
        Worker(shop_settings, queue, load_handlers(), poll=0.05).run(max_jobs=1)
        failed = queue.get(job.id)
    finally:
        queue.close()
    assert failed.status == FAILED and "did not complete" in failed.error


def test_jobs_sharing_a_lock_never_run_at_once_and_never_wait_twice(shop_settings):
    queue = open_queue(shop_settings, kinds=frozenset({"sleep", CRAWL}))
    try:
        first = queue.submit("sleep", "catalog", {}, lock="crawl:a", max_open=10)
        assert queue.submit("sleep", "catalog", {}, lock="crawl:a", max_open=10).id == first.id
        other_shop = queue.submit("sleep", "catalog", {}, lock="crawl:b", max_open=10)
        running = queue.claim("w1", frozenset({"sleep"}))
        assert running.id == first.id
        second = queue.submit("sleep", "catalog", {}, lock="crawl:a", max_open=10)  # one may wait while one runs
        assert second.id != first.id
        # The next in line is the other shop's job: shop a's second crawl waits for its first to end.
        assert queue.claim("w2", frozenset({"sleep"})).id == other_shop.id
        assert queue.claim("w3", frozenset({"sleep"})) is None
        assert queue.finish(running, SUCCEEDED, result={})
        assert queue.claim("w3", frozenset({"sleep"})).id == second.id
    finally:
        queue.close()


def test_a_crawl_only_worker_needs_no_model_weights_and_leaves_other_jobs_alone(shop_settings, offline):
    queue = open_queue(shop_settings)
    try:
        drawing = queue.submit("looks", "u1", {"prompt": "a coat", "options": 1})
        crawling = queue.submit(CRAWL, CATALOG_USER, {"url": "http://127.0.0.1:9/", "options": {"retries": 0}})
        assert Worker(shop_settings, queue, load_handlers(), poll=0.05,
                      kinds=frozenset({CRAWL})).run(max_jobs=1) == 1
        assert queue.get(crawling.id).status == FAILED and queue.get(drawing.id).status == QUEUED
    finally:
        queue.close()
    # With klein's weights nowhere on this machine, a full worker refuses to start; a crawl-only one starts.
    klein = ["--preset", "klein", *backend(shop_settings), "worker"]
    refused = stylist(shop_settings.data_dir, *klein)
    assert refused.returncode != 0 and "klein" in refused.stderr
    wrong = stylist(shop_settings.data_dir, *klein, "--kinds", "crawl,paint")
    assert "--kinds takes kinds of job from" in assert_one_line_error(wrong)
    started = subprocess.Popen([sys.executable, "-m", "stylist", "--data-dir", str(shop_settings.data_dir), *klein,
                                "--kinds", "crawl"], stderr=subprocess.PIPE, text=True, env=env())
    try:
        assert started.stderr.readline().rstrip().endswith(": crawl")  # "worker HOST:PID on QUEUE: crawl"
    finally:
        started.terminate()
        started.wait(timeout=60)
