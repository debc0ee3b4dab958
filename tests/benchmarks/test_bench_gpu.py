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
from stylist.presets import get_preset


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
    clip = next(each for each in bench.BENCHMARKS if each.name == "clip")
    monkeypatch.setattr(bench, "BENCHMARKS", (broken, clip))
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


def test_klein_benchmark_times_each_reference_count_on_tiny(tmp_path, monkeypatch):
    """The klein benchmark's own code on tiny-klein, with torch.compile stood in for: it compiles for minutes
    on a CPU, and what is checked here is that the compiled runs are timed after it."""
    from stylist.evaluate.bench import klein

    compiled = []
    monkeypatch.setattr(torch.nn.Module, "compile", lambda module, **_: compiled.append(type(module).__name__))
    report = run_benchmarks(tmp_path / "gpu.json", tiny=True, only=("klein",))
    assert not report["errors"], report["errors"]
    runs = report["results"]["klein"]["editing"]["runs"]
    assert [(run["torch_compile"], run["references"]) for run in runs] == [(False, 1), (False, 2), (False, 4)]
    for run in runs:
        assert run["seconds_per_look"] > 0 and 0 < run["text_encoder_share"] < 1
    # A target per reference count, growing with the tokens each reference adds; the plan the run was placed by.
    assert list(report["results"]["klein"]["targets"]["seconds_per_look"]) == ["1", "2", "4"]
    real = [klein.target_seconds_per_look(get_preset("klein"), count) for count in (1, 2, 4)]
    assert 1 < real[0] < real[1] < real[2] < 4 and real[2] > 2 * (real[0] - klein.FIXED_S_PER_LOOK)
    assert report["results"]["klein"]["editing"]["memory_plan"]["placement"] == "whole"  # the CPU
    again = klein.run(preset="tiny-klein", device="cpu", steps=1, references=(2,), compile="both")
    assert compiled == ["Flux2Transformer2DModel"]
    assert [run["torch_compile"] for run in again["editing"]["runs"]] == [False, True]
    with pytest.raises(ValueError, match="1 to 4 references"):
        klein.run(preset="tiny-klein", device="cpu", references=(5,), compile="off")


def test_the_full_size_klein_is_the_4b_model_and_its_parts_fit(monkeypatch):
    """KLEIN_4B built on the meta device, which allocates nothing: the parameter counts of FLUX.2 klein 4B and
    Qwen3-4B, and shapes that agree (a wrong config would only fail on the GPU)."""
    from diffusers import AutoencoderKLFlux2, Flux2Transformer2DModel
    from transformers import Qwen3Config, Qwen3ForCausalLM

    from stylist.evaluate.bench.klein import KLEIN_4B

    with torch.device("meta"):
        transformer = Flux2Transformer2DModel(**KLEIN_4B["transformer"])
        text_encoder = Qwen3ForCausalLM(Qwen3Config(**KLEIN_4B["text_encoder"]))
        vae = AutoencoderKLFlux2(**KLEIN_4B["vae"])
    billions = lambda model: sum(p.numel() for p in model.parameters()) / 1e9  # noqa: E731
    assert 3.5 < billions(transformer) < 4.5 and 3.5 < billions(text_encoder) < 4.5
    # The memory plan's sizes and the targets' arithmetic are these models' in bfloat16.
    from stylist.evaluate.bench.klein import TRANSFORMER_PARAMETERS
    from stylist.presets import KLEIN

    parts = KLEIN.part_bytes
    assert parts["transformer"] == pytest.approx(2e9 * billions(transformer), rel=0.03)
    assert parts["text_encoder"] == pytest.approx(2e9 * billions(text_encoder), rel=0.03)
    assert parts["vae"] == pytest.approx(2e9 * billions(vae), rel=0.1)
    assert TRANSFORMER_PARAMETERS == pytest.approx(1e9 * billions(transformer), rel=0.03)
    assert transformer.config.in_channels == 4 * vae.config.latent_channels
    assert transformer.config.joint_attention_dim == 3 * text_encoder.config.hidden_size
    assert sum(transformer.config.axes_dims_rope) == transformer.config.attention_head_dim
    assert text_encoder.config.num_hidden_layers >= 27  # the pipeline stacks hidden layers 9, 18 and 27
    # One step's shapes through the transformer: 1024² noise and one 1024² reference, a 512-token prompt.
    tokens = (1024 // 16) ** 2
    out = transformer(hidden_states=torch.empty(1, 2 * tokens, 128, device="meta"),
                      encoder_hidden_states=torch.empty(1, 512, 7680, device="meta"),
                      timestep=torch.empty(1, device="meta"), img_ids=torch.zeros(2 * tokens, 4, device="meta"),
                      txt_ids=torch.zeros(512, 4, device="meta"), guidance=None, return_dict=False)[0]
    assert out.shape == (1, 2 * tokens, 128)
