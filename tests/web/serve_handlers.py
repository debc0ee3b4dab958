"""Handlers that `stylist worker` processes load in serve tests (STYLIST_JOB_HANDLERS=tests.web.serve_handlers)."""

from stylist.progress import Progress


def fast_train(ctx):
    """Training stands in for the real trainer in API tests (tests/identity runs the real one)."""
    ctx.on_progress(Progress("training", 1, 2))
    return {"preset": ctx.settings.preset, "steps": ctx.job.params.get("steps", 2), "final_loss": 0.5, "seconds": 0.0}


HANDLERS = {"train": fast_train}
