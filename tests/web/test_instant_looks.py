"""The main path through the API on tiny-klein, with the real job handlers: photos (with consent) → looks drawn from
the person's and the products' photos, no training → a spin of the favourite."""

from __future__ import annotations

import io
import json
import shutil
import threading

import pytest

from stylist.jobs.queue import open_queue
from stylist.settings import Settings
from stylist.worker.handlers import HANDLERS
from stylist.worker.loop import Worker
from tests.web.app_under_test import add_user, create, finished


@pytest.fixture
def klein(tmp_path, catalog_dir):
    data = tmp_path / "data"
    shutil.copytree(catalog_dir, data)
    settings = Settings(data_dir=data, preset="tiny-klein", device="cpu")
    queue = open_queue(settings)
    runner = Worker(settings, queue, HANDLERS, name="klein", lease=30, poll=0.02)
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    yield settings, create(settings, queue).test_client()
    runner.stop()
    thread.join(timeout=120)
    queue.close()


def test_photos_to_looks_to_spin_with_no_training(klein, photos):
    settings, client = klein
    page = client.get("/").get_data(as_text=True)
    assert 'data-instant="true"' in page and "No training needed" in page and 'id="consent"' in page

    user_id, headers = add_user(client, photos)
    record = json.loads((settings.data_dir / "users" / user_id / "user.json").read_text())
    assert record["consent"]["by"] == "person" and record["consent"]["at"]

    started = client.post(f"/api/users/{user_id}/looks", json={"prompt": "a coat and a dress for autumn",
                                                                 "options": 2, "seed": 4}, headers=headers)
    assert started.status_code == 202
    job = finished(client, started.json["job_id"], headers, timeout=300)
    assert job["status"] == "succeeded", job
    look = client.get(f"/api/looks/{job['result']['look_id']}", headers=headers).json
    assert len(look["options"]) == 2 and isinstance(look["notes"], list)
    for option in look["options"]:
        assert option["references"] and set(option["references"]) <= {product["id"] for product in option["products"]}
    assert not (settings.data_dir / "users" / user_id / "identity").exists()  # nothing was trained

    favourite = look["options"][0]["id"]
    spin = client.post(f"/api/options/{favourite}/video", json={"seconds": 1, "fps": 4}, headers=headers)
    job = finished(client, spin.json["job_id"], headers, timeout=300)
    assert job["status"] == "succeeded", job
    assert job["result"]["frames"] == 4 and client.get(job["result"]["video_url"]).status_code == 200


def test_a_person_must_consent_before_their_photos_are_taken(klein, photos):
    settings, client = klein
    files = [(io.BytesIO(data), name) for name, data in photos]
    answer = client.post("/api/users", data={"name": "Ada", "photos": files}, content_type="multipart/form-data")
    assert answer.status_code == 400 and "agree" in answer.json["error"] and answer.json["error"].count(".") <= 1
    assert not (settings.data_dir / "users").exists() or not any((settings.data_dir / "users").iterdir())
