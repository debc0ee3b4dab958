"""`stylist serve` as a real process: waitress and its embedded worker, on PostgreSQL with separate workers, no torch.

Workers here load quick stand-in training (tests.web.serve_handlers); the real trainer runs through the whole
flow in test_browser.py.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import httpx

from tests.helpers.processes import ROOT, add_user, env, wait_job


def start(settings, *args: str, **extra_env: str) -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen([sys.executable, "-m", "stylist", "--data-dir", str(settings.data_dir), "--preset", "tiny",
                               "--device", "cpu", "serve", "--port", "0", *args],
                              cwd=ROOT, env=env(**extra_env), stderr=subprocess.PIPE, text=True)
    line = server.stderr.readline()
    found = re.search(r"serving on (http://\S+)", line)
    assert found, line + server.stderr.read()
    # Keep reading its log, or a full pipe would block the server.
    threading.Thread(target=server.stderr.read, daemon=True).start()
    return server, found.group(1)


def stop(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=60) == 0


def test_serve_runs_jobs_in_its_embedded_worker_and_stops_it_with_itself(settings, photos):
    server, url = start(settings, STYLIST_JOB_HANDLERS="tests.web.serve_handlers")
    try:
        with httpx.Client(base_url=url, timeout=30) as http:
            assert http.get("/api/health").json()["preset"] == "tiny"
            assert "tiny" in http.get("/").text
            user_id, headers = add_user(http, photos)
            job_id = http.post(f"/api/users/{user_id}/train", json={"steps": 2}, headers=headers).json()["job_id"]
            job = wait_job(http, job_id, headers, timeout=120)
        children = subprocess.run(["pgrep", "-P", str(server.pid)], check=False, capture_output=True,
                                  text=True).stdout.split()
        assert len(children) == 1  # the worker
    finally:
        stop(server)
    assert job["status"] == "succeeded", job
    assert job["result"]["steps"] == 2 and job["progress"] == 1.0
    assert subprocess.run(["ps", "-p", children[0]], check=False,
                          capture_output=True).returncode != 0  # the worker is gone too


def test_serve_on_postgresql_with_no_worker_leaves_work_to_separate_workers_and_keeps_queued_jobs_across_restarts(
        settings, photos, postgres_url):
    server, url = start(settings, "--no-worker", STYLIST_DATABASE=postgres_url)
    with httpx.Client(base_url=url, timeout=30) as http:
        user_id, headers = add_user(http, photos)
        job_id = http.post(f"/api/users/{user_id}/train", json={"steps": 2}, headers=headers).json()["job_id"]
        time.sleep(1.0)
        assert http.get(f"/api/jobs/{job_id}", headers=headers).json()["status"] == "queued"  # no embedded worker
    stop(server)

    server, url = start(settings, "--no-worker", STYLIST_DATABASE=postgres_url)  # restarted with a job queued
    worker = subprocess.Popen([sys.executable, "-m", "stylist", "--data-dir", str(settings.data_dir), "--database",
                               postgres_url, "worker"], cwd=ROOT, env=env(STYLIST_JOB_HANDLERS="tests.web.serve_handlers"))
    try:
        with httpx.Client(base_url=url, timeout=30) as http:
            job = wait_job(http, job_id, headers, timeout=60)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        stop(server)
    assert job["status"] == "succeeded" and job["result"]["steps"] == 2


def test_serve_on_postgresql_starts_its_embedded_worker_and_shows_no_password(settings, photos, postgres_server):
    password_url = postgres_server.new_database().replace("stylist@", "stylist:hunter2@", 1)  # trust auth ignores it
    server = subprocess.Popen([sys.executable, "-m", "stylist", "--data-dir", str(settings.data_dir), "--preset", "tiny",
                               "--device", "cpu", "serve", "--port", "0"], cwd=ROOT, stderr=subprocess.PIPE, text=True,
                              env=env(STYLIST_DATABASE=password_url, STYLIST_JOB_HANDLERS="tests.web.serve_handlers"))
    line = server.stderr.readline()
    lines = [line]
    threading.Thread(target=lambda: lines.extend(server.stderr), daemon=True).start()
    url = re.search(r"serving on (http://\S+)", line).group(1)
    try:
        assert "queue postgresql://stylist:***@" in line and ", with a worker" in line
        with httpx.Client(base_url=url, timeout=30) as http:
            user_id, headers = add_user(http, photos)
            job_id = http.post(f"/api/users/{user_id}/train", json={"steps": 2}, headers=headers).json()["job_id"]
            job = wait_job(http, job_id, headers, timeout=120)
        worker_pid = subprocess.run(["pgrep", "-P", str(server.pid)], check=False, capture_output=True,
                                    text=True).stdout.split()[0]
        command_line = Path(f"/proc/{worker_pid}/cmdline").read_bytes()
    finally:
        stop(server)
    assert job["status"] == "succeeded", job
    assert b"hunter2" not in command_line  # the URL reaches its worker in the environment, not in `ps`
    assert not any("hunter2" in each for each in lines)


def test_the_web_process_never_imports_torch(settings, photos, tmp_path):
    script = tmp_path / "probe.py"
    script.write_text(textwrap.dedent(f"""
        import io, sys
        from pathlib import Path
        from stylist.settings import Settings
        from stylist.web.app import create_app
        client = create_app(Settings(data_dir=Path({str(settings.data_dir)!r}), preset="tiny")).test_client()
        assert client.get("/").status_code == 200
        assert client.get("/api/health").status_code == 200
        assert client.get("/api/catalog").status_code == 200
        photos = {photos!r}
        answer = client.post("/api/users", data={{"name": "Ada", "consent": "true", "photos": [(io.BytesIO(d), n) for n, d in photos]}})
        headers = {{"Authorization": "Bearer " + answer.json["token"]}}
        user = answer.json["id"]
        assert client.post(f"/api/users/{{user}}/train", headers=headers).status_code == 202
        assert client.get(f"/api/users/{{user}}/looks", headers=headers).status_code == 200
        assert client.get("/api/looks/0123456789abcdef", headers=headers).status_code == 404
        assert client.post("/api/options/0123456789abcdef-1/select", headers=headers).status_code == 404
        print("torch" in sys.modules, "diffusers" in sys.modules)
    """))
    result = subprocess.run([sys.executable, str(script)], check=False, cwd=ROOT, env=env(), capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]
