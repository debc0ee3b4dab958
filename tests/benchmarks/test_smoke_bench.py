"""The real-weights smoke stage without its weights, and a failed step. Every step run on tiny checkpoints in each
real repository's layout, fetched from a hub on 127.0.0.1, is tests/test_first_run.py's."""

from __future__ import annotations

from stylist.evaluate.bench import run_benchmarks


def test_missing_weights_are_skipped_with_their_fetch_command(offline, tmp_path):
    from stylist.evaluate.bench import smoke

    results = smoke.run(device="cpu", out=tmp_path / "smoke.json")
    assert not results["errors"]
    sdxl = results["presets"]["sdxl"]["skipped"]
    assert "stabilityai/stable-diffusion-xl-base-1.0 is missing: stylist --preset sdxl models fetch" in sdxl
    assert "h94/IP-Adapter is missing" in sdxl
    assert "black-forest-labs/FLUX.2-klein-4B is missing" in results["presets"]["klein"]["skipped"]
    assert "Wan-AI/Wan2.1-VACE-1.3B-diffusers is missing" in results["spins"]["wan-vace"]["skipped"]
    assert "stylist --preset sd14 models fetch" in results["spins"]["animatediff"]["skipped"]
    # Nothing was loaded or run: every preset and every backend is only a skip.
    assert all(set(entry) == {"skipped"} for entry in [*results["presets"].values(), *results["spins"].values()])


def test_a_failed_step_fails_the_benchmark_call_and_keeps_the_others(monkeypatch, tmp_path):
    from stylist.evaluate.bench import smoke

    monkeypatch.setattr(smoke, "run", lambda **_: {"presets": {"sdxl": {"look": {"error": "boom"}}},
                                                  "errors": {"sdxl.look": "boom"}})
    report = run_benchmarks(tmp_path / "gpu.json", tiny=True, only=("smoke",))
    assert report["errors"] == {"smoke": "sdxl.look: boom"}
    assert report["results"]["smoke"]["presets"]["sdxl"]["look"] == {"error": "boom"}
