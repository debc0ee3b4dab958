"""Both video backends run on tiny; real ones load from local copies and fail clearly without weights."""

from __future__ import annotations

import numpy as np
import pytest
from diffusers import ControlNetModel, MotionAdapter, UNetMotionModel, WanVACETransformer3DModel
from diffusers.models.embeddings import MultiIPAdapterImageProjection

from stylist.errors import StylistError
from stylist.models.locate import model_variable
from stylist.models.tiny import TINY_SD, build_pipeline, write_face_adapter
from stylist.presets import get_preset
from stylist.settings import Settings
from stylist.video.backends import load_backend
from stylist.video.poses import Placement, render, spin_poses
from stylist.video.tiny import TINY_ANIMATEDIFF, TINY_WAN, build_animatediff, build_wan_vace

VIDEO = get_preset("sdxl").video  # the real presets' video models


def load(tmp_path, name=None, preset="tiny", **options):
    """The backend as a spin loads it: the run's settings and its resolved preset."""
    settings = Settings(data_dir=tmp_path / "data", preset=preset, device="cpu")
    return load_backend(get_preset(preset), settings.device, name, **options)


def pose_frames(count: int, size: tuple[int, int]):
    pose = spin_poses(count, Placement(scale=size[1] * 0.5, ground_x=size[0] / 2, ground_y=size[1] * 0.95))
    return [render(pose(index), size) for index in range(count)]


@pytest.mark.parametrize(("name", "frames"), [("wan-vace", 5), ("animatediff", 8)])
def test_each_backend_runs_on_tiny(tmp_path, astronaut, name, frames):
    backend = load(tmp_path, name)
    assert backend.name == name and load(tmp_path, name) is backend  # loaded once per process
    poses = pose_frames(frames, backend.recipe.size)

    def run(seed):
        return np.stack(backend.generate(astronaut, poses, context=[], prompt="a person turning", seed=seed))

    first, again, other = run(0), run(0), run(1)
    width, height = backend.recipe.size
    assert first.shape == (frames, height, width, 3)
    assert np.isfinite(first).all() and first.min() >= 0 and first.max() <= 1
    assert np.array_equal(first, again) and not np.allclose(first, other, atol=1e-2)


def test_the_preset_picks_the_backend(tmp_path):
    assert load(tmp_path).name == "wan-vace"  # tiny is SDXL-shaped, like sdxl
    with pytest.raises(StylistError, match="unknown video backend 'svd'"):
        load(tmp_path, "svd")


def test_the_animatediff_backend_has_its_parts(tmp_path):
    pipeline = load(tmp_path, "animatediff").pipeline
    assert isinstance(pipeline.unet, UNetMotionModel) and isinstance(pipeline.controlnet, ControlNetModel)
    assert isinstance(pipeline.unet.encoder_hid_proj, MultiIPAdapterImageProjection)  # the look's IP-Adapter


@pytest.mark.parametrize(("preset", "name", "repo"), [
    ("sdxl", "wan-vace", VIDEO.wan_vace),
    ("sd14", "animatediff", VIDEO.animatediff_base),
    ("sd14", "wan-vace", VIDEO.wan_vace),
])
def test_a_real_backend_without_weights_says_which_model_is_missing(tmp_path, offline, preset, name, repo):
    with pytest.raises(StylistError) as error:
        load(tmp_path, name, preset, cached=False)
    message = str(error.value)
    # sd14 spins with AnimateDiff, so its Wan VACE is fetched by naming the backend.
    command = f"stylist --preset {preset} models fetch" + (" --video wan-vace" if preset == "sd14" and name == "wan-vace" else "")
    assert message.startswith(f"the {preset} preset needs {repo}: fetch it with `{command}`")
    assert f"$STYLIST_MODELS_DIR/{repo}" in message and "\n" not in message


@pytest.fixture
def local_copies(tmp_path, offline, monkeypatch):
    """The real backends' repositories laid out as on the hub, holding tiny weights, named by STYLIST_MODEL_*."""
    def place(repo: str):
        folder = tmp_path / "copies" / repo
        monkeypatch.setenv(model_variable(repo), str(folder))
        return folder

    build_wan_vace(TINY_WAN).save_pretrained(place(VIDEO.wan_vace))
    # An SD 1.5 repository holds the image UNet; the motion adapter, ControlNet and look adapter fit it.
    image, sd = build_pipeline(TINY_SD), place(VIDEO.animatediff_base)
    for part in ("unet", "vae", "text_encoder", "tokenizer"):
        getattr(image, part).save_pretrained(sd / part)
    animatediff = build_animatediff(TINY_ANIMATEDIFF)
    animatediff.motion_adapter.save_pretrained(place(VIDEO.motion_adapter))
    animatediff.controlnet.save_pretrained(place(VIDEO.pose_controlnet))
    write_face_adapter(image.unet, VIDEO.look_adapter, place(VIDEO.look_adapter.repo))
    return tmp_path / "copies"


def test_real_backends_load_from_local_copies(tmp_path, local_copies):
    wan = load(tmp_path, "wan-vace", "sdxl", cached=False)
    assert isinstance(wan.model, WanVACETransformer3DModel) and wan.recipe.size == (512, 768)
    assert wan.pipeline.vae.dtype.is_floating_point
    animatediff = load(tmp_path, "animatediff", "sd14", cached=False)
    assert isinstance(animatediff.model, UNetMotionModel) and animatediff.recipe.max_frames == 16
    assert isinstance(animatediff.pipeline.motion_adapter, MotionAdapter)
    assert isinstance(animatediff.model.encoder_hid_proj, MultiIPAdapterImageProjection)


def test_an_incomplete_local_copy_is_refused(tmp_path, local_copies):
    (local_copies / VIDEO.motion_adapter / "diffusion_pytorch_model.safetensors").unlink()
    with pytest.raises(StylistError, match=f"the copy of {VIDEO.motion_adapter} in .* lacks diffusion_pytorch_model.safetensors: "):
        load(tmp_path, "animatediff", "sd14", cached=False)
