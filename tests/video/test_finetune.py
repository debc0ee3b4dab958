"""The attention fine-tune learns, touches nothing but attention projections, and its adapter changes spins."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import numpy as np
import pytest
from safetensors.torch import load_file, save_file

from stylist.errors import StylistError
from stylist.presets import get_preset
from stylist.settings import Settings
from stylist.video import adapters
from stylist.video.backends import load_backend
from stylist.video.finetune import FinetuneConfig, Trainer, finetune, load_clip
from stylist.video.pairs import MOTIONS, make_pairs, read_pairs
from stylist.video.poses import Placement, render, spin_poses
from stylist.video.spin import make_spin
from tests.video.media import read_video

TINY = get_preset("tiny")
PROJECTION = re.compile(r".*\.(to_q|to_k|to_v|to_out\.0)\.lora_[AB]\.spin-finetune\.weight")


def settings_for(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", preset="tiny", device="cpu")


def test_make_pairs_writes_labelled_pose_clips_and_real_ones(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    make_pairs(tmp_path / "source", variants=1, seconds=1, fps=8, size=(32, 48))
    (real / "walk.mp4").write_bytes((tmp_path / "source" / "pose-0-0.mp4").read_bytes())
    (real / "walk.txt").write_text("a person walking towards the camera\n")
    (real / "uncaptioned.mp4").write_bytes((tmp_path / "source" / "pose-1-0.mp4").read_bytes())

    report = make_pairs(tmp_path / "pairs", variants=2, seconds=1, fps=8, size=(32, 48), real=real)
    assert (report.pose_clips, report.real_clips) == (2 * len(MOTIONS), 1)
    assert report.skipped == ["uncaptioned.mp4: no caption in uncaptioned.txt"]
    lines = [json.loads(line) for line in (tmp_path / "pairs" / "metadata.jsonl").read_text().splitlines()]
    assert len(lines) == 2 * len(MOTIONS) + 1
    assert {line["text"] for line in lines[:-1]} == {f"a person {motion}, full body" for motion in MOTIONS}
    assert lines[-1]["text"] == "a person walking towards the camera"
    for line in lines:
        clip = read_video(tmp_path / "pairs" / line["file_name"])
        assert len(clip["frames"]) == 8 and clip["size"] == (32, 48)
    # The two variants of a motion stand differently.
    first, second = (np.stack(read_video(tmp_path / "pairs" / f"pose-0-{n}.mp4")["frames"]) for n in (0, 1))
    assert not np.array_equal(first, second)
    with pytest.raises(StylistError, match="not empty"):
        make_pairs(tmp_path / "pairs")


def test_the_loss_falls_and_only_attention_projections_change(tmp_path, pairs):
    backend = load_backend(TINY, settings_for(tmp_path).device, "wan-vace", cached=False)
    model = backend.model
    before = {name: parameter.detach().clone() for name, parameter in model.named_parameters()}
    frames = backend.window_frames(8)
    clips = [(pair, load_clip(pair.path, frames, backend.recipe.size)) for pair in read_pairs(pairs)]
    trainer = Trainer(backend, clips, FinetuneConfig(steps=25, rank=4, learning_rate=2e-3, frames=frames))

    initial = trainer.evaluate()
    trainer.train(None)
    final = trainer.evaluate()
    assert final < 0.95 * initial

    trained = {name for name, parameter in model.named_parameters() if parameter.requires_grad}
    assert trained and all(PROJECTION.fullmatch(name) for name in trained), sorted(trained)[:4]
    # LoRA on every attention projection of every block, self- and cross-attention, VACE blocks included.
    projections = {name.rsplit(".lora_", 1)[0] for name in trained}
    assert len(projections) == 4 * 2 * (3 + 2)  # q, k, v, out × attn1, attn2 × 3 blocks + 2 VACE blocks
    for name, parameter in model.named_parameters():
        if "lora_" not in name:  # frozen weights, under PEFT's base_layer name where LoRA wraps them
            assert torch_equal(parameter, before[name.replace(".base_layer", "")]), name
    assert all(parameter.abs().sum() > 0 for name, parameter in model.named_parameters() if "lora_B" in name)


def torch_equal(a, b) -> bool:
    return bool((a.detach() == b).all())


def test_the_adapter_changes_spins_and_unloads_cleanly(tmp_path, pairs, astronaut):
    settings = settings_for(tmp_path)
    result = finetune(settings, pairs, config=FinetuneConfig(steps=4, rank=4, learning_rate=1e-2, frames=5))
    assert result.adapter == adapters.default_adapter_folder(settings, "wan-vace").resolve()
    assert result.clips == 4 and result.steps == 4 and 0 < result.trainable_parameters
    assert set(result.to_json()) == {"backend", "preset", "steps", "clips", "initial_loss", "final_loss", "seconds",
                                     "trainable_parameters", "adapter"}

    backend = load_backend(TINY, settings.device)
    size = backend.recipe.size
    pose = spin_poses(5, Placement(scale=24.0, ground_x=16.0, ground_y=46.0))
    poses = [render(pose(index), size) for index in range(5)]

    def run():
        return np.stack(backend.generate(astronaut, poses, context=[], prompt="a person turning", seed=0))

    backend.use_adapter(None)
    plain = run()
    backend.use_adapter(result.adapter)
    tuned = run()
    assert np.abs(tuned - plain).max() > 1e-3
    backend.use_adapter(None)
    assert np.array_equal(run(), plain)
    # A spin picks up the preset's trained adapter by itself.
    make_spin(settings, astronaut, tmp_path / "spin.mp4", seconds=1, fps=4)
    assert backend.adapter == adapters.version(result.adapter)
    backend.use_adapter(None)


def test_animatediff_trains_only_its_motion_attention_and_the_adapter_loads_back(tmp_path, pairs, astronaut):
    settings = settings_for(tmp_path)
    result = finetune(settings, pairs, backend="animatediff",
                      config=FinetuneConfig(steps=3, rank=2, learning_rate=1e-2, frames=8), out=tmp_path / "adapter")
    state = load_file(tmp_path / "adapter" / adapters.WEIGHTS_FILE)
    assert state and all("motion_modules" in key and re.search(r"(to_q|to_k|to_v|to_out\.0)\.lora_[AB]", key)
                          for key in state)

    backend = load_backend(TINY, settings.device, "animatediff")
    size = backend.recipe.size
    pose = spin_poses(8, Placement(scale=12.0, ground_x=8.0, ground_y=23.0))
    poses = [render(pose(index), size) for index in range(8)]
    backend.use_adapter(None)
    plain = np.stack(backend.generate(astronaut, poses, context=[], prompt="a turn", seed=0))
    backend.use_adapter(result.adapter)
    tuned = np.stack(backend.generate(astronaut, poses, context=[], prompt="a turn", seed=0))
    backend.use_adapter(None)
    assert np.abs(tuned - plain).max() > 1e-4
    # Weights made for one backend never load into the other.
    with pytest.raises(StylistError, match="trained for animatediff on the tiny preset, not wan-vace"):
        load_backend(TINY, settings.device, "wan-vace").use_adapter(result.adapter)


def test_a_folder_without_usable_clips_is_refused(tmp_path):
    settings = settings_for(tmp_path)
    with pytest.raises(StylistError, match="is not a folder"):
        finetune(settings, tmp_path / "nowhere")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(StylistError, match=r"has no metadata\.jsonl"):
        finetune(settings, empty)
    # A text file dressed as a clip, a clip too short to train on, a line naming nothing, a line that is not JSON.
    (empty / "fake.mp4").write_text("not a video")
    make_pairs(tmp_path / "short", variants=1, seconds=0.5, fps=4, size=(32, 48))  # 2 frames each
    (empty / "short.mp4").write_bytes((tmp_path / "short" / "pose-0-0.mp4").read_bytes())
    (empty / "metadata.jsonl").write_text(
        '{"file_name": "fake.mp4", "text": "a turn"}\n{"file_name": "short.mp4", "text": "a turn"}\n'
        '{"file_name": "gone.mp4", "text": "a turn"}\nnot json\n')
    with pytest.raises(StylistError, match=r"has no usable video–text pairs: .* at least 9 frames"):
        finetune(settings, empty)
    assert not adapters.default_adapter_folder(settings, "wan-vace").exists()


def test_a_damaged_adapter_is_refused(tmp_path):
    settings = settings_for(tmp_path)
    backend = load_backend(TINY, settings.device, cached=False)
    folder = tmp_path / "adapter"
    info = adapters.AdapterInfo(backend="wan-vace", preset="tiny", rank=2, alpha=2.0, targets=backend.lora_targets)
    adapters.add_adapter(backend.model, info)
    adapters.save_adapter(backend.model, info, folder)
    adapters.remove_adapter(backend.model)
    state = load_file(folder / adapters.WEIGHTS_FILE)
    save_file(dict(list(state.items())[1:]), folder / adapters.WEIGHTS_FILE)
    with pytest.raises(StylistError, match=r"does not fit the wan-vace model \(1 weights missing"):
        backend.use_adapter(folder)
    assert not any("lora_" in name for name, _ in backend.model.named_parameters())
    with pytest.raises(StylistError, match="holds no video adapter"):
        backend.use_adapter(tmp_path)
    assert replace(info, rank=4).lora_config().r == 4
