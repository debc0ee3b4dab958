"""The queue's rules, on SQLite and on a real PostgreSQL: states, limits, cancel, leases, recovery and claims."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest

from stylist.errors import StylistError
from stylist.jobs.queue import (
    CANCELED,
    FAILED,
    JOB_KINDS,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    JobLost,
    TooManyJobs,
    open_queue,
)
from tests.helpers.postgres_server import free_port

KINDS = frozenset({"sleep"})


def test_a_job_goes_from_queued_to_running_to_succeeded_with_its_progress_and_result(queue):
    job = queue.submit("sleep", "u1", {"seconds": 1})
    assert queue.get(job.id).status == QUEUED and queue.get(job.id).params == {"seconds": 1}

    claimed = queue.claim("w1", KINDS)
    assert claimed.id == job.id and claimed.status == RUNNING and claimed.attempts == 1
    assert queue.claim("w2", KINDS) is None  # one job, one claim

    assert queue.report(claimed, 0.5, "half way") is False
    seen = queue.get(job.id)
    assert (seen.progress, seen.message) == (0.5, "half way")

    assert queue.finish(claimed, SUCCEEDED, result={"answer": 42})
    done = queue.get(job.id)
    assert done.to_json() == {"id": job.id, "kind": "sleep", "status": SUCCEEDED, "progress": 1.0, "message": "done",
                              "result": {"answer": 42}, "error": None}
    assert not queue.finish(claimed, FAILED, error="twice")  # a job ends once
    assert queue.get(job.id).status == SUCCEEDED


def test_jobs_are_claimed_oldest_first_and_only_by_workers_that_run_their_kind(queue):
    first = queue.submit("refuse", "u1", {})
    second = queue.submit("sleep", "u1", {})
    third = queue.submit("sleep", "u2", {})
    assert queue.claim("w", KINDS).id == second.id
    assert queue.claim("w", KINDS).id == third.id
    assert queue.claim("w", KINDS) is None
    assert queue.claim("w", frozenset({"refuse", "sleep"})).id == first.id
    assert [job.id for job in queue.jobs()] == [first.id, second.id, third.id]
    assert [job.id for job in queue.jobs("u2")] == [third.id]


def test_a_kind_no_worker_runs_is_refused_before_it_is_queued(settings, queue, database):
    with pytest.raises(ValueError, match="no worker runs 'trian' jobs"):
        queue.submit("trian", "u1", {})
    assert queue.jobs() == []
    app_queue = open_queue(replace(settings, database=database))  # as the web app opens it: the app's kinds only
    try:
        assert app_queue.kinds == JOB_KINDS == {"train", "looks", "video", "crawl"}
        assert app_queue.submit("train", "u1", {}).kind == "train"
        with pytest.raises(ValueError, match="no worker runs 'sleep' jobs; the kinds are crawl, looks, train, video"):
            app_queue.submit("sleep", "u1", {})
    finally:
        app_queue.close()
    assert [job.kind for job in queue.jobs()] == ["train"]


def test_a_user_with_too_many_open_jobs_is_refused_until_one_ends(queue):
    jobs = [queue.submit("sleep", "u1", {}, max_open=2) for _ in range(2)]
    with pytest.raises(TooManyJobs, match="2 jobs queued or running"):
        queue.submit("sleep", "u1", {}, max_open=2)
    queue.submit("sleep", "u2", {}, max_open=2)  # the limit is per user

    claimed = queue.claim("w", KINDS)
    assert claimed.id == jobs[0].id
    with pytest.raises(TooManyJobs):  # running jobs count as open
        queue.submit("sleep", "u1", {}, max_open=2)
    queue.finish(claimed, SUCCEEDED, result={})
    queue.submit("sleep", "u1", {}, max_open=2)


def test_the_limit_holds_when_a_user_submits_from_many_requests_at_once(queue):
    start, answers = threading.Barrier(8), []

    def submit() -> None:
        start.wait()
        try:
            answers.append(queue.submit("sleep", "u1", {}, max_open=3).id)
        except TooManyJobs:
            answers.append("refused")

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers.count("refused") == 5 and len(queue.jobs("u1")) == 3


def test_cancel_ends_a_queued_job_at_once_and_asks_a_running_one_to_stop(queue):
    waiting = queue.submit("sleep", "u1", {})
    running = queue.submit("sleep", "u1", {})
    queue.cancel(waiting.id)
    claimed = queue.claim("w", KINDS)
    assert claimed.id == running.id  # the canceled job is never claimed
    assert queue.get(waiting.id).status == CANCELED

    assert queue.cancel(running.id).status == RUNNING
    assert queue.report(claimed, 0.3) is True  # the worker hears it at its next report
    assert queue.finish(claimed, CANCELED)
    assert queue.get(running.id).status == CANCELED
    assert queue.cancel(running.id).status == CANCELED  # canceling an ended job changes nothing
    assert queue.cancel("0123456789abcdef") is None


def test_a_job_whose_worker_stops_reporting_is_retried_then_failed_with_a_reason(queue):
    job = queue.submit("sleep", "u1", {}, max_attempts=2)
    first = queue.claim("w1", KINDS, lease=0.2)
    time.sleep(0.3)
    assert [found.id for found in queue.recover()] == [job.id]
    again = queue.get(job.id)
    assert again.status == QUEUED and "attempt 1 of 2" in again.message

    # The first worker wakes up: its claim is gone, so it can neither report nor end the job.
    with pytest.raises(JobLost):
        queue.report(first, 0.9)
    assert not queue.finish(first, SUCCEEDED, result={"stale": True})

    second = queue.claim("w2", KINDS, lease=0.2)
    assert second.id == job.id and second.attempts == 2 and second.owner != first.owner
    with pytest.raises(JobLost):  # nor once the job runs again under another claim
        queue.report(first, 0.9)
    assert not queue.finish(first, SUCCEEDED, result={"stale": True})
    assert queue.get(job.id).status == RUNNING
    time.sleep(0.3)
    assert queue.claim("w3", KINDS) is None  # claiming recovers expired jobs first; this one is out of attempts
    failed = queue.get(job.id)
    assert failed.status == FAILED and "each of its 2 attempts" in failed.error
    queue.submit("sleep", "u1", {}, max_open=1)  # a failed job is no longer open


@pytest.mark.serial  # 150 ms between heartbeats on a 300 ms lease: a busy core misses one
def test_heartbeats_keep_a_long_job_claimed(queue):
    job = queue.submit("sleep", "u1", {})
    claimed = queue.claim("w1", KINDS, lease=0.3)
    for _ in range(4):
        time.sleep(0.15)
        queue.report(claimed)
    assert queue.recover() == [] and queue.get(job.id).status == RUNNING


def test_a_canceled_job_whose_worker_died_ends_canceled(queue):
    job = queue.submit("sleep", "u1", {})
    queue.claim("w1", KINDS, lease=0.2)
    queue.cancel(job.id)
    time.sleep(0.3)
    queue.recover()
    assert queue.get(job.id).status == CANCELED


def test_deleting_a_user_removes_their_jobs_and_their_worker_loses_its_claim(queue):
    mine = [queue.submit("sleep", "u1", {}) for _ in range(2)]
    theirs = queue.submit("sleep", "u2", {})
    claimed = queue.claim("w", KINDS)
    assert queue.delete_user("u1") == 2
    assert queue.get(mine[0].id) is None and queue.get(mine[1].id) is None
    assert [job.id for job in queue.jobs()] == [theirs.id]
    with pytest.raises(JobLost):
        queue.report(claimed)
    assert not queue.finish(claimed, SUCCEEDED, result={})
    assert queue.claim("w", KINDS).id == theirs.id


def test_an_unreachable_database_is_one_clear_error_without_its_password(settings):
    url = f"postgresql://stylist:hunter2@127.0.0.1:{free_port()}/nowhere"
    with pytest.raises(StylistError, match=r"cannot reach the job queue's database postgresql://stylist:\*\*\*@") as raised:
        open_queue(replace(settings, database=url))
    assert "hunter2" not in str(raised.value)


def test_the_default_queue_is_jobs_db_in_the_data_dir(settings):
    queue = open_queue(settings)
    queue.submit("train", "u1", {})
    assert (settings.data_dir / "jobs.db").is_file()
    queue.close()


def test_a_locked_job_whose_worker_died_waits_again_beside_the_one_queued_meanwhile(queue):
    # A crawl runs; a refresh from cron queues the shop's next crawl; the first crawl's worker dies.
    first = queue.submit("sleep", "catalog", {}, lock="crawl:shop", max_open=10)
    queue.claim("w1", KINDS, lease=0.2)
    second = queue.submit("sleep", "catalog", {}, lock="crawl:shop", max_open=10)
    assert second.id != first.id
    time.sleep(0.3)
    assert [found.id for found in queue.recover()] == [first.id]  # taken back, not refused by the lock
    retried = queue.claim("w2", KINDS)
    assert retried.id == first.id  # the older first, and never both at once
    assert queue.claim("w3", KINDS) is None
    assert queue.finish(retried, SUCCEEDED, result={})
    assert queue.claim("w3", KINDS).id == second.id


def test_a_postgresql_queue_made_before_its_migrations_is_adopted_and_keeps_its_jobs(settings, postgres_url):
    import psycopg
    from procrastinate.schema import SchemaManager

    from stylist.jobs.migrations.jobs_0001_queue import STYLIST_TABLES

    with psycopg.connect(postgres_url, autocommit=True) as db:  # the tables as the queue made them itself
        db.execute(SchemaManager.get_schema())
        db.execute(STYLIST_TABLES)
    old = open_queue(replace(settings, database=postgres_url))
    job = old.submit("train", "u1", {})
    old.close()
    with psycopg.connect(postgres_url) as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [("jobs_0001",)]
    reopened = open_queue(replace(settings, database=postgres_url))
    try:
        assert [each.id for each in reopened.jobs()] == [job.id]
    finally:
        reopened.close()
