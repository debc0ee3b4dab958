"""The web load benchmark runs end to end for two seconds, so the script cannot rot between real runs."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_web_load_benchmark_writes_its_json(tmp_path):
    out = tmp_path / "load.json"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "web_load_bench.py"), "--clients", "5", "--seconds", "2",
                    "--products", "8", "--users", "2", "--out", str(out)], check=True, capture_output=True, timeout=240)
    report = json.loads(out.read_text())
    assert report["machine"]["cores"] and report["setup"]["clients"] == 5
    result = report["result"]
    assert result["errors"] == 0, result["error_examples"]
    assert result["job"]["requests"] > 0 and result["catalog"]["requests"] > 0
    assert result["all"]["p99_ms"] >= result["all"]["p50_ms"] > 0
