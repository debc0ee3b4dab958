"""What each kind of job does, in the worker: train an identity, make looks, make a spin video, crawl a shop.

The pipelines are imported inside the handlers, so only the worker ever loads torch; a worker keeps them
(and the models they cache) loaded from one job to the next. Results hold paths relative to the data
dir, never absolute ones, and the web app turns them into signed URLs.

`looks` and `video` take the pipeline they call as a keyword (`make_look`, `make_spin`), None meaning the
real one: tests put a quick stand-in in the worker's handler table with functools.partial.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from stylist.errors import StylistError
from stylist.files import data_relative
from stylist.jobs.queue import CRAWL, LOOKS, TRAIN, VIDEO
from stylist.looks.recipe import Recipe
from stylist.worker.loop import Handler, JobContext

# Modules named here (comma-separated) add handlers: each has a HANDLERS dict of kind → function.
EXTRA_HANDLERS_ENV = "STYLIST_JOB_HANDLERS"


def train(ctx: JobContext) -> dict[str, Any]:
    from stylist.identity.dreambooth import train_identity
    from stylist.identity.dreambooth_config import default_config

    config = default_config(ctx.settings.preset).with_overrides(steps=ctx.job.params.get("steps"))
    result = train_identity(ctx.settings, ctx.job.user_id, config, on_progress=ctx.on_progress)
    return {"preset": result.preset, "steps": result.steps, "final_loss": result.final_loss, "seconds": result.seconds}


def looks(ctx: JobContext, *, make_look: Callable[..., Any] | None = None) -> dict[str, Any]:
    if make_look is None:
        from stylist.looks.pipeline import style

        make_look = style

    params = ctx.job.params
    # Jobs queued before looks carried a recipe draw with the default one.
    look = make_look(ctx.settings, ctx.job.user_id, params["prompt"], options=params["options"],
                     budget=params.get("budget"), seed=params.get("seed"),
                     recipe=Recipe.from_json(params.get("recipe", {})), on_progress=ctx.on_progress)
    return {"look_id": look.look_id}


def video(ctx: JobContext, *, make_spin: Callable[..., Any] | None = None) -> dict[str, Any]:
    from stylist.people.looks import find_option
    from stylist.people.users import get_user

    if make_spin is None:
        from stylist.video.spin import make_spin as spin_maker

        make_spin = spin_maker

    params = ctx.job.params
    _, option = find_option(ctx.settings, ctx.job.user_id, params["option_id"])
    # Not mkdir(parents=True): a user deleted meanwhile must not get their folder back.
    videos = get_user(ctx.settings, ctx.job.user_id).folder / "videos"
    videos.mkdir(exist_ok=True)
    folder = videos / ctx.job.id
    folder.mkdir(exist_ok=True)
    spin = make_spin(ctx.settings, Path(option.image), folder / "spin.mp4", seconds=params["seconds"],
                     fps=params["fps"], on_progress=ctx.on_progress)
    return {"video": data_relative(spin.mp4, ctx.settings.data_dir),
            "gif": data_relative(spin.gif, ctx.settings.data_dir), "seconds": spin.seconds,
            "fps": spin.fps, "frames": spin.frames, "backend": spin.backend}


def crawl(ctx: JobContext) -> dict[str, Any]:
    """One shop's crawl (`catalog refresh --jobs`): what it found, or a failure saying why it did not complete
    (what it saw is kept either way; only a complete crawl makes products unavailable)."""
    from stylist.catalog.commands import crawl_shop
    from stylist.catalog.crawl import CrawlOptions

    params = ctx.job.params
    report = crawl_shop(ctx.settings, params["url"], CrawlOptions(**params["options"]), ctx.on_progress)
    if not report.complete and not report.stopped_by_user_limit:
        raise StylistError(f"{report.shop}: the crawl did not complete: {report.reason}")
    return report.to_json()


# One for each of the queue's JOB_KINDS.
HANDLERS: dict[str, Handler] = {TRAIN: train, LOOKS: looks, VIDEO: video, CRAWL: crawl}


def load_handlers(extra: str | None = None) -> Mapping[str, Handler]:
    """The built-in handlers plus those of the modules in `extra` (default: $STYLIST_JOB_HANDLERS)."""
    handlers = dict(HANDLERS)
    names = extra if extra is not None else os.environ.get(EXTRA_HANDLERS_ENV, "")
    for name in filter(None, (part.strip() for part in names.split(","))):
        handlers.update(importlib.import_module(name).HANDLERS)
    return handlers
