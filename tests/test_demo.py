"""`stylist demo` end to end on tiny: every stage runs and the page shows looks, Buy links, the spin and timings."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import av


def test_demo_writes_the_whole_story(tmp_path):
    out = tmp_path / "demo-out"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-m", "stylist", "demo", "--out", str(out), "--products", "24",
                             "--options", "2"], env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    page = (out / "index.html").read_text()
    summary = json.loads((out / "summary.json").read_text())

    assert summary["preset"] == "tiny" and "tiny" in page  # the banner: nobody mistakes these for results
    assert set(summary["timings"]) == {"crawl", "export", "clip", "user", "identity", "looks", "video"}
    options = summary["look"]["options"]
    assert len(options) == 2
    for option in options:
        assert Path(option["image"]).is_relative_to((out / "data").resolve())
        for product in option["products"]:
            assert re.match(r"http://127\.0\.0\.1:\d+/", product["url"])
            assert f'href="{product["url"]}"' in page
    assert any(option["products"] for option in options)  # the demo shop has products for a costume prompt

    spin = summary["spin"]
    assert spin["frames"] == 24 and spin["seconds"] == 3
    with av.open(str(out / "spin.mp4")) as container:
        assert sum(1 for _ in container.decode(video=0)) == 24
    assert "spin.mp4" in page and "spin.gif" in page
    assert (out / "dataset" / "metadata.jsonl").exists()
    assert summary["clip"]["evaluation"]["finetuned"] is not None


def test_demo_refuses_a_folder_that_is_not_its_own(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "thesis.txt").write_text("precious")
    result = subprocess.run([sys.executable, "-m", "stylist", "demo", "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and result.stderr.startswith("error: ")
    assert (tmp_path / "data" / "thesis.txt").read_text() == "precious"
