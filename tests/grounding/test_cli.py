"""`stylist clip ...` as a user runs it: a separate process on a small synthetic catalog, its output and exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

CONTRACT_KEYS = {"id", "shop", "sku", "url", "designer", "title", "description", "price", "currency", "available",
                 "images", "first_seen", "last_seen", "variants", "same_as", "score"}
METRICS = {"r1", "r5", "r10", "mrr"}


def stylist(data_dir, *args, check=True):
    # One torch thread: the tiny CLIP gains nothing from two on a shared machine.
    env = {**os.environ, "STYLIST_DATA_DIR": str(data_dir), "STYLIST_PRESET": "tiny", "OMP_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, "-m", "stylist", *args], check=False, env=env, capture_output=True,
                            text=True, timeout=300)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def assert_one_line_error(result, message):
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr


def test_train_eval_search(small_copy):
    before = json.loads(stylist(small_copy, "clip", "eval", "--json").stdout)
    assert before["finetuned"] is None and set(before["base"]) == METRICS and before["queries"] >= 1

    out = stylist(small_copy, "clip", "train", "--epochs", "2", "--batch-size", "8").stdout.splitlines()
    assert len(out) == 2 and out[0].startswith("trained the tiny CLIP") and "held-out R@1" in out[0]
    assert " steps (" in out[0] and "validation)" in out[0]
    assert out[1].startswith("indexed 24 purchasable products")

    after = json.loads(stylist(small_copy, "clip", "eval", "--json").stdout)
    assert after["queries"] == before["queries"] and after["base"] == before["base"]
    assert set(after["finetuned"]) == METRICS

    hits = [json.loads(line) for line in stylist(small_copy, "clip", "search", "red dress", "--k", "3",
                                                 "--json").stdout.splitlines()]
    assert len(hits) == 3 and all(set(hit) == CONTRACT_KEYS and hit["available"] for hit in hits)
    assert [hit["score"] for hit in hits] == sorted((hit["score"] for hit in hits), reverse=True)
    cheap = stylist(small_copy, "clip", "search", "red dress", "--budget", "150", "--category", "dress").stdout
    for line in cheap.splitlines():
        _, _, name, price, url = line.split("\t")
        assert float(price.split()[0]) <= 150 and "dress" in name.lower() and url.startswith("https://")

    assert_one_line_error(stylist(small_copy, "clip", "train", "--resume", check=False), "no interrupted")


@pytest.mark.parametrize("args, message", [
    (["clip", "train"], "crawl a shop first"),
    (["clip", "search", "red dress"], "crawl a shop first"),
    (["clip", "search"], "give a TEXT"),
])
def test_bad_input_gets_one_clear_line(data_dir, args, message):
    assert_one_line_error(stylist(data_dir, *args, check=False), message)
