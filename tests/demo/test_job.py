"""`stylist demo` end to end on tiny: every stage runs and the page shows looks, Buy links, the spin and timings."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import av
import pytest


# The main path (tiny-klein: looks from the person's and the products' photos, no training, as `make demo`
# runs it) and the trained-likeness path (tiny: DreamBooth first).
@pytest.mark.parametrize(("preset", "stages"), [
    ("tiny-klein", {"crawl", "export", "clip", "user", "looks", "video"}),
    ("tiny", {"crawl", "export", "clip", "user", "identity", "looks", "video"}),
])
def test_demo_writes_the_whole_story(tmp_path, preset, stages):
    out = tmp_path / "demo-out"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-m", "stylist", "--preset", preset, "demo", "--out", str(out),
                             "--products", "24", "--options", "2"], check=False, env=env, capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1 and "demo written to" in result.stdout  # one line off a terminal
    page = (out / "index.html").read_text()
    summary = json.loads((out / "summary.json").read_text())

    assert summary["preset"] == preset and f"<b>{preset}</b> preset" in page  # nobody mistakes these for results
    assert set(summary["timings"]) == stages
    assert (summary["identity"] is None) == (preset == "tiny-klein")
    options = summary["look"]["options"]
    assert len(options) == 2
    for option in options:
        assert option["image"].startswith("data/") and (out / option["image"]).is_file()  # relative to the folder
        for product in option["products"]:
            assert re.match(r"http://127\.0\.0\.1:\d+/", product["url"])
            assert f'href="{product["url"]}"' in page
    assert any(option["products"] for option in options)  # the demo shop has products for a costume prompt
    # Each option lists the products it was drawn from, all of them among its products.
    for option in options:
        assert option["references"] and set(option["references"]) <= {product["id"] for product in option["products"]}

    spin = summary["spin"]
    assert spin["frames"] == 24 and spin["seconds"] == 3
    with av.open(str(out / "spin.mp4")) as container:
        assert sum(1 for _ in container.decode(video=0)) == 24
    assert "spin.mp4" in page and "spin.gif" in page
    assert (out / "dataset" / "metadata.jsonl").exists()
    assert summary["clip"]["evaluation"]["finetuned"] is not None
    assert str(out.resolve()) not in json.dumps(summary)  # the folder can move: no path names where it is now


def test_demo_never_deletes_data_it_did_not_make(tmp_path):
    # A real data directory looks like a demo's (it has a catalog.db) but lacks the demo's marker.
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "catalog.db").write_text("precious")
    env = {**os.environ, "STYLIST_DATA_DIR": str(tmp_path / "elsewhere")}
    refused = subprocess.run([sys.executable, "-m", "stylist", "demo", "--out", str(tmp_path)], check=False, env=env,
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1 and refused.stderr.startswith("error: ") and "not a stylist demo" in refused.stderr
    # `--out .` from a folder whose ./data is the user's own data directory.
    env["STYLIST_DATA_DIR"] = str(tmp_path / "data")
    own = subprocess.run([sys.executable, "-m", "stylist", "demo", "--out", str(tmp_path)], check=False, env=env,
                         capture_output=True, text=True, timeout=120)
    assert own.returncode == 1 and "your data directory" in own.stderr
    assert (tmp_path / "data" / "catalog.db").read_text() == "precious"
