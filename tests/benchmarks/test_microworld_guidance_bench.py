"""benchmarks/microworld_guidance_bench.py judges saved part-3 models at each guidance scale."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import torch

from stylist.evaluate.microworld.generators.reference_tokens import ReferenceGenerator

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "microworld_guidance_bench.py"


def load_script():
    spec = importlib.util.spec_from_file_location("microworld_guidance_bench", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return script


@pytest.mark.timeout(600)
def test_saved_models_are_judged_at_every_scale(tmp_path):
    model = ReferenceGenerator(0)
    torch.save([module.state_dict() for module in model.modules()], tmp_path / "reference_tokens-0.pt")
    (tmp_path / "reference_tokens-0.json").write_text(json.dumps({"steps": 0}))
    out = tmp_path / "guidance.json"
    load_script().main(["--trained", str(tmp_path), "--scales", "1", "3", "--seeds", "1", "--workers", "1",
                        "--sampling-steps", "2", "--out", str(out)])
    report = json.loads(out.read_text())
    assert [scale["guidance"] for scale in report["scales"]] == [1.0, 3.0] and report["seeds"] == [0]
    for scale in report["scales"]:
        assert set(scale["garment_all_right"]) == {"with_reference", "shuffled", "none", "chance"}
        assert len(scale["per_seed"]["identity_own_photo"]) == 1


def test_missing_weights_are_named(tmp_path, capsys):
    with pytest.raises(SystemExit):
        load_script().main(["--trained", str(tmp_path), "--out", str(tmp_path / "out.json")])
    assert "has no reference_tokens-0.pt" in capsys.readouterr().err
