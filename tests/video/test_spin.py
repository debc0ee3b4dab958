"""make_spin, as the web worker calls it: files, progress, seeds, kept models and every kind of bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from stylist.errors import StylistError
from stylist.presets import get_preset
from stylist.progress import Progress
from stylist.settings import Settings
from stylist.video import backends
from stylist.video.spin import Spin, make_spin
from tests.helpers.images import png_bomb
from tests.video.media import assert_spin_files, read_video


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", preset="tiny", device="cpu")


def test_a_short_spin_on_tiny(settings, tmp_path, astronaut_png):
    reported: list[Progress] = []
    spin = make_spin(settings, astronaut_png, tmp_path / "out" / "spin.mp4", seconds=1, fps=4,
                     poses_out=tmp_path / "poses", on_progress=reported.append)
    progress = [each.fraction for each in reported]

    assert isinstance(spin, Spin) and spin.backend == "wan-vace"
    assert spin.mp4 == (tmp_path / "out" / "spin.mp4").resolve() and spin.gif == spin.mp4.with_suffix(".gif")
    assert spin.to_json() == {"path": str(spin.mp4), "gif": str(spin.gif), "seconds": 1.0, "fps": 4, "frames": 4,
                              "backend": "wan-vace"}
    assert_spin_files(spin.mp4, spin.gif, 4, 4, size=(32, 48))
    assert sorted(path.name for path in (tmp_path / "poses").iterdir()) == [f"pose-00{i}.png" for i in range(4)]
    assert progress == sorted(progress) and progress[-1] == 1.0 and len(progress) > 2
    assert [path.name for path in (tmp_path / "out").iterdir()] != [] and not list((tmp_path / "out").glob(".*"))


def test_the_seed_decides_the_video_and_the_model_stays_loaded(settings, tmp_path, astronaut):
    loaded = backends.load_backend(get_preset("tiny"), settings.device)
    first = make_spin(settings, astronaut, tmp_path / "a.mp4", seconds=1, fps=4, seed=5)
    again = make_spin(settings, astronaut, tmp_path / "b.mp4", seconds=1, fps=4, seed=5)
    other = make_spin(settings, astronaut, tmp_path / "c.mp4", seconds=1, fps=4, seed=6)
    assert backends.load_backend(get_preset("tiny"), settings.device) is loaded  # one model for every spin in the process
    frames = [np.stack(read_video(spin.mp4)["frames"]).astype(int) for spin in (first, again, other)]
    assert np.array_equal(frames[0], frames[1])
    assert np.abs(frames[0] - frames[2]).mean() > 1


@pytest.mark.parametrize(("seconds", "fps", "words"), [
    (0.5, 8, "1 to 10 seconds"), (11, 8, "1 to 10 seconds"), (3, 2, "4 to 30 whole frames"),
    (3, 60, "4 to 30 whole frames"), (1.1, 8, "whole number"),
])
def test_out_of_range_lengths_and_rates_are_refused(settings, tmp_path, astronaut, monkeypatch, seconds, fps, words):
    monkeypatch.setattr(backends, "_build", lambda *args: pytest.fail("a refused spin must not load a model"))
    with pytest.raises(StylistError, match=words):
        make_spin(settings, astronaut, tmp_path / "spin.mp4", seconds=seconds, fps=fps)
    assert not (tmp_path / "spin.mp4").exists()


def bad_images(folder):
    (folder / "notes.png").write_text("not a picture\n" * 10)
    (folder / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)
    (folder / "empty.png").write_bytes(b"")
    (folder / "bomb.png").write_bytes(png_bomb())
    (folder / "album").mkdir()
    return {"notes.png": "not a readable image", "corrupt.jpg": "not a readable image", "empty.png": "empty",
            "bomb.png": "too many pixels", "album": "folder", "missing.png": "does not exist"}


def test_a_bad_image_is_the_users_error(settings, tmp_path, monkeypatch):
    monkeypatch.setattr(backends, "_build", lambda *args: pytest.fail("a refused spin must not load a model"))
    for name, words in bad_images(tmp_path).items():
        with pytest.raises(StylistError, match=words) as error:
            make_spin(settings, tmp_path / name, tmp_path / "spin.mp4")
        assert str(error.value).startswith(f"{tmp_path / name}: ")


def test_the_output_must_be_an_mp4_and_the_backend_known(settings, tmp_path, astronaut):
    with pytest.raises(StylistError, match=r"ending in \.mp4"):
        make_spin(settings, astronaut, tmp_path / "spin.gif")
    with pytest.raises(StylistError, match="unknown video backend"):
        make_spin(settings, astronaut, tmp_path / "spin.mp4", backend="sora")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("backend", ["wan-vace", "animatediff"])
def test_a_spin_on_the_gpu_in_half_precision(tmp_path, astronaut, backend):
    settings = Settings(data_dir=tmp_path / "data", preset="tiny", device="cuda")
    spin = make_spin(settings, astronaut, tmp_path / "spin.mp4", seconds=1, fps=8, backend=backend)
    assert_spin_files(spin.mp4, spin.gif, 8, 8)
