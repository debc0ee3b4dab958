"""`stylist video ...` as a person runs it: a separate process, its exit code, its output, its files.

The two spins here run the CLI's defaults (3 s at 8 fps: 24 frames) on each tiny backend, at the smallest
size that backend takes; AnimateDiff's 16-frame window makes it two overlapping windows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.video.media import assert_spin_files


def stylist(data_dir, *args, timeout=300):
    # One torch thread: see one_torch_thread in tests/conftest.py.
    env = {**os.environ, "STYLIST_DATA_DIR": str(data_dir), "STYLIST_PRESET": "tiny", "STYLIST_DEVICE": "cpu",
           "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "stylist", *map(str, args)], check=False, env=env,
                          capture_output=True, text=True,
                          timeout=timeout)


def one_error_line(result) -> str:
    assert result.returncode == 1, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_video_image_makes_the_default_spin_with_json(tmp_path, astronaut_png):
    out = tmp_path / "clips" / "spin.mp4"
    result = stylist(tmp_path / "data", "video", astronaut_png, "--out", out, "--poses-out", tmp_path / "poses", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer == {"path": str(out.resolve()), "gif": str(out.with_suffix(".gif").resolve()), "seconds": 3.0,
                      "fps": 8, "frames": 24, "backend": "wan-vace"}
    assert_spin_files(out, out.with_suffix(".gif"), 24, 8, size=(32, 48))
    assert len(list((tmp_path / "poses").glob("pose-*.png"))) == 24


def test_video_spin_with_the_animatediff_backend(tmp_path, astronaut_png):
    out = tmp_path / "spin.mp4"
    result = stylist(tmp_path / "data", "video", "spin", astronaut_png, "--out", out, "--backend", "animatediff")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"spin: {out.resolve()} and spin.gif, 24 frames (3 s at 8 fps) with animatediff")
    assert_spin_files(out, out.with_suffix(".gif"), 24, 8, size=(16, 24))


@pytest.mark.parametrize(("args", "words"), [
    (["--seconds", "0"], "1 to 10 seconds"),
    (["--seconds", "30"], "1 to 10 seconds"),
    (["--fps", "1"], "4 to 30 whole frames"),
    (["--fps", "120"], "4 to 30 whole frames"),
])
def test_out_of_range_seconds_and_fps_are_refused(tmp_path, astronaut_png, args, words):
    line = one_error_line(stylist(tmp_path / "data", "video", astronaut_png, "--out", tmp_path / "x.mp4", *args))
    assert words in line and not (tmp_path / "x.mp4").exists()


def test_a_corrupt_image_is_one_error_line(tmp_path):
    corrupt = tmp_path / "look.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    line = one_error_line(stylist(tmp_path / "data", "video", corrupt, "--out", tmp_path / "x.mp4"))
    assert line == f"error: {corrupt}: the file is not a readable image"


def test_a_real_preset_without_weights_names_the_model(tmp_path, astronaut_png, monkeypatch):
    (tmp_path / "models").mkdir()
    for variable, value in {"HF_HUB_OFFLINE": "1", "HF_HOME": tmp_path / "hf", "STYLIST_MODELS_DIR": tmp_path / "models"}.items():
        monkeypatch.setenv(variable, str(value))
    result = stylist(tmp_path / "data", "--preset", "sdxl", "video", astronaut_png, "--out", tmp_path / "x.mp4")
    line = one_error_line(result)
    assert line.startswith("error: a spin on the sdxl preset cannot start: a model is not on this machine: "
                           "Wan-AI/Wan2.1-VACE-1.3B-diffusers (spin: video model, about 15.0 GB)")
    assert line.endswith("`stylist --preset sdxl models fetch` gets them where there is network access")
    # sd14's AnimateDiff spin reads four repositories: all named at once, before anything is tried.
    line = one_error_line(stylist(tmp_path / "data", "--preset", "sd14", "video", astronaut_png, "--out", tmp_path / "x.mp4"))
    assert line.startswith("error: a spin on the sd14 preset cannot start: 4 models are not on this machine: ")


def test_video_alone_shows_help_and_usage_errors_exit_2(tmp_path):
    shown = stylist(tmp_path / "data", "video")
    assert shown.returncode == 0 and "IMAGE --out FILE.mp4" in shown.stdout and "finetune" in shown.stdout
    missing_out = stylist(tmp_path / "data", "video", "look.png")
    assert missing_out.returncode == 2 and "--out" in missing_out.stderr


def test_make_pairs_then_finetune(tmp_path):
    pairs = tmp_path / "pairs"
    made = stylist(tmp_path / "data", "video", "make-pairs", pairs, "--variants", "1", "--seconds", "1.5",
                   "--width", "32", "--height", "48", "--json")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout) == {"folder": str(pairs.resolve()), "pose_clips": 4, "real_clips": 0, "skipped": []}

    tuned = stylist(tmp_path / "data", "video", "finetune", pairs, "--steps", "2", "--frames", "5", "--json")
    assert tuned.returncode == 0, tuned.stderr
    answer = json.loads(tuned.stdout)
    assert answer["backend"] == "wan-vace" and answer["steps"] == 2 and answer["clips"] == 4
    assert answer["adapter"] == str((tmp_path / "data" / "models" / "video" / "tiny-wan-vace").resolve())
    assert (tmp_path / "data" / "models" / "video" / "tiny-wan-vace" / "video_adapter.safetensors").is_file()

    empty = tmp_path / "empty"
    empty.mkdir()
    assert "has no metadata.jsonl" in one_error_line(stylist(tmp_path / "data", "video", "finetune", empty))
