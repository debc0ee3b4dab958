"""`stylist` as real processes for the web tests: the environment they run in, and a client's view of a job."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]), **extra}


def wait_job(http: httpx.Client, job_id: str, headers: dict, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = http.get(f"/api/jobs/{job_id}", headers=headers).json()
        if job["status"] in ("succeeded", "failed", "canceled"):
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} still {job}")


def add_user(http: httpx.Client, photos) -> tuple[str, dict]:
    answer = http.post("/api/users", data={"name": "Ada", "consent": "true"},
                       files=[("photos", (name, data, "image/jpeg")) for name, data in photos])
    assert answer.status_code == 201, answer.text
    return answer.json()["id"], {"Authorization": f"Bearer {answer.json()['token']}"}
