"""The embedded job queue: one SQLite file (jobs.db in the data dir) shared by the web process and its workers.

Every change is one `BEGIN IMMEDIATE` transaction, so claims, limits and lease checks are atomic across
processes on one machine. Times are this machine's clock (time.time), which every process here shares.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from stylist.databases import use_wal
from stylist.jobs.queue import (
    CANCELED,
    DEFAULT_LEASE_SECONDS,
    FAILED,
    GAVE_UP_MESSAGE,
    JOB_KINDS,
    QUEUED,
    RETRY_MESSAGE,
    RUNNING,
    Job,
    JobLost,
    JobQueue,
    TooManyJobs,
)
from stylist.records import new_id

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, user_id TEXT NOT NULL, status TEXT NOT NULL,
    progress REAL NOT NULL DEFAULT 0, message TEXT NOT NULL DEFAULT '', params TEXT NOT NULL,
    result TEXT, error TEXT, attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,
    cancel_requested INTEGER NOT NULL DEFAULT 0, owner TEXT, lease_until REAL,
    created_at REAL NOT NULL, started_at REAL, finished_at REAL, lock TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, created_at);
CREATE INDEX IF NOT EXISTS jobs_by_user ON jobs (user_id, status)
"""


class SqliteQueue(JobQueue):
    def __init__(self, path: str | Path, kinds: frozenset[str] = JOB_KINDS):
        self.path, self.kinds = Path(path), kinds
        self.url = f"sqlite://{self.path.resolve()}"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection per thread: the web server answers on several threads, the worker reports from two.
        self._local = threading.local()
        with self._transaction() as db:
            for statement in _SCHEMA.split(";"):
                db.execute(statement)
            # jobs.db files from before locks (crawl jobs) get the column; their jobs have none.
            if "lock" not in {row["name"] for row in db.execute("PRAGMA table_info(jobs)")}:
                db.execute("ALTER TABLE jobs ADD COLUMN lock TEXT")

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.row_factory = sqlite3.Row
            use_wal(db)
            db.execute("PRAGMA synchronous = NORMAL")
            self._local.db = db
        return db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    def _add(self, kind: str, user_id: str, params: dict[str, Any], *, max_open: int, max_attempts: int,
             lock: str | None) -> Job:
        job = Job(id=new_id(), kind=kind, user_id=user_id, params=params, max_attempts=max_attempts,
                  created_at=time.time(), lock=lock)
        with self._transaction() as db:
            if lock is not None:
                waiting = db.execute("SELECT * FROM jobs WHERE lock = ? AND status = ?", (lock, QUEUED)).fetchone()
                if waiting is not None:
                    return _job(waiting)
            (open_jobs,) = db.execute("SELECT COUNT(*) FROM jobs WHERE user_id = ? AND status IN (?, ?)",
                                      (user_id, QUEUED, RUNNING)).fetchone()
            if open_jobs >= max_open:
                raise TooManyJobs(f"you have {open_jobs} jobs queued or running; wait for one to finish")
            db.execute("INSERT INTO jobs (id, kind, user_id, status, params, max_attempts, created_at, lock) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (job.id, kind, user_id, QUEUED, json.dumps(params), max_attempts, job.created_at, lock))
        return job

    def get(self, job_id: str) -> Job | None:
        row = self._db().execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row) if row else None

    def jobs(self, user_id: str | None = None) -> list[Job]:
        if user_id is None:
            rows = self._db().execute("SELECT * FROM jobs ORDER BY created_at, rowid")
        else:
            rows = self._db().execute("SELECT * FROM jobs WHERE user_id = ? ORDER BY created_at, rowid", (user_id,))
        return [_job(row) for row in rows]

    def cancel(self, job_id: str) -> Job | None:
        with self._transaction() as db:
            db.execute("UPDATE jobs SET status = ?, message = 'canceled', finished_at = ?, owner = NULL "
                       "WHERE id = ? AND status = ?", (CANCELED, time.time(), job_id, QUEUED))
            db.execute("UPDATE jobs SET cancel_requested = 1, message = 'canceling' WHERE id = ? AND status = ?",
                       (job_id, RUNNING))
        return self.get(job_id)

    def claim(self, worker: str, kinds: frozenset[str], lease: float = DEFAULT_LEASE_SECONDS) -> Job | None:
        now = time.time()
        with self._transaction() as db:
            self._recover(db, now)
            marks = ",".join("?" * len(kinds))
            # A job whose lock a running job holds waits; the next one in line is taken instead.
            row = db.execute(f"SELECT id, attempts FROM jobs AS waiting WHERE status = ? AND kind IN ({marks}) "
                             "AND (lock IS NULL OR NOT EXISTS (SELECT 1 FROM jobs AS running WHERE "
                             "running.status = ? AND running.lock = waiting.lock)) "
                             "ORDER BY created_at, rowid LIMIT 1", (QUEUED, *sorted(kinds), RUNNING)).fetchone()
            if row is None:
                return None
            owner = f"{worker}/{row['id']}/{row['attempts'] + 1}"
            db.execute("UPDATE jobs SET status = ?, owner = ?, attempts = attempts + 1, lease_until = ?, "
                       "started_at = ?, message = 'started' WHERE id = ?",
                       (RUNNING, owner, now + lease, now, row["id"]))
            claimed = _job(db.execute("SELECT * FROM jobs WHERE id = ?", (row["id"],)).fetchone())
        claimed.lease = lease
        return claimed

    def report(self, job: Job, progress: float | None = None, message: str | None = None) -> bool:
        with self._transaction() as db:
            row = db.execute("SELECT owner, status, cancel_requested FROM jobs WHERE id = ?", (job.id,)).fetchone()
            if row is None or row["owner"] != job.owner or row["status"] != RUNNING:
                raise JobLost(job.id)
            db.execute("UPDATE jobs SET lease_until = ?, progress = COALESCE(?, progress), "
                       "message = COALESCE(?, message) WHERE id = ?",
                       (time.time() + job.lease, progress, message, job.id))
        return bool(row["cancel_requested"])

    def finish(self, job: Job, status: str, *, result: dict[str, Any] | None = None, error: str | None = None) -> bool:
        message = {CANCELED: "canceled", FAILED: "failed"}.get(status, "done")
        with self._transaction() as db:
            changed = db.execute(
                "UPDATE jobs SET status = ?, result = ?, error = ?, message = ?, finished_at = ?, owner = NULL, "
                "lease_until = NULL, progress = CASE WHEN ? = 'succeeded' THEN 1.0 ELSE progress END "
                "WHERE id = ? AND owner = ? AND status = ?",
                (status, None if result is None else json.dumps(result), error, message, time.time(), status,
                 job.id, job.owner, RUNNING),
            ).rowcount
        return bool(changed)

    def recover(self) -> list[Job]:
        with self._transaction() as db:
            return self._recover(db, time.time())

    def _recover(self, db: sqlite3.Connection, now: float) -> list[Job]:
        expired = [_job(row) for row in db.execute(
            "SELECT * FROM jobs WHERE status = ? AND lease_until < ?", (RUNNING, now)).fetchall()]
        for job in expired:
            if job.cancel_requested:
                db.execute("UPDATE jobs SET status = ?, message = 'canceled', finished_at = ?, owner = NULL, "
                           "lease_until = NULL WHERE id = ?", (CANCELED, now, job.id))
            elif job.attempts < job.max_attempts:
                db.execute("UPDATE jobs SET status = ?, message = ?, owner = NULL, lease_until = NULL, progress = 0 "
                           "WHERE id = ?", (QUEUED, RETRY_MESSAGE % (job.attempts, job.max_attempts), job.id))
            else:
                db.execute("UPDATE jobs SET status = ?, error = ?, message = 'failed', finished_at = ?, owner = NULL, "
                           "lease_until = NULL WHERE id = ?", (FAILED, GAVE_UP_MESSAGE % job.attempts, now, job.id))
        return expired

    def delete_user(self, user_id: str) -> int:
        with self._transaction() as db:
            return db.execute("DELETE FROM jobs WHERE user_id = ?", (user_id,)).rowcount


def _job(row: sqlite3.Row) -> Job:
    return Job(
        id=row["id"], kind=row["kind"], user_id=row["user_id"], status=row["status"], progress=row["progress"],
        message=row["message"], params=json.loads(row["params"]),
        result=None if row["result"] is None else json.loads(row["result"]), error=row["error"],
        attempts=row["attempts"], max_attempts=row["max_attempts"], cancel_requested=bool(row["cancel_requested"]),
        created_at=row["created_at"], started_at=row["started_at"], finished_at=row["finished_at"], owner=row["owner"],
        lock=row["lock"],
    )
