"""The worker: one long-lived process that claims jobs and runs their handlers, so models stay loaded between jobs.

While a handler runs, a heartbeat thread renews the job's lease, so a job is only taken back when its worker
is really gone (killed, or its machine lost), never because one step of a model ran long. Handlers report
progress through a callback; that callback is also where a cancel or a lost claim stops them, between steps.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from stylist.errors import StylistError
from stylist.jobs.queue import CANCELED, DEFAULT_LEASE_SECONDS, FAILED, SUCCEEDED, Job, JobLost, JobQueue
from stylist.progress import Progress
from stylist.settings import Settings

log = logging.getLogger("stylist.worker")

# Progress is written at most this often: a training loop may report hundreds of steps a second on tiny.
REPORT_EVERY_SECONDS = 0.25
RETRY_CLAIM_SECONDS = 5.0


class JobStopped(Exception):
    """Raised inside a handler, from its progress callback, when the job was canceled or its claim was lost."""


@dataclass
class JobContext:
    """What a handler gets: the settings, its job, and `on_progress` to report to and be stopped by, which it
    hands to the pipeline it runs as any other listener's."""

    settings: Settings
    job: Job
    write_progress: Callable[[float, str], None]  # the job's fraction and message, into the queue

    def on_progress(self, progress: Progress) -> None:
        """The pipelines' `on_progress`: their Progress becomes the job's fraction and message. A canceled job or
        a lost claim raises JobStopped here, between two steps."""
        if progress.share is not None:
            self.write_progress(progress.share, progress.message)


Handler = Callable[[JobContext], dict[str, Any]]


class Worker:
    def __init__(self, settings: Settings, queue: JobQueue, handlers: Mapping[str, Handler], *,
                 name: str | None = None, lease: float = DEFAULT_LEASE_SECONDS, poll: float = 0.25,
                 kinds: frozenset[str] | None = None):
        self.settings, self.queue, self.handlers = settings, queue, dict(handlers)
        self.kinds = kinds  # only these kinds of job (a crawl-only worker on a machine without the models)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.lease, self.poll = lease, poll
        self.stopping = threading.Event()

    def run(self, max_jobs: int | None = None) -> int:
        """Run jobs until `stop()` (or `max_jobs` have run); how many ran."""
        done = 0
        # Every kind the queue takes, not only those this worker runs: a job of a kind it has no handler for
        # fails with the reason, where leaving it queued would keep its owner waiting for ever.
        kinds = frozenset(self.handlers) | self.queue.kinds if self.kinds is None else self.kinds
        while not self.stopping.is_set() and (max_jobs is None or done < max_jobs):
            try:
                job = self.queue.claim(self.name, kinds, self.lease)
            except Exception:  # noqa: BLE001 — the queue is unreachable for a moment (its database restarting, a locked file)
                log.warning("cannot claim a job; trying again:\n%s", traceback.format_exc())
                self.stopping.wait(RETRY_CLAIM_SECONDS)
                continue
            if job is None:
                self.stopping.wait(self.poll)
                continue
            try:
                self.run_job(job)
            except Exception:  # noqa: BLE001 — the queue failed as the job finished: its lease runs out, it is retried
                log.error("job %s could not be finished:\n%s", job.id, traceback.format_exc())
            done += 1
        return done

    def stop(self) -> None:
        self.stopping.set()

    def run_job(self, job: Job) -> None:
        log.info("job %s (%s) for user %s: attempt %d", job.id, job.kind, job.user_id, job.attempts)
        state = _Reporting(self.queue, job)
        beat = threading.Thread(target=state.heartbeat, args=(job.lease / 4,), daemon=True, name=f"heartbeat-{job.id}")
        beat.start()
        gpu = _gpu()
        if gpu is not None:
            gpu.reset_peak_memory_stats()
        try:
            result = self._handler(job)(JobContext(self.settings, job, state.progress))
        except JobStopped:
            outcome = self._finish(job, CANCELED) if state.cancel_asked else None
        except StylistError as exc:
            outcome = self._finish(job, FAILED, error=str(exc))
        except Exception as exc:  # noqa: BLE001 — a bug or a resource problem: the job fails, the worker goes on
            # The traceback goes to the worker's log; the person sees no server paths or internals.
            log.error("job %s failed:\n%s", job.id, traceback.format_exc())
            outcome = self._finish(job, FAILED, error=f"internal error ({type(exc).__name__}); the worker's log "
                                                      "has the details")
        else:
            outcome = self._finish(job, SUCCEEDED, result=result)
        finally:
            state.done.set()
            beat.join()
        peak = f", peak GPU memory {gpu.max_memory_allocated() / 1e9:.2f} GB" if gpu is not None else ""
        log.info("job %s: %s%s", job.id, outcome or "claim lost, result dropped", peak)

    def _handler(self, job: Job) -> Handler:
        if job.kind not in self.handlers:
            raise StylistError(f"this server cannot run {job.kind} jobs (its worker has no handler for them); "
                               "tell the people who run it")
        return self.handlers[job.kind]

    def _finish(self, job: Job, status: str, **outcome: Any) -> str | None:
        return status if self.queue.finish(job, status, **outcome) else None


def _gpu():
    """torch.cuda when this worker has loaded torch and has a GPU, else None: a worker that only ran jobs
    without models never imports torch for this."""
    torch = sys.modules.get("torch")
    return torch.cuda if torch is not None and torch.cuda.is_available() else None


class _Reporting:
    """The link between a running handler and the queue: progress, heartbeats, cancel and lost claims."""

    def __init__(self, queue: JobQueue, job: Job):
        self.queue, self.job = queue, job
        self.done = threading.Event()
        self.cancel_asked = False
        self.lost = False
        self.lock = threading.Lock()  # one queue write at a time from the handler and the heartbeat
        self.last_write = 0.0

    def progress(self, fraction: float, message: str = "") -> None:
        now = time.monotonic()
        if now - self.last_write >= REPORT_EVERY_SECONDS or fraction >= 1:
            self._write(min(max(float(fraction), 0.0), 1.0), message)
        if self.cancel_asked or self.lost:
            raise JobStopped(self.job.id)

    def heartbeat(self, every: float) -> None:
        while not self.done.wait(every):
            self._write(None, None)

    def _write(self, fraction: float | None, message: str | None) -> None:
        with self.lock:
            if self.lost:
                return
            try:
                self.cancel_asked = self.queue.report(self.job, fraction, message) or self.cancel_asked
            except JobLost:
                self.lost = True
            except Exception:  # noqa: BLE001 — the queue is briefly unreachable: the next beat tries again
                log.warning("job %s: could not report progress:\n%s", self.job.id, traceback.format_exc())
            self.last_write = time.monotonic()
