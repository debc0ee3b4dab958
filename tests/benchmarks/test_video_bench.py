"""The video benchmark runs its full-size code path on the tiny configs and writes its JSON."""

from __future__ import annotations

import json

from stylist.evaluate.bench import video


def test_tiny_run_writes_the_numbers(tmp_path):
    out = tmp_path / "video.json"
    video.main(["--preset", "tiny", "--device", "cpu", "--out", str(out)])  # on one torch thread: tests/conftest.py

    results = json.loads(out.read_text())
    assert results["machine"]["torch"] and results["machine"]["av"] and results["machine"]["gpu"] is None
    assert results["settings"]["preset"] == "tiny" and results["targets"] == {"seconds_per_spin": 30, "peak_gib": 24}
    assert results["settings"]["backends"] == ["wan-vace", "animatediff"] and results["settings"]["steps"] is None
    spins = {spin["backend"]: spin for spin in results["spins"]}
    assert set(spins) == {"wan-vace", "animatediff"}
    for spin in spins.values():
        assert spin["frames"] == 24 and spin["seconds"] == 3.0 and spin["fps"] == 8
        assert spin["seconds_per_spin"] > 0 and spin["peak_gib"] is None and spin["steps"] == 2
        assert all(count > 0 for count in spin["parameters"].values())
    # One 25-frame Wan window; two overlapping 16-frame AnimateDiff windows.
    assert spins["wan-vace"]["model_steps"] == 2 and spins["animatediff"]["model_steps"] == 4
    assert (spins["wan-vace"]["width"], spins["wan-vace"]["height"]) == (32, 48)
