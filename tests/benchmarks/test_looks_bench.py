"""The looks benchmark runs its full-size code on the tiny configs, and its stage timings end to end, and
writes its JSON."""

from __future__ import annotations

import json

from stylist.evaluate.bench import looks


def test_tiny_generation_writes_the_numbers(tmp_path):
    out = tmp_path / "looks.json"
    # torch.compile takes minutes on a CPU; the GPU run times both.
    looks.run(preset="tiny", device="cpu", steps=2, fast_steps=1, options=2, compile="off", out=out)

    results = json.loads(out.read_text())
    assert results["machine"]["gpu"] is None and results["settings"]["preset"] == "tiny"
    assert results["settings"]["out"] == out.name  # outside the repository: its name, never a machine's folder
    (run,) = results["generation"]["looks"]
    assert results["generation"]["resolution"] == 64 and run["torch_compile"] is False and run["options"] == 2
    assert run["seconds"] > 0 and run["fast_look"]["seconds"] > 0 and run["peak_gib"] is None
    # Beside the 4 × 1 figure, the CLI's default look: 4 options × 2 candidates, in one batch of 8 on the CPU.
    default = results["generation"]["default_look"]
    assert (default["options"], default["candidates"], default["images"]) == (4, 2, 8)
    assert default["batch"] == 8 and default["calls"] == 1 and default["steps"] == 2
    assert default["seconds"] > 0 and default["seconds_per_image"] > 0 and default["peak_gib"] is None


def test_stage_timings_end_to_end(tmp_path):
    out = tmp_path / "stages.json"
    # Through the command line of benchmarks/looks_bench.py, whose other options keep their defaults.
    looks.main(["--stages", "--device", "cpu", "--products", "12", "--repeats", "1", "--options", "1",
                "--steps", "1", "--out", str(out)])

    results = json.loads(out.read_text())
    assert results["benchmark"] == "looks-stages"
    assert results["settings"] == {"preset": "tiny", "device": "cpu", "steps": 1, "fast_steps": 4, "options": 1,
                                   "compile": "both", "stages": True, "products": 12, "repeats": 1, "out": out.name}
    stages = results["stages"]
    for mode in ("look", "fast_look"):
        assert set(stages[mode]) == {"retrieve", "outfits", "load", "generate", "rank", "look", "total"}
        assert stages[mode]["generate"] > 0 and stages[mode]["total"] >= stages[mode]["generate"]
