"""`stylist bench gpu` on tiny: the benchmarks run in one process into one JSON; a failing one is recorded."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import stylist
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
    broken = Benchmark("identity", full={}, tiny={"preset": "no-such-preset"})
    monkeypatch.setattr(bench, "BENCHMARKS", (broken, *bench.BENCHMARKS[2:3]))
    report = run_benchmarks(tmp_path / "gpu.json", tiny=True)
    assert "identity" in report["errors"] and "clip" in report["results"]


def test_unknown_names_and_missing_gpu_are_one_sentence(tmp_path):
    with pytest.raises(StylistError, match="no benchmark named magic"):
        run_benchmarks(tmp_path / "x.json", tiny=True, only=("magic",))
    if not torch.cuda.is_available():
        with pytest.raises(StylistError, match="need a CUDA GPU"):
            run_benchmarks(tmp_path / "x.json", tiny=False)


def test_an_installed_package_runs_them_without_the_repository(tmp_path):
    """`stylist bench gpu` from a copy of the package alone, as a wheel installs it: no benchmarks/ beside it."""
    site = tmp_path / "site-packages"
    shutil.copytree(Path(stylist.__file__).parent, site / "stylist", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path / "gpu.json"
    code = (
        "import sys, stylist; from pathlib import Path; from stylist.evaluate.bench import run_benchmarks\n"
        f"assert Path(stylist.__file__).parent == Path({str(site / 'stylist')!r})\n"
        "import stylist.evaluate.bench.identity, stylist.evaluate.bench.looks\n"
        f"run_benchmarks(Path({str(out)!r}), tiny=True, only=('clip', 'video'))\n"
    )
    environment = os.environ | {"PYTHONPATH": str(site)}
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=environment, check=True, timeout=240)
    written = json.loads(out.read_text())
    assert not written["errors"] and written["results"].keys() == {"clip", "video"}
    assert written["results"]["clip"]["images_per_s"] > 0
    assert {spin["backend"] for spin in written["results"]["video"]["spins"]} == {"wan-vace", "animatediff"}
