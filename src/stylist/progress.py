"""Progress bars on a terminal, silence elsewhere (cron, pipes, --json), as CONTRACT.md promises."""

from __future__ import annotations

import sys

from tqdm import tqdm


def wants_progress(json_output: bool = False) -> bool:
    return not json_output and sys.stdout.isatty() and sys.stderr.isatty()


def progress_bar(enabled: bool, desc: str, unit: str, total: int | None = None) -> tqdm:
    return tqdm(total=total, desc=desc, unit=unit, disable=not enabled, file=sys.stderr, dynamic_ncols=True, leave=False)
