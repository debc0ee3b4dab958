"""The app as the web tests build it, and the calls they make on it."""

from __future__ import annotations

import io
import time

from stylist.jobs.queue import FINAL_STATES


def jpeg(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def create(settings, queue, **config):
    from stylist.web.app import create_app

    application = create_app(settings, queue, **config)
    application.testing = True
    return application


def add_user(client, photos, name="Ada"):
    """POST /api/users with the photos; (user id, headers with its token)."""
    files = [(io.BytesIO(data), n) for n, data in photos]
    answer = client.post("/api/users", data={"name": name, "consent": "true", "photos": files},
                         content_type="multipart/form-data")
    assert answer.status_code == 201, answer.json
    return answer.json["id"], {"Authorization": f"Bearer {answer.json['token']}"}


def finished(client, job_id, headers, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}", headers=headers).json
        if job["status"] in FINAL_STATES:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {job}")
