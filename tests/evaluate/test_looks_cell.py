"""The real ablation cell on tiny: personalise, make a look, measure it with models that are not the ranker."""

from __future__ import annotations

import math

from stylist.evaluate.ablation import load_config, run_grid, write_report
from stylist.evaluate.looks_cell import LooksCells
from stylist.people.users import list_users
from stylist.settings import Settings
from tests.helpers.small_catalog import PRODUCTS, crawl

GRID = """
seeds = [0]
prompts = ["a red silk dress"]
users = ["{photos}"]
clip_modes = ["none", "guidance"]
options = 1
steps = 2

[[systems]]
name = "SDXL + DreamBooth-LoRA + product IP-Adapter"
preset = "tiny"
identity = "lora"

[[systems]]
name = "SDXL prompt only"
preset = "tiny"
identity = "lora"
product_scale = 0.0

[[systems]]
name = "klein references"
preset = "tiny-klein"
identity = "references"
"""
PRODUCT_METRICS = [f"{model}_products{region}" for model in ("clip_i", "dino", "fashion_clip") for region in ("", "_region")]


def test_cells_personalise_once_measure_and_clean_up(data_dir, tmp_path, good_photos, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    settings = Settings(data_dir=data_dir, preset="tiny", device="cpu")
    crawl(settings, PRODUCTS)
    config_file = tmp_path / "grid.toml"
    config_file.write_text(GRID.format(photos=good_photos[0].parent))
    config = load_config(config_file)
    out = tmp_path / "out"

    cells = LooksCells(data_dir, out, device="cpu", options=config.options, steps=config.steps, train_steps=2)
    results = run_grid(config, out, cells)
    # Two CLIP modes for each SDXL system, and no CLIP guidance on klein: skipped, not failed.
    assert sorted((r["system"], r["clip"]) for r in results) == [
        ("SDXL + DreamBooth-LoRA + product IP-Adapter", "guidance"), ("SDXL + DreamBooth-LoRA + product IP-Adapter", "none"),
        ("SDXL prompt only", "guidance"), ("SDXL prompt only", "none"), ("klein references", "none")]
    # One trained user shared by both LoRA systems (the identity does not depend on the product scale), one
    # untrained user for klein.
    users = list_users(settings)
    assert len(users) == 2
    (trained,) = [user for user in users if (user.folder / "identity" / "tiny").exists()]
    assert "LoRA" in trained.name
    for result in results:
        metrics = result["metrics"]
        for name in ("clip_t", "clip_i_person", "dino_person", "seconds", "peak_memory_mb", *PRODUCT_METRICS,
                     "products_referenced", "copy_paste"):
            assert math.isfinite(metrics[name]), name
        assert -1 <= metrics["clip_t"] <= 1 and metrics["seconds"] > 0
        assert metrics["copy_paste"] == 0  # random tiny models draw no face at all
        # The catalog has red dresses: the looks list products, drawn from their photos unless prompt only.
        assert metrics["products_referenced"] == (0.0 if result["system"] == "SDXL prompt only" else 1.0)

    report = write_report(out, results).read_text()
    assert "klein references | none | 1 |" in report and "fashion_clip_products_region" in report

    # A resumed run reuses the users it made; close() deletes them.
    again = LooksCells(data_dir, out, device="cpu", options=1, steps=2, train_steps=2)
    assert again.users == cells.users
    again.close()
    assert list_users(settings) == [] and not (out / "users.json").exists()
