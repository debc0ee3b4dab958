"""`stylist bench gpu` on tiny: the benchmarks run in one process into one JSON; a failing one is recorded."""

from __future__ import annotations

import json

import pytest
import torch

from stylist.errors import StylistError
from stylist.evaluate import bench
from stylist.evaluate.bench import Benchmark, run_benchmarks


def test_tiny_benchmarks_write_one_json(tmp_path):
    out = tmp_path / "gpu.json"
    report = run_benchmarks(out, tiny=True, only=("identity", "clip"))
    written = json.loads(out.read_text())
    assert written["results"].keys() == {"identity", "clip"} and not written["errors"]
    assert written["machine"]["torch"] == torch.__version__
    assert written["results"]["identity"]["generate"]["seconds_per_image"] > 0
    assert report["seconds"]["clip"] > 0


def test_a_failing_benchmark_is_recorded_and_the_rest_still_run(tmp_path, monkeypatch):
    broken = Benchmark("identity", "identity_bench.py", full=(), tiny=("--preset", "no-such-preset"))
    monkeypatch.setattr(bench, "BENCHMARKS", (broken, *bench.BENCHMARKS[2:3]))
    report = run_benchmarks(tmp_path / "gpu.json", tiny=True)
    assert "identity" in report["errors"] and "clip" in report["results"]


def test_unknown_names_and_missing_gpu_are_one_sentence(tmp_path):
    with pytest.raises(StylistError, match="no benchmark named magic"):
        run_benchmarks(tmp_path / "x.json", tiny=True, only=("magic",))
    if not torch.cuda.is_available():
        with pytest.raises(StylistError, match="need a CUDA GPU"):
            run_benchmarks(tmp_path / "x.json", tiny=False)
