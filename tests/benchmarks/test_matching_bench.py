"""The matcher benchmark runs end to end on small demo shops, and the matcher finds the resold products."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_matching_benchmark_finds_the_resold_products_and_nothing_else(tmp_path):
    out = tmp_path / "bench.json"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "matching_bench.py"), "--products", "40",
                    "--out", str(out)], check=True, capture_output=True, timeout=300, cwd=ROOT / "benchmarks")
    result = json.loads(out.read_text())
    assert result["machine"]["cores"] and result["machine"]["hostname"]
    demo = result["demo_shops"]
    assert demo["copies"] == 12 and demo["precision"] >= 0.95 and demo["recall"] >= 0.9
    assert all(recall >= 0.75 for recall in demo["recall_by_evidence"].values())
    if "real_pages" in result:  # ../shared is there on this machine and in CI
        assert result["real_pages"]["precision"] == 1.0 and result["real_pages"]["right"] >= 10
