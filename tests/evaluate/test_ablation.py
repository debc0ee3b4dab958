"""The ablation runner with a stand-in for the models: grid, resume, statistics, report, config errors."""

from __future__ import annotations

import json
import math

import pytest
from scipy import stats

from stylist.errors import StylistError
from stylist.evaluate.ablation import cells, load_config, read_results, run_grid, summarise, write_report

CONFIG = """
seeds = [0, 1, 2]
prompts = ["a red dress", "a wizard's robe"]
users = ["alice"]
clip_modes = ["none", "rank"]

[[systems]]
name = "SD 1.4 + DreamBooth"
preset = "tiny-sd"
identity = "dreambooth"

[[systems]]
name = "SDXL + face adapter"
preset = "tiny"
identity = "face-adapter"

[sweep]
system = "SD 1.4 + DreamBooth"
rank = [4, 8]
"""


@pytest.fixture
def config_file(tmp_path):
    (tmp_path / "alice").mkdir()
    path = tmp_path / "grid.toml"
    path.write_text(CONFIG)
    return path


def fake_metrics(cell):
    """Scores that depend on the cell in a known way: ranking adds 0.1, the face adapter is faster."""
    base = 0.2 + (0.1 if cell.clip == "rank" else 0.0) + 0.01 * cell.seed
    seconds = 1.0 if cell.system.identity == "face-adapter" else 5.0
    return {"clip_t": base, "seconds": seconds, "peak_memory_mb": 100.0, "identity": math.nan}


def test_grid_and_sweep_cover_every_combination_once(config_file):
    config = load_config(config_file)
    grid = cells(config)
    # 2 systems × 2 modes × 3 seeds × 2 prompts × 1 user, then 2 ranks × 3 seeds × 2 prompts.
    assert len(grid) == 24 + 12
    assert len({cell.key for cell in grid}) == len(grid)
    assert {cell.value for cell in grid if cell.setting == "rank"} == {4.0, 8.0}


def test_an_interrupted_run_resumes_without_measuring_a_cell_twice(config_file, tmp_path):
    config = load_config(config_file)
    out = tmp_path / "out"
    measured = []

    def dies_after_five(cell):
        if len(measured) == 5:
            raise KeyboardInterrupt
        measured.append(cell.key)
        return fake_metrics(cell)

    with pytest.raises(KeyboardInterrupt):
        run_grid(config, out, dies_after_five)
    # A half-written line, as a kill mid-write leaves, is ignored and its cell measured again.
    with (out / "results.jsonl").open("a") as log:
        log.write('{"key": "half')
    again = []
    results = run_grid(config, out, lambda cell: again.append(cell.key) or fake_metrics(cell))
    assert len(results) == 36
    assert not set(measured) & set(again)
    assert sorted(measured + again) == sorted(cell.key for cell in cells(config))
    assert len(list(read_results(out))) == 36


def test_summaries_give_the_mean_and_a_students_t_interval(config_file, tmp_path):
    results = run_grid(load_config(config_file), tmp_path / "out", fake_metrics)
    rows = {(row.group["system"], row.group["clip"]): row for row in summarise(
        [r for r in results if r["setting"] is None])}
    row = rows[("SDXL + face adapter", "rank")]
    values = [0.3 + 0.01 * seed for seed in (0, 1, 2) for _ in range(2)]
    assert row.n == 6
    assert row.mean["clip_t"] == pytest.approx(sum(values) / 6)
    assert row.ci95["clip_t"] == pytest.approx(stats.sem(values) * stats.t.ppf(0.975, 5))
    assert rows[("SDXL + face adapter", "rank")].mean["clip_t"] > rows[("SDXL + face adapter", "none")].mean["clip_t"]
    assert math.isnan(row.mean["identity"])  # NaN scores are left out, not averaged in as zeros


def test_the_report_has_tables_json_and_plots(config_file, tmp_path):
    out = tmp_path / "out"
    results = run_grid(load_config(config_file), out, fake_metrics)
    report = write_report(out, results, title="Tiny grid")
    text = report.read_text()
    assert "## Systems × CLIP modes" in text and "## Sensitivity" in text
    assert "| SD 1.4 + DreamBooth | rank | 6 |" in text
    summary = json.loads((out / "report.json").read_text())
    assert len(summary["grid"]) == 4 and len(summary["sweep"]) == 2
    plots = sorted(path.name for path in out.glob("*.png"))
    assert plots == ["clip_t-vs-peak_memory_mb.png", "clip_t-vs-seconds.png", "identity-vs-peak_memory_mb.png",
                     "identity-vs-seconds.png"]
    assert all((out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for name in plots)


@pytest.mark.parametrize("change, words", [
    ('identity = "face-adapter"', "identity 'magic'"),
    ('clip_modes = ["none", "rank"]', "unknown CLIP modes"),
    ("rank = [4, 8]", "cannot sweep"),
    ('users = ["alice"]', "does not exist"),
    ("seeds = [0, 1, 2]", "lacks or misspells"),
    ("[sweep]", "not valid TOML"),
    ('preset = "tiny"\nidentity = "face-adapter"', "goes with a reference-editing preset"),
])
def test_bad_configs_are_refused_with_a_reason(tmp_path, change, words):
    (tmp_path / "alice").mkdir()
    replacement = {
        'identity = "face-adapter"': 'identity = "magic"',
        'clip_modes = ["none", "rank"]': 'clip_modes = ["none", "psychic"]',
        "rank = [4, 8]": "noise = [4, 8]",
        'users = ["alice"]': 'users = ["bob"]',
        "seeds = [0, 1, 2]": "",
        "[sweep]": "[sweep",
        'preset = "tiny"\nidentity = "face-adapter"': 'preset = "tiny"\nidentity = "references"',
    }[change]
    path = tmp_path / "grid.toml"
    path.write_text(CONFIG.replace(change, replacement))
    with pytest.raises(StylistError, match=words):
        load_config(path)
    with pytest.raises(StylistError, match="no ablation config"):
        load_config(tmp_path / "missing.toml")
