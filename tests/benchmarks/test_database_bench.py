"""The database benchmark runs end to end on a few jobs and two seconds of load, so the script cannot rot."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_database_benchmark_writes_both_backends_side_by_side(tmp_path, postgres_server):
    out = tmp_path / "database.json"
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "database_bench.py"), "--jobs", "6", "--workers",
                          "1,2", "--clients", "4", "--seconds", "2", "--products", "8", "--users", "2",
                          "--out", str(out)], check=False, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["machine"]["cores"] and set(report["backends"]) == {"sqlite", "postgresql"}
    for backend in report["backends"].values():
        assert [entry["workers"] for entry in backend["queue"]] == [1, 2]
        assert all(entry["succeeded"] == 6 and entry["jobs_per_second"] > 0 for entry in backend["queue"])
        assert backend["web"]["errors"] == 0, backend["web"]["error_examples"]
        assert backend["web"]["job"]["requests"] > 0 and backend["web"]["catalog"]["requests"] > 0


