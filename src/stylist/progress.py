"""Progress bars on a terminal, silence elsewhere (cron, pipes, --json), as CONTRACT.md promises."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tqdm import tqdm


def wants_progress(json_output: bool = False) -> bool:
    return not json_output and sys.stdout.isatty() and sys.stderr.isatty()


def progress_bar(enabled: bool, desc: str, unit: str, total: int | None = None) -> tqdm:
    return tqdm(total=total, desc=desc, unit=unit, disable=not enabled, file=sys.stderr, dynamic_ncols=True, leave=False)


@contextmanager
def fraction_bar(enabled: bool, desc: str) -> Iterator[Callable[..., None]]:
    """A bar from 0 to 100 % and the `on_progress(fraction, message="")` the pipelines report to (looks, spins)."""
    with progress_bar(enabled, desc, "%", total=100) as bar:
        def on_progress(fraction: float, message: str = "") -> None:
            bar.n = round(100 * fraction)
            if message:
                bar.set_postfix_str(message, refresh=False)
            bar.refresh()

        yield on_progress
