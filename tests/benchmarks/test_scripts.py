"""benchmarks/*.py are the command lines of the package's benchmarks, not copies of them."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.mark.parametrize("name", ["identity", "looks", "klein", "video"])
def test_each_script_runs_the_package_benchmark(name):
    spec = importlib.util.spec_from_file_location(f"{name}_bench", BENCHMARKS / f"{name}_bench.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.main is importlib.import_module(f"stylist.evaluate.bench.{name}").main
