"""The catalog benchmark runs end to end on a small shop, so the script cannot rot between real runs."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_catalog_benchmark_writes_its_json(tmp_path):
    out = tmp_path / "bench.json"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "catalog_bench.py"), "--products", "30", "--normalise", "6",
         "--latency", "0", "--failing-cdn-products", "20", "--out", str(out)],
        check=True, capture_output=True, timeout=240,
    )
    result = json.loads(out.read_text())
    assert result["machine"]["cores"] and result["machine"]["hostname"]
    for key in ("crawl_concurrency_8", "crawl_concurrency_1"):
        assert result[key]["products"] == 30 and result[key]["products_per_second"] > 0
        assert result[key]["db_bytes_per_1000_products"] > 0
        assert set(result[key]["profile_seconds"]) == {"fetch", "parse", "images", "store"}
    assert result["normalise"]["images"] == 6
    for kind in ("unreachable", "never_answers"):
        failing = result[f"failing_cdn_{kind}"]
        # every product stored, without images, and the dead CDN given up on instead of asked 40 times
        assert failing["products_stored"] == 20 and failing["hosts_given_up"] == 1, failing
        assert failing["image_requests_skipped"] > 0 and failing["complete"], failing
