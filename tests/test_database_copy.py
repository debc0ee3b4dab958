"""`stylist db copy --to postgresql://…`: a data dir that has crawled, signed up and styled moves into PostgreSQL
with every id, alias, token and job kept, and what it copied is counted again there."""

from __future__ import annotations

import json
from dataclasses import replace

from sqlalchemy import insert

from stylist.catalog.store import CatalogStore
from stylist.catalog.tables import product_aliases
from stylist.databases import engine_for, writing
from stylist.jobs.queue import FAILED, QUEUED, SUCCEEDED, open_queue
from stylist.people.choices import get_choice, record_choice
from stylist.people.sizes import get_sizes, set_sizes
from stylist.people.users import get_user, list_users
from stylist.web.accounts import issue_token, token_user
from tests.helpers.cli import assert_one_line_error, stylist


def styled_data_dir(settings, user):
    """The small catalog (crawled twice) with a merged product's alias, a user with a token, sizes and a pick, and
    jobs that succeeded, failed and still wait."""
    with CatalogStore(settings) as store:
        kept = next(iter(store.products())).id
    with writing(engine_for(settings, "catalog")) as db:
        db.execute(insert(product_aliases).values(old_id=9999, product_id=kept))
    token = issue_token(settings, user.id)
    set_sizes(settings, user.id, {"dress": "M", "shoes": "EU 39"})
    record_choice(settings, user.id, "0123456789abcdef", "0123456789abcdef-1", rank=1, options=3, score=0.5,
                  prompt="a raincoat", rating=4)
    queue = open_queue(settings)
    done = queue.submit("looks", user.id, {"prompt": "a raincoat"})
    claimed = queue.claim("w", frozenset({"looks"}))
    queue.finish(claimed, SUCCEEDED, result={"look_id": "0123456789abcdef"})
    broken = queue.submit("train", user.id, {})
    queue.finish(queue.claim("w", frozenset({"train"})), FAILED, error="out of memory")
    waiting = queue.submit("video", user.id, {"option_id": "0123456789abcdef-1"})
    queue.close()
    return kept, token, {done.id: SUCCEEDED, broken.id: FAILED, waiting.id: QUEUED}


def test_a_data_dir_that_crawled_signed_up_and_styled_moves_with_its_ids(catalog, user, postgres_url):
    settings = catalog.settings
    kept, token, jobs = styled_data_dir(settings, user)
    with CatalogStore(settings) as store:
        products = {product.id: (product.sku, product.title, product.available)
                    for product in store.products(include_unavailable=True)}

    copied = stylist(settings.data_dir, "db", "copy", "--to", postgres_url, "--json")
    assert copied.returncode == 0, copied.stderr
    report = json.loads(copied.stdout)
    rows = {(table["store"], table["table"]): table["rows"] for table in report["tables"]}
    assert rows[("catalog", "products")] == len(products) and rows[("catalog", "product_aliases")] == 1
    assert rows[("people", "users")] == 1 and rows[("people", "web_tokens")] == 1 and report["jobs"] == 3
    assert rows[("people", "looks")] == 0 and rows[("people", "preferences")] == 1

    moved = replace(settings, database=postgres_url)
    with CatalogStore(moved) as store:
        assert {product.id: (product.sku, product.title, product.available)
                for product in store.products(include_unavailable=True)} == products
        assert [product.id for product in store.products(ids=[9999])] == [kept]  # the alias still names it
        shop = store.register_shop("new.test", "https://new.test/", "auto", {})
        assert shop.id > max(s.id for s in store.shops() if s.host != "new.test")  # sequences moved past the copy
    assert token_user(moved, token) == user.id  # signed in as before
    assert [each.id for each in list_users(moved)] == [user.id] and get_user(moved, user.id).name == user.name
    assert get_sizes(moved, user.id) == {"dress": "M", "shoes": "EU 39"}
    assert get_choice(moved, user.id, "0123456789abcdef")["rating"] == 4
    queue = open_queue(moved)
    try:
        assert {job.id: job.status for job in queue.jobs(user.id)} == jobs
        succeeded = next(job for job in queue.jobs() if job.status == SUCCEEDED)
        assert succeeded.result == {"look_id": "0123456789abcdef"} and succeeded.finished_at
        # The waiting job is a real one in its new queue: a worker there takes it.
        assert queue.claim("w2", frozenset({"video"})).status == "running"
    finally:
        queue.close()
    # Nothing changed in the data dir: it still answers as before.
    assert token_user(settings, token) == user.id


def test_a_copy_into_a_database_that_holds_records_is_refused_without_showing_its_password(catalog, user,
                                                                                        postgres_url, monkeypatch):
    styled_data_dir(catalog.settings, user)
    # The database named as every machine will name it, in the environment (not on the command line).
    monkeypatch.setenv("STYLIST_DATABASE", postgres_url.replace("stylist@", "stylist:hunter2@"))
    first = stylist(catalog.settings.data_dir, "db", "copy")
    assert first.returncode == 0 and "stylist:***@" in first.stdout and "hunter2" not in first.stdout
    again = stylist(catalog.settings.data_dir, "db", "copy")
    error = assert_one_line_error(again)
    assert "already holds" in error and "empty database" in error and "hunter2" not in again.stderr + again.stdout


def test_a_data_dir_without_records_and_a_url_that_is_no_database_are_one_clear_error(tmp_path, postgres_url):
    empty = stylist(tmp_path, "db", "copy", "--to", postgres_url)
    assert "holds no catalog.db, users.db or jobs.db" in assert_one_line_error(empty)
    wrong = stylist(tmp_path, "db", "copy", "--to", "mysql://me:secret@host/db")
    assert "unknown database" in assert_one_line_error(wrong) and "secret" not in wrong.stderr
