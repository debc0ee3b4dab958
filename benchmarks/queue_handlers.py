"""The benchmark's job kind: `noop` does nothing, so a queue run measures the queue and the worker loop alone.
Loaded by `stylist worker --handlers queue_handlers` with benchmarks/ on PYTHONPATH."""

import os

from stylist.worker.loop import JobContext


def noop(ctx: JobContext) -> dict:
    return {"pid": os.getpid()}  # which worker ran it: the benchmark counts jobs per worker


HANDLERS = {"noop": noop}
