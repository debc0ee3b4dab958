"""`stylist worker`: run jobs from a queue until stopped (SIGTERM or Ctrl-C finish the job in hand first)."""

from __future__ import annotations

import signal

import click

from stylist.jobs.queue import DEFAULT_LEASE_SECONDS
from stylist.logs import configure_logging
from stylist.settings import Settings


@click.command()
@click.option("--lease", type=click.FloatRange(min=0.5), default=DEFAULT_LEASE_SECONDS, show_default=True,
              help="Seconds a job stays claimed without a heartbeat; a dead worker's job is retried after this.")
@click.option("--handlers", metavar="MODULES", help="Extra handler modules, comma-separated [$STYLIST_JOB_HANDLERS].")
@click.pass_obj
def worker(settings: Settings, lease: float, handlers: str | None) -> None:
    """Run training, looks and video jobs from the queue, keeping models loaded between jobs.

    The queue is the one in the --database (shared by workers on every machine; run one worker per GPU), or
    jobs.db in the data dir.
    """
    from stylist.jobs.queue import open_queue
    from stylist.models.locate import require_local
    from stylist.models.weights import preset_needs
    from stylist.presets import get_preset
    from stylist.worker.handlers import load_handlers
    from stylist.worker.loop import Worker

    preset = get_preset(settings.preset)
    require_local(preset, preset_needs(preset), "a worker")  # before it claims a job it could not finish
    configure_logging()
    queue = open_queue(settings)
    runner = Worker(settings, queue, load_handlers(handlers), lease=lease)

    def stop(signum: int, frame: object) -> None:
        runner.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"worker {runner.name} on {queue.url}: {', '.join(sorted(runner.handlers))}", err=True)
    runner.run()
    queue.close()
