"""Workers killed with SIGKILL mid-job and started again over a queue full of jobs: every job ends once, with a reason.

Real `stylist worker` processes run against the SQLite file and against a real redis-server. The jobs are
queued before any worker exists (a server restarted with jobs queued); the first worker is killed in the
middle of a job; a `die` job kills every worker that takes it, as an out-of-memory kill would.
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

from stylist.jobs.queue import FAILED, FINAL_STATES, SUCCEEDED
from tests.worker.handlers import read_log, wait_for

# Leases of a second, and workers killed mid-job whose lost jobs must wait out that second: with the other
# tests' processes on the same cores, a worker starved for a second looks dead to the queue.
pytestmark = pytest.mark.serial
ROOT = Path(__file__).resolve().parents[2]
LEASE = 1.0


def start_worker(settings, queue_url: str, log_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    with open(log_dir / "workers.log", "a") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "stylist", "--data-dir", str(settings.data_dir), "worker", "--queue", queue_url,
             "--lease", str(LEASE), "--handlers", "tests.worker.handlers"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )


def test_killed_and_restarted_workers_lose_no_job_and_run_none_twice(settings, queue, queue_url, tmp_path):
    log = tmp_path / "runs.log"
    sleepers = [queue.submit("sleep", f"user{n}", {"seconds": 1.0, "log": str(log)}) for n in range(4)]
    dying = queue.submit("die", "user9", {"log": str(log)}, max_attempts=2)
    refused = queue.submit("refuse", "user9", {})
    crashed = queue.submit("crash", "user9", {})

    first = start_worker(settings, queue_url, tmp_path)
    killed_job = wait_for(lambda: next((entry[1] for entry in read_log(log) if entry[0] == "start"), None), timeout=60)
    first.send_signal(signal.SIGKILL)
    first.wait()

    # Two workers from now on; any that dies (the `die` job) is replaced, as `stylist serve` does.
    workers = [start_worker(settings, queue_url, tmp_path) for _ in range(2)]
    deadline = time.monotonic() + 120
    try:
        while not all(queue.get(job.id).status in FINAL_STATES for job in queue.jobs()):
            assert time.monotonic() < deadline, [job.to_json() for job in queue.jobs()]
            workers = [w if w.poll() is None else start_worker(settings, queue_url, tmp_path) for w in workers]
            time.sleep(0.1)
    finally:
        for each in workers:
            each.terminate()
        for each in workers:
            each.wait(timeout=30)

    jobs = {job.id: job for job in queue.jobs()}
    assert len(jobs) == 7  # none lost
    for job in sleepers:
        assert jobs[job.id].status == SUCCEEDED, jobs[job.id]
    assert jobs[killed_job].attempts == 2 and killed_job in {job.id for job in sleepers}
    assert jobs[dying.id].status == FAILED and "each of its 2 attempts" in jobs[dying.id].error
    assert jobs[refused.id].error == "the test asked this job to fail"
    assert jobs[crashed.id].error == "internal error (ZeroDivisionError); the worker's log has the details"

    runs = read_log(log)
    ends = Counter(job for event, job, *_ in runs if event == "end")
    assert ends == Counter({job.id: 1 for job in sleepers})  # each finished exactly once
    for job in sleepers:  # ... by the worker whose result was kept
        assert [pid for event, found, pid, *_ in runs if event == "end" and found == job.id] == [jobs[job.id].result["pid"]]
    # A job started twice only because its first worker died: the first run never ended, and the
    # second began after the first's lease ran out.
    for job_id, starts in Counter(job for event, job, *_ in runs if event == "start").items():
        if starts > 1:
            attempts = sorted((entry for entry in runs if entry[1] == job_id and entry[0] == "start"), key=lambda e: e[4])
            for earlier, later in itertools.pairwise(attempts):
                assert earlier[2] not in {pid for event, found, pid, *_ in runs if event == "end" and found == job_id}
                assert later[4] - earlier[4] >= LEASE * 0.9
