"""The evaluation commands as a user runs them: bad input is one `error:` line and a non-zero exit."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch


def stylist(*args: str, data_dir) -> subprocess.CompletedProcess:
    env = {**os.environ, "STYLIST_DATA_DIR": str(data_dir), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "stylist", *args], check=False, env=env, capture_output=True,
                          text=True, timeout=300)


def test_eval_looks_refuses_a_missing_or_broken_grid(data_dir, tmp_path):
    missing = stylist("eval", "looks", "--out", str(tmp_path / "out"), "--config", str(tmp_path / "no.toml"),
                      data_dir=data_dir)
    assert missing.returncode == 1 and missing.stderr.strip() == f"error: no ablation config at {tmp_path / 'no.toml'}"
    broken = tmp_path / "grid.toml"
    broken.write_text('seeds = [0]\nprompts = ["x"]\nusers = ["nobody"]\n[[systems]]\nname = "a"\npreset = "tiny"\n'
                      'identity = "face-adapter"\n')
    refused = stylist("eval", "looks", "--out", str(tmp_path / "out"), "--config", str(broken), data_dir=data_dir)
    assert refused.returncode == 1 and "does not exist" in refused.stderr and refused.stderr.count("\n") == 1


def test_the_bundled_grids_are_valid():
    from stylist.evaluate.ablation import cells, load_config
    from stylist.evaluate.looks_command import CONFIGS

    tiny, real = load_config(CONFIGS / "looks-tiny.toml"), load_config(CONFIGS / "looks.toml")
    assert {system.preset for system in tiny.systems} == {"tiny", "tiny-sd", "tiny-klein"}
    assert {system.preset for system in real.systems} == {"sdxl", "sd14", "klein"}
    assert set(real.clip_modes) == {"none", "rank", "guidance"} and len(cells(real)) > len(cells(tiny))
    # The three ways to a look with products: klein's references, the product IP-Adapter, the prompt alone.
    for grid in (tiny, real):
        assert "references" in {system.identity for system in grid.systems}
        assert {system.product_scale for system in grid.systems if system.identity == "lora"} == {None, 0.0}
        assert not [cell for cell in cells(grid) if cell.system.identity == "references" and cell.clip == "guidance"]


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message a machine without a GPU gets")
def test_bench_gpu_without_a_gpu_says_how_to_run_it_on_the_cpu(data_dir, tmp_path):
    result = stylist("--preset", "sdxl", "bench", "gpu", "--out", str(tmp_path / "gpu.json"), data_dir=data_dir)
    assert result.returncode == 1 and "need a CUDA GPU" in result.stderr and "--preset tiny" in result.stderr
    unknown = stylist("--preset", "tiny", "bench", "gpu", "--out", str(tmp_path / "gpu.json"), "--only", "magic",
                      data_dir=data_dir)
    assert unknown.returncode == 1 and "no benchmark named magic" in unknown.stderr
