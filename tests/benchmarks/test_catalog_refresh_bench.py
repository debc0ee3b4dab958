"""The refresh benchmark runs end to end on a small shop, so the script cannot rot between real runs."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_refresh_benchmark_writes_its_json(tmp_path):
    out = tmp_path / "bench.json"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "catalog_refresh_bench.py"), "--products", "40",
         "--latency", "0", "--out", str(out)],
        check=True, capture_output=True, timeout=240,
    )
    result = json.loads(out.read_text())
    assert result["machine"]["cores"] and result["machine"]["hostname"] and result["machine"]["platform"]
    full, unchanged, changed = result["full_crawl"], result["refresh_unchanged"], result["refresh_changed"]
    for run in (full, unchanged, changed):
        assert run["complete"] and run["catalog_matches_the_shop"], run
    assert full["products_new"] == 40 and full["unchanged_pages"] == 0
    assert unchanged["unchanged_pages"] == unchanged["pages"] and unchanged["products_unchanged"] == 40
    assert unchanged["shop"]["page_requests_with_validators"] == unchanged["shop"]["page_requests"] - 2  # robots, probe
    assert unchanged["share_of_full_crawl"]["bytes_fetched"] < 0.03
    assert changed["products_new"] > 0 and changed["products_now_unavailable"] > 0
    assert unchanged["bytes_fetched"] < changed["bytes_fetched"] < full["bytes_fetched"]
