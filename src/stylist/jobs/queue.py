"""The job queue's interface, shared by its SQLite and PostgreSQL backends, and `open_queue` to pick one.

A job moves queued → running → succeeded / failed / canceled. A worker holds a running job under a lease
that it renews while it works; a job whose lease runs out (its worker died) goes back to the queue until
it has been tried `max_attempts` times, then fails with a message. Every write a worker makes names the
claim it holds (`owner`), so a worker that lost its job can no longer change it: a job never runs twice
at once and never ends twice.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from stylist.errors import StylistError
from stylist.settings import Settings

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELED = "queued", "running", "succeeded", "failed", "canceled"
# The kinds of job the app queues; worker/handlers.py has a handler for each. A queue refuses any other kind
# at once, since no worker would ever claim it and it would stay queued for ever.
TRAIN, LOOKS, VIDEO, CRAWL = "train", "looks", "video", "crawl"
JOB_KINDS = frozenset({TRAIN, LOOKS, VIDEO, CRAWL})
# Crawls are the catalog's jobs, not a person's: they are queued under this user id, which no person has
# (theirs are hex), one lock per shop.
CATALOG_USER = "catalog"
FINAL_STATES = (SUCCEEDED, FAILED, CANCELED)
# Jobs a user may have queued or running at once; more is answered with 429.
MAX_OPEN_JOBS = 3
# A crash that repeats (a handler that kills its process, a machine that runs out of memory) is tried
# this many times in all, then failed with a message rather than retried for ever.
MAX_ATTEMPTS = 3
DEFAULT_LEASE_SECONDS = 30.0


class TooManyJobs(StylistError):
    """The user already has as many open jobs as they may."""


class JobLost(Exception):
    """The worker's claim on a job is gone: its lease ran out and another worker holds it, or it was deleted."""


@dataclass
class Job:
    id: str
    kind: str
    user_id: str
    status: str = QUEUED
    progress: float = 0.0
    message: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] | None = None
    error: str | None = None
    attempts: int = 0
    max_attempts: int = MAX_ATTEMPTS
    cancel_requested: bool = False
    created_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    owner: str | None = None  # the claim of the worker running it
    lock: str | None = None  # jobs with the same lock never run at once, and never wait twice in the queue
    lease: float = DEFAULT_LEASE_SECONDS  # how long each report extends the claim, for the worker holding it

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "status": self.status, "progress": self.progress,
                "message": self.message, "result": self.result, "error": self.error}


class JobQueue(ABC):
    """What the web app, the worker and the tests need from a queue; SqliteQueue and PostgresQueue provide it."""

    url: str
    kinds: frozenset[str]  # what `submit` takes: JOB_KINDS, plus the kinds of any extra handlers (tests add some)

    def submit(self, kind: str, user_id: str, params: dict[str, Any], *, max_open: int = MAX_OPEN_JOBS,
               max_attempts: int = MAX_ATTEMPTS, lock: str | None = None) -> Job:
        """Queue a job, or raise TooManyJobs when the user has `max_open` jobs queued or running.

        Jobs with the same `lock` never run at once (a worker passes over one while another runs), and a
        job whose lock already has one waiting in the queue is not queued again: that waiting job is returned.
        A kind outside `kinds` is a bug in the caller, refused with ValueError before anything is stored.
        """
        if kind not in self.kinds:
            raise ValueError(f"no worker runs {kind!r} jobs; the kinds are {', '.join(sorted(self.kinds))}")
        return self._add(kind, user_id, params, max_open=max_open, max_attempts=max_attempts, lock=lock)

    @abstractmethod
    def _add(self, kind: str, user_id: str, params: dict[str, Any], *, max_open: int, max_attempts: int,
             lock: str | None) -> Job:
        """Store a queued job of a known kind (or find the one waiting with its lock), or raise TooManyJobs."""

    @abstractmethod
    def get(self, job_id: str) -> Job | None: ...

    @abstractmethod
    def jobs(self, user_id: str | None = None) -> list[Job]:
        """Every job (of one user), oldest first."""

    @abstractmethod
    def cancel(self, job_id: str) -> Job | None:
        """A queued job is canceled at once; a running one is asked to stop (its worker sees it in its next report)."""

    @abstractmethod
    def claim(self, worker: str, kinds: frozenset[str], lease: float = DEFAULT_LEASE_SECONDS) -> Job | None:
        """The oldest queued job of one of `kinds`, now running under a lease held by a new claim of `worker`.

        Jobs whose lease ran out are recovered first (requeued, or failed after their last attempt).
        """

    @abstractmethod
    def report(self, job: Job, progress: float | None = None, message: str | None = None) -> bool:
        """Renew the job's lease and store its progress; True when cancel was asked for. Raises JobLost."""

    @abstractmethod
    def finish(self, job: Job, status: str, *, result: dict[str, Any] | None = None, error: str | None = None) -> bool:
        """End a claimed job as succeeded, failed or canceled; False when the claim was lost (nothing written)."""

    @abstractmethod
    def recover(self) -> list[Job]:
        """Requeue (or fail, after their last attempt) running jobs whose lease ran out; the jobs changed."""

    @abstractmethod
    def delete_user(self, user_id: str) -> int:
        """Forget every job of the user (running ones lose their claim and stop); how many were removed."""

    def close(self) -> None:  # noqa: B027 — not abstract: a queue with no connections has nothing to release
        """Release connections."""


# What a recovered job says, as printf templates: the attempt (and the attempts allowed).
RETRY_MESSAGE = "its worker stopped during attempt %d of %d; queued again"
GAVE_UP_MESSAGE = ("its worker stopped during each of its %d attempts (killed, out of memory or the machine went "
                   "away); not retried again")


def open_queue(settings: Settings, kinds: frozenset[str] = JOB_KINDS) -> JobQueue:
    """The queue where the settings keep the records: in the PostgreSQL database (`--database`), shared by
    workers on any machine, else jobs.db in the data dir."""
    if settings.database:
        from stylist.jobs.postgres_queue import PostgresQueue

        return PostgresQueue(settings, kinds)
    from stylist.jobs.sqlite_queue import SqliteQueue

    return SqliteQueue(settings.data_dir / "jobs.db", kinds)
