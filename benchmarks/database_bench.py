"""SQLite or PostgreSQL: the job queue's throughput with 1, 2 and 4 workers, and the web API's reads under load.

    .venv/bin/python benchmarks/database_bench.py --out benchmarks/results/database-<machine>.json

Both backends run in one call, side by side, on the same machine and data: PostgreSQL is a server this script
starts itself (`initdb` in a temporary folder, as the tests do), or the one `--postgres URL` reaches (each
run makes a database of its own there). The queue part queues no-op jobs before any worker exists, then starts real
`stylist worker` processes and counts jobs a second between the first claim and the last finish (from the
jobs' own times, so the workers' start-up is not counted). The web part is benchmarks/web_load_bench.py's
load (clients polling their jobs, browsing and searching the catalog) against `stylist serve` on each
backend. The clients and the server share the machine's cores, so numbers compare backends, not machines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from catalog_bench import machine  # the same machine description as the other benchmarks

ROOT = Path(__file__).resolve().parents[1]


def queue_throughput(data: Path, database: str | None, workers: int, jobs: int) -> dict:
    """Queue `jobs` no-op jobs, run them on `workers` worker processes, and time them from the jobs' records."""
    from stylist.jobs.queue import FINAL_STATES, JOB_KINDS, SUCCEEDED, open_queue
    from stylist.settings import Settings

    settings = Settings(data_dir=data, preset="tiny", device="cpu", database=database)
    queue = open_queue(settings, kinds=JOB_KINDS | {"noop"})
    # One user per job: the per-user limit of open jobs is the web's rule, not what is measured here.
    submitted = [queue.submit("noop", f"bench-{n}", {}) for n in range(jobs)]
    # The database goes by the environment, never the command line, where `ps` would show its password.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(Path(__file__).parent)]),
           "OMP_NUM_THREADS": "1", "STYLIST_DATABASE": database or ""}
    command = [sys.executable, "-m", "stylist", "--data-dir", str(data), "--preset", "tiny", "--device", "cpu"]
    processes = [subprocess.Popen([*command, "worker", "--handlers", "queue_handlers"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
    try:
        deadline = time.monotonic() + 600
        while not all(job.status in FINAL_STATES for job in queue.jobs()):
            if time.monotonic() > deadline or any(process.poll() is not None for process in processes):
                raise SystemExit(f"the {workers} workers did not finish {jobs} jobs")
            time.sleep(0.2)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
    done = [queue.get(job.id) for job in submitted]
    queue.close()
    succeeded = [job for job in done if job is not None and job.status == SUCCEEDED]
    first = min(job.started_at for job in succeeded if job.started_at is not None)
    last = max(job.finished_at for job in succeeded if job.finished_at is not None)
    by_worker = {}
    for job in succeeded:
        by_worker[job.result["pid"]] = by_worker.get(job.result["pid"], 0) + 1
    return {"workers": workers, "jobs": jobs, "succeeded": len(succeeded), "seconds": round(last - first, 3),
            "jobs_per_second": round(len(succeeded) / max(last - first, 1e-9), 1),
            "jobs_per_worker": sorted(by_worker.values(), reverse=True)}


def databases_on(url: str):
    """A maker of new empty databases on the server `url` reaches: each run gets its own."""
    import psycopg

    def new_database() -> str:
        name = f"stylist_bench_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))

    return new_database


def web_reads(data: Path, database: str | None, clients: int, seconds: float, products: int, users: int) -> dict:
    """benchmarks/web_load_bench.py's load against `stylist serve` on this backend."""
    import web_load_bench

    web_load_bench.crawl_demo_shop(data, products, database)
    server, url = web_load_bench.start_server(data, database)
    try:
        made, words = web_load_bench.sign_up(url, users)
        result = asyncio.run(web_load_bench.load(url, made, words, clients, seconds))
    finally:
        server.terminate()
        server.wait(timeout=120)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--postgres", metavar="URL",
                        help="a PostgreSQL server to make the runs' databases on, as a role that may create them "
                             "[a server of its own]")
    parser.add_argument("--jobs", type=int, default=200, help="no-op jobs per queue run")
    parser.add_argument("--workers", default="1,2,4", help="worker counts to run, comma-separated")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds of web load per backend")
    parser.add_argument("--products", type=int, default=48)
    parser.add_argument("--users", type=int, default=10)
    args = parser.parse_args()
    worker_counts = [int(count) for count in args.workers.split(",")]

    with tempfile.TemporaryDirectory() as tmp:
        server = None
        if args.postgres is None:
            sys.path.insert(0, str(ROOT))
            from tests.helpers.postgres_server import start_postgres

            server = start_postgres(Path(tmp) / "postgres", durable=True)
        try:
            new_database = databases_on(args.postgres or server.url())
            backends: dict[str, dict] = {}
            for backend in ("sqlite", "postgresql"):
                runs = []
                for workers in worker_counts:
                    database = None if backend == "sqlite" else new_database()
                    runs.append(queue_throughput(Path(tmp) / f"{backend}-queue-{workers}", database, workers, args.jobs))
                    print(backend, json.dumps(runs[-1]), flush=True)
                database = None if backend == "sqlite" else new_database()
                web = web_reads(Path(tmp) / f"{backend}-web", database, args.clients, args.seconds, args.products,
                                args.users)
                print(backend, "web", json.dumps(web["all"]), flush=True)
                backends[backend] = {"queue": runs, "web": web}
        finally:
            if server is not None:
                server.stop()

    report = {
        "benchmark": "database", "machine": machine(),
        "setup": {"jobs": args.jobs, "workers": worker_counts, "clients": args.clients, "seconds": args.seconds,
                  "products": args.products, "users": args.users,
                  "queue": "no-op jobs queued first, then real `stylist worker` processes (tiny preset, CPU); "
                           "jobs a second from the first claim to the last finish, by the jobs' own times",
                  "web": "web_load_bench's mix against `stylist serve --no-worker` (waitress, 8 threads)",
                  "postgresql": "a server of the benchmark's own on 127.0.0.1, fsync on, synchronous_commit off (as SQLite's WAL with synchronous=NORMAL)" if args.postgres is None
                                else "the server --postgres named"},
        "backends": backends,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
