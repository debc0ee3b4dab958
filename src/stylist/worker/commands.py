"""`stylist worker`: run jobs from a queue until stopped (SIGTERM or Ctrl-C finish the job in hand first)."""

from __future__ import annotations

import signal

import click

from stylist.errors import StylistError
from stylist.jobs.queue import DEFAULT_LEASE_SECONDS, LOOKS, TRAIN, VIDEO
from stylist.logs import configure_logging
from stylist.settings import Settings

# The kinds of job that load models: a worker that runs none of them needs no weights.
MODEL_KINDS = frozenset({TRAIN, LOOKS, VIDEO})


@click.command()
@click.option("--lease", type=click.FloatRange(min=0.5), default=DEFAULT_LEASE_SECONDS, show_default=True,
              help="Seconds a job stays claimed without a heartbeat; a dead worker's job is retried after this.")
@click.option("--handlers", metavar="MODULES", help="Extra handler modules, comma-separated [$STYLIST_JOB_HANDLERS].")
@click.option("--kinds", metavar="KINDS",
              help="Run only these kinds of job, comma-separated (train, looks, video, crawl) [all]; a worker that "
                   "runs none of train, looks and video needs no model weights (`--kinds crawl`).")
@click.pass_obj
def worker(settings: Settings, lease: float, handlers: str | None, kinds: str | None) -> None:
    """Run training, looks, video and crawl jobs from the queue, keeping models loaded between jobs.

    The queue is the one in the --database (shared by workers on every machine; run one worker per GPU), or
    jobs.db in the data dir.
    """
    from stylist.jobs.queue import open_queue
    from stylist.models.locate import require_local
    from stylist.models.weights import preset_needs
    from stylist.presets import get_preset
    from stylist.worker.handlers import load_handlers
    from stylist.worker.loop import Worker

    known = load_handlers(handlers)
    only = None
    if kinds is not None:
        only = frozenset(kind.strip() for kind in kinds.split(",") if kind.strip())
        if not only or only - set(known):
            raise StylistError(f"--kinds takes kinds of job from {', '.join(sorted(known))}, comma-separated")
    if only is None or only & MODEL_KINDS:
        preset = get_preset(settings.preset)
        require_local(preset, preset_needs(preset), "a worker")  # before it claims a job it could not finish
    configure_logging()
    queue = open_queue(settings)
    runner = Worker(settings, queue, {kind: known[kind] for kind in only} if only else known, lease=lease,
                    kinds=only)

    def stop(signum: int, frame: object) -> None:
        runner.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"worker {runner.name} on {queue.url}: {', '.join(sorted(runner.handlers))}", err=True)
    runner.run()
    queue.close()
