"""How far long work has come, in one shape for every stage (crawl, training, looks, video), and how it is
shown: progress bars on a terminal, silence elsewhere (cron, pipes, --json), as CONTRACT.md promises.

A stage reports `Progress` to an `on_progress` callback without knowing who listens (as diffusers'
`callback_on_step_end`): the CLI draws a bar, the worker writes the job's progress, the demo draws one bar
for its whole run.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from tqdm import tqdm


@dataclass(frozen=True)
class Progress:
    """`done` of `total` units of the current `stage`, and where the whole run stands when it knows."""

    stage: str  # what is being done, in a person's words: "crawl", "class images", "training", "generate"
    done: int
    total: int | None  # None while unknown: a crawl finds its pages as it goes
    unit: str = "step"  # what `done` counts: "page", "image", "step", "%"
    # The whole run's share done, 0 to 1, set by runs of several weighted stages (a look: retrieve ... rank).
    fraction: float | None = None
    loss: float | None = None  # training: the loss at this step
    rate: float | None = None  # units a second
    details: Mapping[str, float | int | str] = field(default_factory=dict)  # products found, held-out R@5, ...

    @property
    def share(self) -> float | None:
        """The run's share done: `fraction` where given, else this stage's; None when nothing says."""
        if self.fraction is not None:
            return self.fraction
        return min(self.done / self.total, 1.0) if self.total else None

    @property
    def message(self) -> str:
        """One line for a job's status: "training: 40 of 500", "generate", "crawl: 12 pages"."""
        if self.unit == "%" or (self.fraction is not None and self.total is None):
            return self.stage
        if self.total is None:
            return f"{self.stage}: {self.done} {self.unit}s"
        return f"{self.stage}: {self.done} of {self.total}"


ProgressCallback = Callable[[Progress], None]


def ignore(progress: Progress) -> None:
    """The listener when nobody listens."""


def wants_progress(json_output: bool = False) -> bool:
    return not json_output and sys.stdout.isatty() and sys.stderr.isatty()


def _bar(desc: str, unit: str) -> tqdm:
    return tqdm(desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True, leave=False)


@contextmanager
def progress_bars(enabled: bool, desc: str = "") -> Iterator[ProgressCallback]:
    """The `on_progress` for a command: one bar per stage, in the stage's units, with its loss, rate and details.

    A run that weighs its stages (`Progress.fraction`) gets one bar from 0 to 100 % instead, its stage beside it.
    """
    bars: dict[tuple[str, str], tqdm] = {}  # the open one: (label, unit) -> bar

    def bar_for(label: str, unit: str) -> tqdm:
        if (label, unit) not in bars:
            for bar in bars.values():
                bar.close()
            bars.clear()
            bars[label, unit] = _bar(label, unit)
        return bars[label, unit]

    def on_progress(progress: Progress) -> None:
        if not enabled:
            return
        if progress.fraction is not None:
            bar = bar_for(desc or progress.stage, "%")
            bar.total, bar.n = 100, round(100 * progress.fraction)
            postfix: dict[str, object] = {"stage": progress.stage}
        else:
            bar = bar_for(f"{desc}: {progress.stage}" if desc else progress.stage, progress.unit)
            bar.total, bar.n = progress.total, progress.done
            postfix = dict(progress.details)
        if progress.loss is not None:
            postfix["loss"] = f"{progress.loss:.4f}"
        if progress.rate is not None:
            postfix["it/s"] = f"{progress.rate:.2f}"
        bar.set_postfix(postfix, refresh=False)
        bar.refresh()

    try:
        yield on_progress
    finally:
        for bar in bars.values():
            bar.close()
