"""Job kinds for tests, loaded by workers through STYLIST_JOB_HANDLERS=tests.worker.handlers.

`sleep` writes a line to a log when it starts and when it ends, so tests can tell whether a job ran twice
or twice at once; `die` kills its own worker, as an out-of-memory kill would.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from stylist.errors import StylistError
from stylist.progress import Progress
from stylist.worker.loop import JobContext


def _log(ctx: JobContext, event: str) -> None:
    with open(ctx.job.params["log"], "a", encoding="utf-8") as log:
        log.write(f"{event} {ctx.job.id} {os.getpid()} {ctx.job.attempts} {time.time():.3f}\n")


def sleep(ctx: JobContext) -> dict:
    if "log" in ctx.job.params:
        _log(ctx, "start")
    seconds = ctx.job.params.get("seconds", 0.5)
    steps = max(1, round(seconds / 0.05))  # short steps: cancel and lost claims are noticed within 50 ms
    for step in range(steps):
        time.sleep(seconds / steps)
        ctx.on_progress(Progress("slept", step + 1, steps))
    if "log" in ctx.job.params:
        _log(ctx, "end")
    return {"slept": seconds, "pid": os.getpid()}


def die(ctx: JobContext) -> dict:
    if "log" in ctx.job.params:
        _log(ctx, "start")
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable")


def refuse(ctx: JobContext) -> dict:
    raise StylistError("the test asked this job to fail")


def crash(ctx: JobContext) -> dict:
    raise ZeroDivisionError("division by zero in a handler")


HANDLERS = {"sleep": sleep, "die": die, "refuse": refuse, "crash": crash}


def wait_for(predicate, timeout: float = 30.0, every: float = 0.05):
    """Poll until predicate() is truthy; its value, or AssertionError after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {predicate}")


def read_log(path: Path) -> list[tuple[str, str, int, int, float]]:
    if not path.exists():
        return []
    lines = [line.split() for line in path.read_text(encoding="utf-8").splitlines()]
    return [(event, job, int(pid), int(attempt), float(when)) for event, job, pid, attempt, when in lines]
