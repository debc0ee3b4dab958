"""The real ablation cell on tiny: personalise, make a look, measure it with models that are not the ranker."""

from __future__ import annotations

import math

from stylist.evaluate.ablation import load_config, run_grid
from stylist.evaluate.looks_cell import LooksCells
from stylist.people.users import list_users
from stylist.settings import Settings
from tests.looks.conftest import PRODUCTS, crawl
from tests.people.conftest import good_photos  # noqa: F401  (four photos of one person)

GRID = """
seeds = [0]
prompts = ["a red silk dress"]
users = ["{photos}"]
clip_modes = ["none", "guidance"]
options = 1
steps = 2

[[systems]]
name = "SDXL + DreamBooth-LoRA"
preset = "tiny"
identity = "lora"
"""


def test_cells_personalise_once_measure_and_clean_up(data_dir, tmp_path, good_photos, monkeypatch):  # noqa: F811
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    settings = Settings(data_dir=data_dir, preset="tiny", device="cpu")
    crawl(settings, PRODUCTS)
    config_file = tmp_path / "grid.toml"
    config_file.write_text(GRID.format(photos=good_photos[0].parent))
    config = load_config(config_file)
    out = tmp_path / "out"

    cells = LooksCells(data_dir, out, device="cpu", options=config.options, steps=config.steps, train_steps=2)
    results = run_grid(config, out, cells)
    assert len(results) == 2
    # One user for the system, personalised once for both CLIP modes.
    (user,) = list_users(settings)
    assert "LoRA" in user.name and (user.folder / "identity" / "tiny").exists()
    for result in results:
        metrics = result["metrics"]
        for name in ("clip_t", "clip_i_person", "dino_person", "seconds", "peak_memory_mb"):
            assert math.isfinite(metrics[name]), name
        assert -1 <= metrics["clip_t"] <= 1 and metrics["seconds"] > 0
        assert "clip_i_products" in metrics  # the catalog has red dresses: the look lists products

    # A resumed run reuses the users it made; close() deletes them.
    again = LooksCells(data_dir, out, device="cpu", options=1, steps=2, train_steps=2)
    assert again.users == cells.users
    again.close()
    assert list_users(settings) == [] and not (out / "users.json").exists()
