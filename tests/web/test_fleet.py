"""Beyond one machine: the whole web flow with every record and job in PostgreSQL and two worker processes.

A catalog crawled into the database, `stylist serve --no-worker` and two `stylist worker`s on the real
handlers and the tiny-klein pipelines (nothing stands in): sign-up → looks → pick → spin → delete, then
nothing of the person is left in the database or on disk.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading

import httpx
import psycopg

from stylist.demo.shop import DemoShop, serve
from tests.helpers.processes import ROOT, add_user, env, wait_job

PRESET = ["--preset", "tiny-klein", "--device", "cpu"]


def stylist_process(data, database, *args):
    return subprocess.Popen([sys.executable, "-m", "stylist", "--data-dir", str(data), "--database", database,
                             *PRESET, *args], cwd=ROOT, env=env(OMP_NUM_THREADS="1"), stderr=subprocess.PIPE,
                            text=True)


def test_the_whole_flow_runs_on_postgresql_with_two_workers(tmp_path, postgres_url, photos):
    data = tmp_path / "data"
    # A password in the URL, as a fleet's would have (the test server's trust authentication ignores it).
    postgres_url = postgres_url.replace("stylist@", "stylist:hunter2@")
    shop = DemoShop(n_products=12, seed=0, traps=False)
    with serve(shop) as shop_url:
        crawled = subprocess.run([sys.executable, "-m", "stylist", "--data-dir", str(data), "--database", postgres_url,
                                  "catalog", "crawl", shop_url, "--delay", "0"], check=False, cwd=ROOT, env=env(),
                                 capture_output=True, text=True, timeout=300)
    assert crawled.returncode == 0, crawled.stderr
    assert not (data / "catalog.db").exists()  # the records went to the database

    server = stylist_process(data, postgres_url, "serve", "--port", "0", "--no-worker")
    line = server.stderr.readline()
    found = re.search(r"serving on (http://\S+)", line)
    assert found, line + server.stderr.read()
    assert "stylist:***@" in line and "hunter2" not in line  # the database is named without its password
    threading.Thread(target=server.stderr.read, daemon=True).start()
    workers = [stylist_process(data, postgres_url, "worker") for _ in range(2)]
    for worker in workers:
        threading.Thread(target=worker.stderr.read, daemon=True).start()
    try:
        with httpx.Client(base_url=found.group(1), timeout=60) as http:
            user_id, headers = add_user(http, photos)
            asked = http.post(f"/api/users/{user_id}/looks", json={"prompt": "a yellow raincoat for autumn",
                                                                     "options": 2}, headers=headers)
            assert asked.status_code == 202, asked.text
            job = wait_job(http, asked.json()["job_id"], headers, timeout=600)
            assert job["status"] == "succeeded", job
            look = http.get(f"/api/looks/{job['result']['look_id']}", headers=headers).json()
            option = look["options"][0]
            assert option["products"] and http.get(option["image_url"]).status_code == 200

            assert http.post(f"/api/options/{option['id']}/select", json={"rating": 4},
                             headers=headers).status_code == 200
            spin = http.post(f"/api/options/{option['id']}/video", json={"seconds": 1, "fps": 4}, headers=headers)
            job = wait_job(http, spin.json()["job_id"], headers, timeout=600)
            assert job["status"] == "succeeded", job
            assert http.get(job["result"]["video_url"]).content[4:8] == b"ftyp"

            assert http.delete(f"/api/users/{user_id}", headers=headers).status_code == 204
            assert http.get(f"/api/users/{user_id}", headers=headers).status_code == 401
    finally:
        for process in [*workers, server]:
            process.send_signal(signal.SIGTERM)
        for process in [*workers, server]:
            process.wait(timeout=60)

    assert not (data / "users" / user_id).exists()
    assert not any(path.suffix == ".db" for path in data.iterdir())  # no SQLite file beside the database
    with psycopg.connect(postgres_url) as db:
        for table, column in (("users", "id"), ("web_tokens", "user_id"), ("preferences", "user_id")):
            assert db.execute(f"SELECT COUNT(*) FROM {table} WHERE {column} = %s", (user_id,)).fetchone() == (0,)
        assert db.execute("SELECT COUNT(*) FROM products").fetchone()[0] == len(shop.expected())
