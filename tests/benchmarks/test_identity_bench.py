"""The identity benchmark runs its full-size code on the tiny configs and writes its JSON."""

from __future__ import annotations

import json

import pytest

from stylist.evaluate.bench import identity


def test_tiny_run_writes_the_numbers(tmp_path):
    out = tmp_path / "identity.json"
    identity.main(["--preset", "tiny", "--device", "cpu", "--train-steps", "2", "--gen-steps", "2", "--out", str(out)])

    results = json.loads(out.read_text())
    assert results["machine"]["torch"] and results["machine"]["diffusers"] and results["machine"]["gpu"] is None
    assert results["settings"]["preset"] == "tiny" and results["settings"]["resolution"] == 64
    assert (results["settings"]["rank"], results["settings"]["batch"]) == (16, 2)  # run's defaults
    assert 0 < results["parameters"]["lora"] < results["parameters"]["unet"]
    assert [run["gradient_checkpointing"] for run in results["train"]] == [False, True]
    for run in results["train"]:
        assert run["seconds_per_step"] > 0 and run["finite_loss"] and run["peak_gib"] is None
        assert run["dreambooth_lora_500_steps_s"] == pytest.approx(500 * run["seconds_per_step"], abs=0.1)
    assert results["generate"]["seconds_per_image"] > 0 and results["generate"]["steps"] == 2
