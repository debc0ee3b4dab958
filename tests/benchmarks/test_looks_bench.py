"""The looks benchmark runs its full-size code on the tiny configs, and its stage timings end to end, and
writes its JSON."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "looks_bench.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("looks_bench", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_tiny_generation_writes_the_numbers(tmp_path):
    out = tmp_path / "looks.json"
    # torch.compile takes minutes on a CPU; the GPU run times both.
    load_bench().main(["--preset", "tiny", "--device", "cpu", "--steps", "2", "--fast-steps", "1", "--options", "2",
                       "--compile", "off", "--out", str(out)])

    results = json.loads(out.read_text())
    assert results["machine"]["gpu"] is None and results["settings"]["preset"] == "tiny"
    (run,) = results["generation"]["looks"]
    assert results["generation"]["resolution"] == 64 and run["torch_compile"] is False and run["options"] == 2
    assert run["seconds"] > 0 and run["fast_look"]["seconds"] > 0 and run["peak_gib"] is None


def test_stage_timings_end_to_end(tmp_path):
    out = tmp_path / "stages.json"
    load_bench().main(["--stages", "--device", "cpu", "--products", "12", "--repeats", "1", "--options", "1",
                       "--steps", "1", "--out", str(out)])

    stages = json.loads(out.read_text())["stages"]
    for mode in ("look", "fast_look"):
        assert set(stages[mode]) == {"retrieve", "outfits", "load", "generate", "rank", "look", "total"}
        assert stages[mode]["generate"] > 0 and stages[mode]["total"] >= stages[mode]["generate"]
