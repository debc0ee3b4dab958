"""The identity benchmark runs its full-size code on the tiny configs and writes its JSON."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "identity_bench.py"


def test_tiny_run_writes_the_numbers(tmp_path):
    spec = importlib.util.spec_from_file_location("identity_bench", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "identity.json"
    bench.main(["--preset", "tiny", "--device", "cpu", "--train-steps", "2", "--gen-steps", "2", "--out", str(out)])

    results = json.loads(out.read_text())
    assert results["machine"]["torch"] and results["machine"]["diffusers"] and results["machine"]["gpu"] is None
    assert results["settings"]["preset"] == "tiny" and results["settings"]["resolution"] == 64
    assert 0 < results["parameters"]["lora"] < results["parameters"]["unet"]
    assert [run["gradient_checkpointing"] for run in results["train"]] == [False, True]
    for run in results["train"]:
        assert run["seconds_per_step"] > 0 and run["finite_loss"] and run["peak_gib"] is None
        assert run["dreambooth_lora_500_steps_s"] == pytest.approx(500 * run["seconds_per_step"], abs=0.1)
    assert results["generate"]["seconds_per_image"] > 0 and results["generate"]["steps"] == 2
