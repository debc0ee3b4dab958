"""The job queue in PostgreSQL (`--database postgresql://…`), on Procrastinate's tables, so that workers on
several machines share the work.

A job is a `procrastinate_jobs` row (its queue is the job's kind, its task `stylist.<kind>`): Procrastinate's
own functions queue it, hand it to one worker (`FOR UPDATE SKIP LOCKED`), ask it to abort and end it, and
its status is the job's. What Procrastinate does not hold lives beside it in `stylist_jobs`, one row per job
(deleted with it): our id, the user, progress and message, params, result, error, the attempt limit and the
times; `args` only names our id, so that Procrastinate's own tools show which job a row is. A second small
table, `stylist_workers`, gives each Procrastinate worker row the name and the lease of the `stylist worker`
that registered it.

What Procrastinate leaves to its callers is here:
- the stall sweep (in every claim and in `recover`): a running job whose worker sent no heartbeat for longer
  than that worker's lease, or whose worker row is gone, is queued again with Procrastinate's retry, until
  its attempts are spent; then it fails with GAVE_UP_MESSAGE, and a job asked to cancel ends canceled. Then
  stalled workers that hold no running job are pruned. Leases are per worker (`stylist worker --lease`), so
  the sweep compares each worker with its own rather than pruning by one number for all
  (procrastinate_prune_stalled_workers_v1);
- fencing: a claim is the worker row's id and the attempt (`Job.owner`). A report or a finish changes the job
  only while it is running under that same claim, so a worker that was paused past its lease (its row
  pruned, its job run by another) can neither report nor end it; it registers a new row before its next claim;
- the per-user limit: the user's open jobs are counted and the job queued in one transaction, under an
  advisory lock on the user, so two requests at once cannot both pass it;
- a job's lock (a crawl's shop) is Procrastinate's lock and queueing lock both: never two running, never two
  waiting; a second submit finds the waiting one.

Times that decide stalls are the database's clock (now()), so the machines' clocks need not agree.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Row, text
from sqlalchemy.exc import OperationalError

from stylist.databases import engine_for, migrate, reading, writing
from stylist.errors import StylistError
from stylist.jobs.queue import (
    CANCELED,
    DEFAULT_LEASE_SECONDS,
    FAILED,
    GAVE_UP_MESSAGE,
    JOB_KINDS,
    QUEUED,
    RETRY_MESSAGE,
    RUNNING,
    SUCCEEDED,
    Job,
    JobLost,
    JobQueue,
    TooManyJobs,
)
from stylist.records import new_id
from stylist.settings import Settings, redacted

# Procrastinate's statuses as the job's; 'aborting' is no longer written by Procrastinate 3.
STATUSES = {"todo": QUEUED, "doing": RUNNING, "succeeded": SUCCEEDED, "failed": FAILED, "cancelled": CANCELED,
            "aborted": CANCELED}
# How a worker ends a job, in Procrastinate's words.
END_STATUSES = {SUCCEEDED: "succeeded", FAILED: "failed", CANCELED: "aborted"}


# Every field of a Job, from our row and Procrastinate's. Procrastinate counts an attempt when it ends, so a
# running job is in attempt `attempts + 1`.
_SELECT = """
SELECT s.id, j.id AS job_id, j.queue_name AS kind, s.user_id, j.status::text AS status, s.progress, s.message,
       s.params, s.result, s.error, j.attempts + CASE WHEN j.status = 'doing' THEN 1 ELSE 0 END AS attempts,
       s.max_attempts, j.abort_requested, j.worker_id, w.name AS worker_name, j.lock,
       extract(epoch FROM s.created_at)::float AS created_at, extract(epoch FROM s.started_at)::float AS started_at,
       extract(epoch FROM s.finished_at)::float AS finished_at
FROM stylist_jobs s
JOIN procrastinate_jobs j ON j.id = s.job_id
LEFT JOIN stylist_workers w ON w.id = j.worker_id
"""

# Running jobs whose worker row is gone or whose worker missed its lease, locked for the sweep. One being
# reported on at this moment is skipped (its worker is alive); the next sweep looks again.
_STALLED = """
SELECT j.id AS job_id FROM procrastinate_jobs j
JOIN stylist_jobs s ON s.job_id = j.id
LEFT JOIN procrastinate_workers w ON w.id = j.worker_id
LEFT JOIN stylist_workers sw ON sw.id = j.worker_id
WHERE j.status = 'doing' AND (w.id IS NULL OR w.last_heartbeat < now() - make_interval(secs => sw.lease))
ORDER BY j.id
FOR UPDATE OF j SKIP LOCKED
"""

_PRUNE_STALLED_WORKERS = """
DELETE FROM procrastinate_workers w USING stylist_workers sw
WHERE sw.id = w.id AND w.last_heartbeat < now() - make_interval(secs => sw.lease)
  AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs j WHERE j.worker_id = w.id AND j.status = 'doing')
"""


class PostgresQueue(JobQueue):
    def __init__(self, settings: Settings, kinds: frozenset[str] = JOB_KINDS):
        assert settings.database is not None, "the PostgreSQL queue lives in settings.database"
        self.kinds = kinds
        self.url = redacted(settings.database)  # shown in logs and messages
        self.engine = engine_for(settings, "jobs")
        self._workers: dict[str, int] = {}  # the worker row registered for each worker name of this process
        try:
            self._create_tables()
        except OperationalError as exc:
            raise StylistError(f"cannot reach the job queue's database {self.url}: {exc.orig}") from exc

    def _create_tables(self) -> None:
        """Procrastinate's schema and ours, by the jobs' migrations (jobs/migrations/): once per database,
        whoever else opens it at the same time. A database whose queue tables this class made before those
        migrations keeps them: the first revision makes only what is missing."""
        migrate(self.engine, "jobs")

    def close(self) -> None:
        """Unregister this process's workers: a job one of them still held is queued again by the next sweep."""
        if not self._workers:
            return
        with writing(self.engine) as db:
            for worker_id in self._workers.values():
                db.execute(text("SELECT procrastinate_unregister_worker_v1(:id)"), {"id": worker_id})
        self._workers.clear()

    def _add(self, kind: str, user_id: str, params: dict[str, Any], *, max_open: int, max_attempts: int,
             lock: str | None) -> Job:
        job_id = new_id()
        with writing(self.engine) as db:
            if lock is not None:
                # Procrastinate's lock keeps two jobs of one lock from running at once, its queueing lock two
                # from waiting: the one waiting is the answer (looked for under a lock of ours, since two
                # submits at once would otherwise both miss it and one fail on the queueing lock's index).
                db.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"stylist lock {lock}"})
                waiting = db.execute(text(_SELECT + "WHERE j.queueing_lock = :lock AND j.status = 'todo'"),
                                     {"lock": lock}).first()
                if waiting is not None:
                    return _job(waiting)
            db.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"stylist jobs of {user_id}"})
            open_jobs = db.execute(text(
                "SELECT count(*) FROM stylist_jobs s JOIN procrastinate_jobs j ON j.id = s.job_id "
                "WHERE s.user_id = :user AND j.status IN ('todo', 'doing')"), {"user": user_id}).scalar_one()
            if open_jobs >= max_open:
                raise TooManyJobs(f"you have {open_jobs} jobs queued or running; wait for one to finish")
            (procrastinate_id,) = db.execute(text(
                "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW(:kind, :task, 0, :lock, :lock, CAST(:args AS jsonb), "
                "NULL)::procrastinate_job_to_defer_v1])"),
                {"kind": kind, "task": f"stylist.{kind}", "args": json.dumps({"stylist_job": job_id}),
                 "lock": lock}).scalar_one()
            created_at = db.execute(text(
                "INSERT INTO stylist_jobs (id, job_id, user_id, params, max_attempts) "
                "VALUES (:id, :job_id, :user, CAST(:params AS jsonb), :max_attempts) "
                "RETURNING extract(epoch FROM created_at)::float"),
                {"id": job_id, "job_id": procrastinate_id, "user": user_id, "params": json.dumps(params),
                 "max_attempts": max_attempts}).scalar_one()
        return Job(id=job_id, kind=kind, user_id=user_id, params=params, max_attempts=max_attempts,
                   created_at=created_at, lock=lock)

    def get(self, job_id: str) -> Job | None:
        with reading(self.engine) as db:
            row = db.execute(text(_SELECT + "WHERE s.id = :id"), {"id": job_id}).first()
        return _job(row) if row else None

    def jobs(self, user_id: str | None = None) -> list[Job]:
        with reading(self.engine) as db:
            if user_id is None:
                rows = db.execute(text(_SELECT + "ORDER BY j.id"))
            else:
                rows = db.execute(text(_SELECT + "WHERE s.user_id = :user ORDER BY j.id"), {"user": user_id})
            return [_job(row) for row in rows]

    def cancel(self, job_id: str) -> Job | None:
        with writing(self.engine) as db:
            procrastinate_id = db.execute(text("SELECT job_id FROM stylist_jobs WHERE id = :id"), {"id": job_id}).scalar()
            if procrastinate_id is None:
                return None
            # With abort, Procrastinate cancels a queued job at once and marks a running one abort_requested; an
            # ended job is left as it is (None).
            if db.execute(text("SELECT procrastinate_cancel_job_v1(:job_id, true, false)"),
                          {"job_id": procrastinate_id}).scalar() is not None:
                db.execute(text(
                    "UPDATE stylist_jobs s SET message = CASE WHEN j.status = 'doing' THEN 'canceling' ELSE 'canceled' END, "
                    "finished_at = CASE WHEN j.status = 'doing' THEN NULL ELSE now() END "
                    "FROM procrastinate_jobs j WHERE j.id = s.job_id AND s.id = :id"), {"id": job_id})
        return self.get(job_id)

    def claim(self, worker: str, kinds: frozenset[str], lease: float = DEFAULT_LEASE_SECONDS) -> Job | None:
        with writing(self.engine) as db:
            worker_id = self._heartbeat(db, worker, lease)
            self._sweep(db)
            found = db.execute(text("SELECT id FROM procrastinate_fetch_job_v2(CAST(:kinds AS varchar[]), :worker)"),
                               {"kinds": sorted(kinds), "worker": worker_id}).scalar()
            if found is None:
                return None
            db.execute(text("UPDATE stylist_jobs SET started_at = now(), message = 'started' WHERE job_id = :job_id"),
                       {"job_id": found})
            claimed = _job(db.execute(text(_SELECT + "WHERE j.id = :job_id"), {"job_id": found}).one())
        claimed.lease = lease
        return claimed

    def _heartbeat(self, db: Connection, worker: str, lease: float) -> int:
        """The worker's row, its heartbeat renewed; a new row when it has none yet or its old one was pruned."""
        worker_id = self._workers.get(worker)
        if worker_id is not None and db.execute(text(
                "UPDATE procrastinate_workers SET last_heartbeat = now() WHERE id = :id RETURNING id"),
                {"id": worker_id}).first():
            db.execute(text("UPDATE stylist_workers SET lease = :lease WHERE id = :id"), {"id": worker_id, "lease": lease})
            return worker_id
        worker_id = db.execute(text("SELECT worker_id FROM procrastinate_register_worker_v1()")).scalar_one()
        db.execute(text("INSERT INTO stylist_workers (id, name, lease) VALUES (:id, :name, :lease)"),
                   {"id": worker_id, "name": worker, "lease": lease})
        self._workers[worker] = worker_id
        return worker_id

    def report(self, job: Job, progress: float | None = None, message: str | None = None) -> bool:
        with writing(self.engine) as db:
            row = self._held(db, job)
            if row is None:
                raise JobLost(job.id)
            db.execute(text("SELECT procrastinate_update_heartbeat_v1(:worker)"), {"worker": row.worker_id})
            db.execute(text("UPDATE stylist_jobs SET progress = COALESCE(CAST(:progress AS double precision), progress), "
                            "message = COALESCE(CAST(:message AS text), message) WHERE id = :id"),
                       {"progress": progress, "message": message, "id": job.id})
        return bool(row.abort_requested)

    def finish(self, job: Job, status: str, *, result: dict[str, Any] | None = None, error: str | None = None) -> bool:
        message = {CANCELED: "canceled", FAILED: "failed"}.get(status, "done")
        with writing(self.engine) as db:
            row = self._held(db, job)
            if row is None:
                return False
            db.execute(text("SELECT procrastinate_finish_job_v1(:job_id, CAST(:status AS procrastinate_job_status), "
                            "false)"), {"job_id": row.id, "status": END_STATUSES[status]})
            db.execute(text(
                "UPDATE stylist_jobs SET result = CAST(:result AS jsonb), error = :error, message = :message, "
                "finished_at = now(), progress = CASE WHEN :succeeded THEN 1.0 ELSE progress END WHERE id = :id"),
                {"result": None if result is None else json.dumps(result), "error": error, "message": message,
                 "succeeded": status == SUCCEEDED, "id": job.id})
        return True

    def _held(self, db: Connection, job: Job) -> Row | None:
        """The job's Procrastinate row, locked, while it runs under `job`'s claim; None once that claim is gone."""
        assert job.owner is not None, "only a claimed job reports or finishes"
        _, worker_id, attempt = job.owner.rsplit("/", 2)
        return db.execute(text(
            "SELECT j.id, j.worker_id, j.abort_requested FROM procrastinate_jobs j JOIN stylist_jobs s ON s.job_id = j.id "
            "WHERE s.id = :id AND j.status = 'doing' AND j.worker_id = :worker AND j.attempts + 1 = :attempt "
            "FOR UPDATE OF j"), {"id": job.id, "worker": int(worker_id), "attempt": int(attempt)}).first()

    def recover(self) -> list[Job]:
        with writing(self.engine) as db:
            return self._sweep(db)

    def _sweep(self, db: Connection) -> list[Job]:
        """Queue again (or fail, or end canceled) the running jobs of stalled workers, then prune those workers."""
        stalled = [(job_id, _job(db.execute(text(_SELECT + "WHERE j.id = :job_id"), {"job_id": job_id}).one()))
                   for job_id in db.execute(text(_STALLED)).scalars().all()]
        for procrastinate_id, job in stalled:
            ids = {"id": job.id, "job_id": procrastinate_id}
            if job.cancel_requested:
                db.execute(text("SELECT procrastinate_finish_job_v1(:job_id, 'aborted', false)"), ids)
                db.execute(text("UPDATE stylist_jobs SET message = 'canceled', finished_at = now() WHERE id = :id"), ids)
            elif job.attempts < job.max_attempts:
                # A job of the same lock may have been queued while this one ran (a refresh from cron while a
                # crawl went on): two cannot wait with one queueing lock, so this one waits without it.
                db.execute(text(
                    "UPDATE procrastinate_jobs j SET queueing_lock = NULL WHERE j.id = :job_id AND EXISTS ("
                    "SELECT 1 FROM procrastinate_jobs w WHERE w.queueing_lock = j.queueing_lock AND w.status = 'todo')"),
                    ids)
                db.execute(text("SELECT procrastinate_retry_job_v1(:job_id, NULL, NULL, NULL, NULL)"), ids)
                db.execute(text("UPDATE stylist_jobs SET message = :message, progress = 0 WHERE id = :id"),
                           {**ids, "message": RETRY_MESSAGE % (job.attempts, job.max_attempts)})
            else:
                db.execute(text("SELECT procrastinate_finish_job_v1(:job_id, 'failed', false)"), ids)
                db.execute(text("UPDATE stylist_jobs SET message = 'failed', error = :error, finished_at = now() "
                                "WHERE id = :id"), {**ids, "error": GAVE_UP_MESSAGE % job.attempts})
        db.execute(text(_PRUNE_STALLED_WORKERS))
        return [job for _, job in stalled]

    def copy_in(self, jobs: list[Job]) -> int:
        """Store jobs from another queue (`stylist db copy`) with their ids, states, results and times; how many.

        A job that was running there has no worker here: it is queued again, as the sweep would have done.
        """
        procrastinate_status = {QUEUED: "todo", RUNNING: "todo", SUCCEEDED: "succeeded", FAILED: "failed",
                                CANCELED: "cancelled"}
        waiting_locks: set[str] = set()
        with writing(self.engine) as db:
            for job in jobs:
                status = procrastinate_status[job.status]
                if job.status == RUNNING and job.cancel_requested:
                    status = "cancelled"  # its cancel was asked for: it is not run again
                # One waiting job per queueing lock: a second of the same lock waits without it.
                queueing = status == "todo" and job.lock is not None and job.lock not in waiting_locks
                if queueing and job.lock is not None:
                    waiting_locks.add(job.lock)
                ended_attempts = job.attempts - 1 if job.status == RUNNING else job.attempts
                procrastinate_id = db.execute(text(
                    "INSERT INTO procrastinate_jobs (queue_name, task_name, lock, queueing_lock, args, status, attempts) "
                    "VALUES (:kind, :task, :lock, CASE WHEN :queueing THEN :lock END, CAST(:args AS jsonb), "
                    "CAST(:status AS procrastinate_job_status), :attempts) RETURNING id"),
                    {"kind": job.kind, "task": f"stylist.{job.kind}", "lock": job.lock, "queueing": queueing,
                     "args": json.dumps({"stylist_job": job.id}), "status": status,
                     "attempts": max(ended_attempts, 0)}).scalar_one()
                db.execute(text(
                    "INSERT INTO stylist_jobs (id, job_id, user_id, progress, message, params, result, error, "
                    "max_attempts, created_at, started_at, finished_at) VALUES (:id, :job_id, :user, :progress, "
                    ":message, CAST(:params AS jsonb), CAST(:result AS jsonb), :error, :max_attempts, "
                    "to_timestamp(:created), to_timestamp(:started), to_timestamp(:finished))"),
                    {"id": job.id, "job_id": procrastinate_id, "user": job.user_id,
                     "progress": 0.0 if status == "todo" else job.progress,
                     "message": _copied_message(job, status),
                     "params": json.dumps(job.params), "result": None if job.result is None else json.dumps(job.result),
                     "error": job.error, "max_attempts": job.max_attempts, "created": job.created_at,
                     "started": job.started_at, "finished": job.finished_at})
        return len(jobs)

    def delete_user(self, user_id: str) -> int:
        # Our rows go with Procrastinate's (ON DELETE CASCADE); a running job's worker finds its claim gone.
        with writing(self.engine) as db:
            return db.execute(text("DELETE FROM procrastinate_jobs WHERE id IN "
                                   "(SELECT job_id FROM stylist_jobs WHERE user_id = :user)"), {"user": user_id}).rowcount


def _job(row: Row) -> Job:
    running = row.status == "doing"
    return Job(
        id=row.id, kind=row.kind, user_id=row.user_id, status=STATUSES[row.status], progress=row.progress,
        message=row.message, params=row.params, result=row.result, error=row.error, attempts=row.attempts,
        max_attempts=row.max_attempts, cancel_requested=running and row.abort_requested, created_at=row.created_at,
        started_at=row.started_at, finished_at=row.finished_at, lock=row.lock,
        owner=f"{row.worker_name}/{row.worker_id}/{row.attempts}" if running and row.worker_id is not None else None,
    )


def _copied_message(job: Job, status: str) -> str:
    if job.status != RUNNING:
        return job.message
    if status == "cancelled":
        return "canceled"
    return "queued again: it was running when it was copied"
