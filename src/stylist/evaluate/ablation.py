"""The ablation grid behind `stylist eval looks`: every cell run once, resumably, then summarised.

A grid is systems × CLIP modes × seeds × prompts × users (less CLIP guidance on reference-editing systems,
which draw from the products' own photos and cannot be steered by a CLIP), plus an optional sensitivity
sweep that varies one training setting at a time around a system's defaults. Each finished cell is one
line of `results.jsonl`, written as soon as it is measured, so an interrupted run picks up where it
stopped and never measures a cell twice. The runner knows nothing of models: it is handed `run_cell`, which turns a
cell into metric values (evaluate/looks_cell.py for the real one, a stand-in in tests).
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from itertools import product
from pathlib import Path
from typing import Any

from scipy import stats

from stylist.errors import StylistError
from stylist.presets import get_preset
from stylist.progress import Progress, ProgressCallback

CLIP_MODES = ("none", "rank", "guidance")
IDENTITIES = ("dreambooth", "lora", "face-adapter", "references")
# Training settings a sweep may vary, as DreamBoothConfig names them.
SWEEPABLE = ("rank", "steps", "learning_rate", "prior_weight")
RESULTS = "results.jsonl"


@dataclass(frozen=True)
class System:
    """A way of making looks: a preset, how it learns the person, and how strongly the products' photos steer it."""

    name: str
    preset: str
    # "dreambooth" (full UNet), "lora" (DreamBooth-LoRA), "face-adapter" (no training) or "references" (klein:
    # the person's and the products' photos as references, no training)
    identity: str
    product_scale: float | None = None  # the product IP-Adapter's scale; 0 names the products in the prompt only

    @property
    def clip_modes(self) -> tuple[str, ...]:
        """The CLIP modes this system can run: reference editing has no CLIP guidance."""
        return tuple(mode for mode in CLIP_MODES if mode != "guidance" or self.identity != "references")


@dataclass(frozen=True)
class Cell:
    system: System
    clip: str
    seed: int
    prompt: str
    user: str  # a folder of the person's photos
    setting: str | None = None  # the swept training setting, if this cell belongs to the sweep
    value: float | None = None

    @property
    def key(self) -> str:
        """Names the cell in results.jsonl; the same grid run again finds its finished cells by it."""
        sweep = f"|{self.setting}={self.value}" if self.setting else ""
        return f"{self.system.name}|{self.clip}|{self.seed}|{self.prompt}|{self.user}{sweep}"


@dataclass(frozen=True)
class AblationConfig:
    systems: tuple[System, ...]
    clip_modes: tuple[str, ...]
    seeds: tuple[int, ...]
    prompts: tuple[str, ...]
    users: tuple[str, ...]
    options: int = 4
    steps: int | None = None  # sampling steps; None keeps each preset's default
    # Swept settings: the system they are swept on and the values of each.
    sweep_system: str | None = None
    sweep: dict[str, tuple[float, ...]] = field(default_factory=dict)


def load_config(path: Path) -> AblationConfig:
    """Read a grid from TOML (see src/stylist/evaluate/configs/); user folders are relative to the file."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StylistError(f"no ablation config at {path}") from None
    except tomllib.TOMLDecodeError as error:
        raise StylistError(f"{path} is not valid TOML: {error}") from None
    try:
        systems = tuple(System(s["name"], s["preset"], s["identity"],
                               None if s.get("product_scale") is None else float(s["product_scale"]))
                        for s in raw["systems"])
        config = AblationConfig(
            systems=systems,
            clip_modes=tuple(raw.get("clip_modes", CLIP_MODES)),
            seeds=tuple(int(seed) for seed in raw["seeds"]),
            prompts=tuple(raw["prompts"]),
            users=tuple(str((Path(path).parent / user).resolve()) for user in raw["users"]),
            options=int(raw.get("options", 4)),
            steps=raw.get("steps"),
            sweep_system=raw.get("sweep", {}).get("system"),
            sweep={name: tuple(values) for name, values in raw.get("sweep", {}).items() if name != "system"},
        )
    except (KeyError, TypeError, ValueError) as error:
        raise StylistError(f"{path} lacks or misspells a setting: {error}") from None
    _check(config, path)
    return config


def _check(config: AblationConfig, path: Path) -> None:
    if not (config.systems and config.seeds and config.prompts and config.users):
        raise StylistError(f"{path} needs at least one system, seed, prompt and user")
    for system in config.systems:
        if system.identity not in IDENTITIES:
            raise StylistError(f"{path}: system {system.name!r} has identity {system.identity!r}; "
                               f"choose one of {', '.join(IDENTITIES)}")
        if (system.identity == "references") != get_preset(system.preset).edits_references:
            raise StylistError(f"{path}: system {system.name!r}: identity \"references\" goes with a reference-editing "
                               f"preset (klein, tiny-klein) and only with one, not with {system.preset!r}")
    unknown = set(config.clip_modes) - set(CLIP_MODES)
    if unknown:
        raise StylistError(f"{path}: unknown CLIP modes {sorted(unknown)}; choose from {', '.join(CLIP_MODES)}")
    unknown = set(config.sweep) - set(SWEEPABLE)
    if unknown:
        raise StylistError(f"{path}: cannot sweep {sorted(unknown)}; sweepable: {', '.join(SWEEPABLE)}")
    if config.sweep and config.sweep_system not in {system.name for system in config.systems}:
        raise StylistError(f"{path}: [sweep] must name one of the systems as `system`")
    for user in config.users:
        if not Path(user).is_dir():
            raise StylistError(f"{path}: the user folder {user} does not exist")


def cells(config: AblationConfig) -> list[Cell]:
    """The grid, then the sweep: each swept setting varied alone, with CLIP ranking on, every seed/prompt/user.

    A system leaves out the CLIP modes it cannot run (CLIP guidance on klein) rather than failing the grid."""
    grid = [Cell(system, clip, seed, prompt, user) for system, clip, seed, prompt, user in
            product(config.systems, config.clip_modes, config.seeds, config.prompts, config.users)
            if clip in system.clip_modes]
    swept = next((s for s in config.systems if s.name == config.sweep_system), None)
    for setting, values in config.sweep.items():
        grid += [Cell(swept, "rank", seed, prompt, user, setting, float(value)) for value, seed, prompt, user in
                 product(values, config.seeds, config.prompts, config.users)]
    return grid


RunCell = Callable[[Cell], dict[str, float]]


def run_grid(config: AblationConfig, out_dir: Path, run_cell: RunCell,
             on_progress: ProgressCallback | None = None) -> list[dict[str, Any]]:
    """Measure every cell not measured yet into out_dir/results.jsonl; returns every result, old and new.

    `on_progress` hears of each cell as it starts, with the system and CLIP mode it measures."""
    out_dir.mkdir(parents=True, exist_ok=True)
    _drop_partial_line(out_dir / RESULTS)
    results = list(read_results(out_dir))
    done = {result["key"] for result in results}
    todo = [cell for cell in cells(config) if cell.key not in done]
    with (out_dir / RESULTS).open("a", encoding="utf-8") as log:
        for index, cell in enumerate(todo):
            if on_progress:
                on_progress(Progress("cells", index, len(todo), unit="cell",
                                     details={"system": cell.system.name, "clip": cell.clip}))
            result = {"key": cell.key, **_cell_json(cell), "metrics": run_cell(cell)}
            log.write(json.dumps(result) + "\n")
            log.flush()  # a kill after this line loses nothing measured
            results.append(result)
    return results


def _drop_partial_line(path: Path) -> None:
    """Cut the half-written last line a killed run leaves, so the next line appended starts on its own."""
    if not path.exists():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        path.write_bytes(data[: data.rfind(b"\n") + 1])


def read_results(out_dir: Path) -> Iterator[dict[str, Any]]:
    path = out_dir / RESULTS
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            continue  # the half-written last line of a killed run: that cell runs again


def _cell_json(cell: Cell) -> dict[str, Any]:
    return {"system": cell.system.name, "preset": cell.system.preset, "identity": cell.system.identity,
            "clip": cell.clip, "seed": cell.seed, "prompt": cell.prompt, "user": cell.user,
            "setting": cell.setting, "value": cell.value}


@dataclass(frozen=True)
class Summary:
    """One row of the report: a group of cells and each metric's mean with its 95% confidence interval."""

    group: dict[str, Any]
    n: int
    mean: dict[str, float]
    ci95: dict[str, float]  # half-width: the mean is mean ± ci95


def summarise(results: list[dict[str, Any]], by: tuple[str, ...] = ("system", "clip")) -> list[Summary]:
    """Mean ± 95% CI (Student's t, so that 2–5 seeds are not overstated) of each metric per group.

    NaN values (an identity score where no face was found) are left out of their metric's mean.
    """
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for result in results:
        groups.setdefault(tuple(result[name] for name in by), []).append(result)
    rows = []
    for values, members in groups.items():
        names = sorted({metric for member in members for metric in member["metrics"]})
        mean, ci95 = {}, {}
        for name in names:
            xs = [m["metrics"][name] for m in members if name in m["metrics"] and not math.isnan(m["metrics"][name])]
            mean[name], ci95[name] = _mean_ci(xs)
        rows.append(Summary(dict(zip(by, values)), len(members), mean, ci95))
    return rows


def _mean_ci(xs: list[float]) -> tuple[float, float]:
    if not xs:
        return math.nan, math.nan
    mean = sum(xs) / len(xs)
    if len(xs) < 2:
        return mean, math.nan
    sem = stats.sem(xs)
    return mean, float(sem * stats.t.ppf(0.975, len(xs) - 1)) if sem > 0 else 0.0


def markdown_table(rows: list[Summary], metrics: list[str]) -> str:
    group_names = list(rows[0].group) if rows else []
    header = [*group_names, "n", *metrics]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for row in rows:
        cells_text = [str(row.group[name]) for name in group_names] + [str(row.n)]
        cells_text += [_format(row.mean.get(m, math.nan), row.ci95.get(m, math.nan)) for m in metrics]
        lines.append("| " + " | ".join(cells_text) + " |")
    return "\n".join(lines)


def _format(mean: float, ci: float) -> str:
    if math.isnan(mean):
        return "–"
    return f"{mean:.4g}" if math.isnan(ci) else f"{mean:.4g} ± {ci:.2g}"


# What a plot puts on its x axis, when the cells measured it.
COST_AXES = {"seconds": "seconds per look", "peak_memory_mb": "peak memory (MB)"}


def write_report(out_dir: Path, results: list[dict[str, Any]], title: str = "Ablation") -> Path:
    """report.md (tables), report.json (every summary) and plots of each metric against time and memory."""
    grid = [r for r in results if r.get("setting") is None]
    sweep = [r for r in results if r.get("setting") is not None]
    metrics = sorted({name for r in results for name in r["metrics"]} - set(COST_AXES))
    costs = [name for name in COST_AXES if any(name in r["metrics"] for r in results)]
    grid_rows = summarise(grid)
    sweep_rows = summarise(sweep, ("system", "setting", "value")) if sweep else []
    lines = [f"# {title}", "", (f"{len(results)} cells; each value is the mean ± the half-width of its 95% "
                                "confidence interval (Student's t over seeds, prompts and users)."), "",
             "## Systems × CLIP modes", "", markdown_table(grid_rows, metrics + costs)]
    if sweep_rows:
        lines += ["", "## Sensitivity", "", markdown_table(sweep_rows, metrics + costs)]
    plots = _plots(out_dir, grid_rows, metrics, costs)
    lines += ["", "## Plots", ""] + [f"![{plot.stem}]({plot.name})" for plot in plots]
    report = out_dir / "report.md"
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out_dir / "report.json").write_text(json.dumps(
        {"grid": [asdict(row) for row in grid_rows], "sweep": [asdict(row) for row in sweep_rows]}, indent=2,
        default=lambda value: None), encoding="utf-8")
    return report


def _plots(out_dir: Path, rows: list[Summary], metrics: list[str], costs: list[str]) -> list[Path]:
    """One PNG per (metric, cost): where each system × CLIP mode sits between quality and what it costs."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers
    import matplotlib.pyplot as plt

    paths = []
    for metric, cost in product(metrics, costs):
        figure, axes = plt.subplots(figsize=(5, 3.5))
        for row in rows:
            x, y = row.mean.get(cost, math.nan), row.mean.get(metric, math.nan)
            if math.isnan(x) or math.isnan(y):
                continue
            error = row.ci95.get(metric, math.nan)
            axes.errorbar(x, y, yerr=None if math.isnan(error) else error, fmt="o", capsize=3,
                          label=" · ".join(str(v) for v in row.group.values()))
        axes.set_xlabel(COST_AXES[cost])
        axes.set_ylabel(metric)
        if axes.has_data():
            axes.legend(fontsize=6)
        figure.tight_layout()
        path = out_dir / f"{metric}-vs-{cost}.png"
        figure.savefig(path, dpi=120)
        plt.close(figure)
        paths.append(path)
    return paths
