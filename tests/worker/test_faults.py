"""Real `stylist worker` processes, on the SQLite file and on PostgreSQL: killed with SIGKILL mid-job, paused
with SIGSTOP past their lease, two of them sharing a queue, a running job canceled or its user deleted.

Every job ends once, with a reason, and a worker that lost its job can no longer change it. The `sleep` jobs
write to a log when they start and end (tests/worker/handlers.py), so the tests can tell whether one ran to
its end twice; `die` kills every worker that takes it, as an out-of-memory kill would.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from stylist.jobs.queue import CANCELED, FAILED, FINAL_STATES, MAX_ATTEMPTS, RUNNING, SUCCEEDED
from tests.worker.handlers import read_log, wait_for

# Leases of a second, and workers killed or paused mid-job whose lost jobs must wait out that second: with the
# other tests' processes on the same cores, a worker starved for a second looks dead to the queue.
pytestmark = pytest.mark.serial
ROOT = Path(__file__).resolve().parents[2]
LEASE = 1.0


def start_worker(settings, database: str | None, log_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    where = ["--database", database] if database else []
    with open(log_dir / "workers.log", "a") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "stylist", "--data-dir", str(settings.data_dir), *where, "worker",
             "--lease", str(LEASE), "--handlers", "tests.worker.handlers"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )


def stop_all(workers: list[subprocess.Popen]) -> None:
    for each in workers:
        if each.poll() is None:
            os.kill(each.pid, signal.SIGCONT)  # a paused worker would never hear SIGTERM
            each.terminate()
    for each in workers:
        each.wait(timeout=30)


def started(log: Path, job_id: str, pid: int | None = None) -> bool:
    return any(event == "start" and job == job_id and pid in (None, who) for event, job, who, *_ in read_log(log))


def ended(queue, job_id: str):
    job = queue.get(job_id)
    return job if job.status in FINAL_STATES else None


def ends(log: Path, job_id: str) -> list[int]:
    """The workers (pids) that ran the job to its end."""
    return [pid for event, job, pid, *_ in read_log(log) if event == "end" and job == job_id]


def test_killed_and_restarted_workers_lose_no_job_and_run_none_twice(settings, queue, database, tmp_path):
    log = tmp_path / "runs.log"
    sleepers = [queue.submit("sleep", f"user{n}", {"seconds": 1.0, "log": str(log)}) for n in range(4)]
    dying = queue.submit("die", "user9", {"log": str(log)})  # as many attempts as any job
    refused = queue.submit("refuse", "user9", {})
    crashed = queue.submit("crash", "user9", {})

    first = start_worker(settings, database, tmp_path)
    killed_job = wait_for(lambda: next((entry[1] for entry in read_log(log) if entry[0] == "start"), None), timeout=60)
    first.send_signal(signal.SIGKILL)
    first.wait()

    # Two workers share the queue from now on; any that dies (the `die` job) is replaced, as `stylist serve` does.
    workers = [start_worker(settings, database, tmp_path) for _ in range(2)]
    deadline = time.monotonic() + 120
    try:
        while not all(queue.get(job.id).status in FINAL_STATES for job in queue.jobs()):
            assert time.monotonic() < deadline, [job.to_json() for job in queue.jobs()]
            workers = [w if w.poll() is None else start_worker(settings, database, tmp_path) for w in workers]
            time.sleep(0.1)
    finally:
        stop_all(workers)

    jobs = {job.id: job for job in queue.jobs()}
    assert len(jobs) == 7  # none lost
    for job in sleepers:
        assert jobs[job.id].status == SUCCEEDED, jobs[job.id]
    assert jobs[killed_job].attempts == 2 and killed_job in {job.id for job in sleepers}
    assert jobs[dying.id].status == FAILED and f"each of its {MAX_ATTEMPTS} attempts" in jobs[dying.id].error
    assert [event for event, job, *_ in read_log(log) if job == dying.id] == ["start"] * MAX_ATTEMPTS
    assert jobs[refused.id].error == "the test asked this job to fail"
    assert jobs[crashed.id].error == "internal error (ZeroDivisionError); the worker's log has the details"

    runs = read_log(log)
    assert Counter(job for event, job, *_ in runs if event == "end") == Counter({job.id: 1 for job in sleepers})
    for job in sleepers:  # each finished exactly once, by the worker whose result was kept
        assert ends(log, job.id) == [jobs[job.id].result["pid"]]
    # A job started twice only because its first worker died: the first run never ended, and the
    # second began after the first's lease ran out.
    for job_id, starts in Counter(job for event, job, *_ in runs if event == "start").items():
        if starts > 1:
            attempts = sorted((entry for entry in runs if entry[1] == job_id and entry[0] == "start"), key=lambda e: e[4])
            for earlier, later in itertools.pairwise(attempts):
                assert earlier[2] not in ends(log, job_id)
                assert later[4] - earlier[4] >= LEASE * 0.9


def test_a_worker_paused_past_its_lease_cannot_finish_the_job_that_ran_elsewhere(settings, queue, database, tmp_path):
    log = tmp_path / "runs.log"
    job = queue.submit("sleep", "u1", {"seconds": 4.0, "log": str(log)})
    paused = start_worker(settings, database, tmp_path)
    workers = [paused]
    try:
        wait_for(lambda: started(log, job.id, paused.pid), timeout=60)
        paused.send_signal(signal.SIGSTOP)
        other = start_worker(settings, database, tmp_path)
        workers.append(other)
        wait_for(lambda: started(log, job.id, other.pid), timeout=60)  # its lease ran out: the job runs again
        assert queue.get(job.id).attempts == 2
        paused.send_signal(signal.SIGCONT)  # it wakes up mid-job, in a job now another's

        done = wait_for(lambda: ended(queue, job.id), timeout=60)
        assert done.status == SUCCEEDED and done.result["pid"] == other.pid
        assert ends(log, job.id) == [other.pid]  # the paused worker stopped at its next step

        # It goes on working, with a new claim of its own: with the other worker gone, it runs the next job.
        other.terminate()
        other.wait(timeout=30)
        assert paused.poll() is None
        later = queue.submit("sleep", "u1", {"seconds": 0.2})
        assert wait_for(lambda: ended(queue, later.id), timeout=30).result["pid"] == paused.pid
    finally:
        stop_all(workers)
    assert ends(log, job.id) == [other.pid]


def test_a_running_job_stops_when_canceled_or_when_its_user_is_deleted_and_the_worker_goes_on(
        settings, queue, database, tmp_path):
    log = tmp_path / "runs.log"
    canceled = queue.submit("sleep", "u1", {"seconds": 30.0, "log": str(log)})
    deleted = queue.submit("sleep", "u2", {"seconds": 30.0, "log": str(log)})
    other = queue.submit("sleep", "u3", {"seconds": 0.2, "log": str(log)})
    worker = start_worker(settings, database, tmp_path)
    try:
        wait_for(lambda: started(log, canceled.id), timeout=60)
        asked = time.monotonic()
        assert queue.cancel(canceled.id).status == RUNNING  # asked to stop; its worker hears it at its next report
        assert wait_for(lambda: queue.get(canceled.id).status == CANCELED, timeout=10)
        assert time.monotonic() - asked < 5

        wait_for(lambda: started(log, deleted.id), timeout=10)
        assert queue.delete_user("u2") == 1
        assert queue.get(deleted.id) is None
        assert wait_for(lambda: queue.get(other.id).status == SUCCEEDED, timeout=10)  # the worker let go of u2's job
    finally:
        stop_all([worker])
    assert ends(log, canceled.id) == [] and ends(log, deleted.id) == []
    assert worker.returncode == 0
    assert queue.get(canceled.id).message == "canceled"
