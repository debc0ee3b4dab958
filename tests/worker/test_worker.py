"""The worker in this process: results, progress, failures with their reasons, cooperative cancel, lost claims."""

from __future__ import annotations

import os
import threading

import pytest

from stylist.jobs.queue import CANCELED, FAILED, JOB_KINDS, RUNNING, SUCCEEDED
from stylist.worker.handlers import HANDLERS, load_handlers
from stylist.worker.loop import Worker
from tests.worker import handlers as test_handlers
from tests.worker.handlers import wait_for


@pytest.fixture
def worker(settings, queue):
    runner = Worker(settings, queue, test_handlers.HANDLERS, name="test-worker", lease=2.0, poll=0.02)
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    yield runner
    runner.stop()
    thread.join(timeout=30)


def ended(queue, job_id):
    job = queue.get(job_id)
    return job if job.status in (SUCCEEDED, FAILED, CANCELED) else None


def test_jobs_run_in_order_and_end_with_their_result_or_their_reason(queue, worker):
    slept = queue.submit("sleep", "u1", {"seconds": 0.05})
    refused = queue.submit("refuse", "u1", {})
    crashed = queue.submit("crash", "u1", {})

    assert wait_for(lambda: ended(queue, slept.id)).result == {"slept": 0.05, "pid": os.getpid()}
    refused = wait_for(lambda: ended(queue, refused.id))
    assert refused.status == FAILED and refused.error == "the test asked this job to fail"
    crashed = wait_for(lambda: ended(queue, crashed.id))
    assert crashed.status == FAILED and crashed.error == "internal error (ZeroDivisionError); the worker's log has the details"
    assert queue.get(slept.id).progress == 1.0


def test_progress_shows_while_a_job_runs_and_cancel_stops_it_between_steps(queue, worker):
    job = queue.submit("sleep", "u1", {"seconds": 20})
    running = wait_for(lambda: (found := queue.get(job.id)).progress > 0 and found)
    assert running.status == RUNNING and running.message.startswith("slept: ")
    queue.cancel(job.id)
    canceled = wait_for(lambda: ended(queue, job.id), timeout=10)
    assert canceled.status == CANCELED and canceled.progress < 1
    after = queue.submit("sleep", "u1", {"seconds": 0.05})  # the worker goes on with the next job
    assert wait_for(lambda: ended(queue, after.id)).status == SUCCEEDED


def test_a_job_deleted_while_it_runs_stops_and_writes_nothing_back(queue, worker):
    job = queue.submit("sleep", "u1", {"seconds": 20})
    wait_for(lambda: queue.get(job.id).progress > 0)
    queue.delete_user("u1")
    after = queue.submit("sleep", "u2", {"seconds": 0.05})
    assert wait_for(lambda: ended(queue, after.id), timeout=10).status == SUCCEEDED
    assert queue.get(job.id) is None


def test_handler_modules_named_in_the_environment_join_the_built_in_ones(monkeypatch):
    monkeypatch.setenv("STYLIST_JOB_HANDLERS", "tests.worker.handlers")
    handlers = load_handlers()
    assert set(handlers) == set(HANDLERS) | set(test_handlers.HANDLERS)
    assert set(HANDLERS) == JOB_KINDS == {"train", "looks", "video", "crawl"}


def test_a_job_of_a_kind_the_worker_has_no_handler_for_fails_with_the_reason(settings, queue):
    runner = Worker(settings, queue, {"sleep": test_handlers.sleep}, name="sleeper only", poll=0.01)
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    try:
        stranded = queue.submit("refuse", "u1", {})  # a kind the queue takes, but this worker cannot run
        slept = queue.submit("sleep", "u1", {"seconds": 0.05})
        failed = wait_for(lambda: ended(queue, stranded.id), timeout=10)
        assert wait_for(lambda: ended(queue, slept.id), timeout=10).status == SUCCEEDED
    finally:
        runner.stop()
        thread.join(timeout=30)
    assert failed.status == FAILED and failed.error.startswith("this server cannot run refuse jobs")


def test_a_worker_waits_out_a_queue_that_cannot_be_reached(settings, queue, monkeypatch):
    runner = Worker(settings, queue, test_handlers.HANDLERS, name="patient", poll=0.01)
    monkeypatch.setattr("stylist.worker.loop.RETRY_CLAIM_SECONDS", 0.01)
    real_claim, failures = queue.claim, []

    def flaky_claim(*args, **kwargs):
        if len(failures) < 3:
            failures.append(1)
            raise ConnectionError("the queue is restarting")
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(queue, "claim", flaky_claim)
    job = queue.submit("sleep", "u1", {"seconds": 0.05})
    assert runner.run(max_jobs=1) == 1
    assert queue.get(job.id).status == SUCCEEDED and len(failures) == 3
