"""`stylist serve`: the web app on waitress, with a worker child process unless told to start none."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time

import click

from stylist.errors import cannot_listen
from stylist.logs import configure_logging
from stylist.settings import Settings

log = logging.getLogger("stylist.serve")
# A worker that keeps dying right after it starts (a broken install) is restarted at most this often.
RESTART_BACKOFF_SECONDS = (1, 2, 5, 10, 30)


class EmbeddedWorker:
    """`stylist worker` as a child process, started again whenever it exits, until `stop()`.

    A child rather than a thread: the worker loads torch and the models, which the web process must not,
    and a crash or SIGKILL in it leaves the web server running; its job is retried when its lease runs out.
    """

    def __init__(self, settings: Settings):
        self.command = [sys.executable, "-m", "stylist", "--data-dir", str(settings.data_dir), "--preset",
                        settings.preset, "--device", settings.device, "worker"]
        # The database URL goes through the environment, not the command line, where `ps` would show its password.
        self.env = {**os.environ, "STYLIST_DATABASE": settings.database} if settings.database else None
        self.stopping = threading.Event()
        self.process: subprocess.Popen | None = None
        self.thread = threading.Thread(target=self._supervise, daemon=True, name="embedded-worker")

    def start(self) -> None:
        self.thread.start()

    def _supervise(self) -> None:
        failures = 0
        while not self.stopping.is_set():
            started = time.monotonic()
            self.process = subprocess.Popen(self.command, env=self.env)
            code = self.process.wait()
            if self.stopping.is_set():
                return
            failures = failures + 1 if time.monotonic() - started < 60 else 0
            delay = RESTART_BACKOFF_SECONDS[min(failures, len(RESTART_BACKOFF_SECONDS) - 1)]
            log.warning("the worker exited with %s; starting it again in %s s", code, delay)
            self.stopping.wait(delay)

    def stop(self, grace: float = 10.0) -> None:
        self.stopping.set()
        if self.process and self.process.poll() is None:
            self.process.terminate()  # the worker finishes the job in hand, if it can within the grace time
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self.process.kill()  # its job is retried when its lease runs out
                self.process.wait()
        self.thread.join(timeout=grace)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port (0: any free one).")
@click.option("--threads", type=click.IntRange(min=1), default=8, show_default=True, help="Request threads.")
@click.option("--no-worker", is_flag=True,
              help="Start no embedded worker: `stylist worker`s (one per GPU, on any machine with --database) run the jobs.")
@click.pass_obj
def serve(settings: Settings, host: str, port: int, threads: int, no_worker: bool) -> None:
    """Serve the web app and API, with a worker of its own unless --no-worker.

    Jobs wait in the --database's queue (PostgreSQL, shared with `stylist worker`s elsewhere), or in jobs.db
    in the data dir.
    """
    from waitress import create_server

    from stylist.jobs.queue import open_queue
    from stylist.models.locate import require_local
    from stylist.models.weights import preset_needs
    from stylist.presets import get_preset
    from stylist.web.app import create_app

    if not no_worker:  # its embedded worker would claim jobs it could not finish
        preset = get_preset(settings.preset)
        require_local(preset, preset_needs(preset), "serving with a worker")
    configure_logging()
    queue = open_queue(settings)
    try:
        server = create_server(create_app(settings, queue), host=host, port=port, threads=threads)
    except OSError as error:
        queue.close()
        raise cannot_listen(host, port, error) from error
    embedded = None if no_worker else EmbeddedWorker(settings)
    if embedded:
        embedded.start()

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    click.echo(f"serving on http://{host}:{server.effective_port} (preset {settings.preset}, queue {queue.url}"
               f"{', with a worker' if embedded else ''})", err=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        if embedded:
            embedded.stop()
        queue.close()
