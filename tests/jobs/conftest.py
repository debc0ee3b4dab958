"""Queues to test against: SQLite in a temp dir, and a real redis-server on a free 127.0.0.1 port."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis

from stylist.jobs.queue import JOB_KINDS, open_queue
from stylist.settings import Settings
from tests.jobs import handlers as test_handlers

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    if not Path(REDIS_SERVER).exists():
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    folder = tmp_path_factory.mktemp("redis")
    port = free_port()
    server = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", "",
         "--appendonly", "no", "--protected-mode", "yes"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    else:
        server.kill()
        pytest.fail("redis-server did not start")
    yield f"redis://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=10)



@pytest.fixture(params=["sqlite", "redis"])
def queue_url(request, data_dir):
    """A fresh, empty queue's URL: a jobs.db of its own, or the Redis server's database 0, flushed."""
    if request.param == "sqlite":
        return f"sqlite:///{data_dir / 'jobs.db'}"
    base = request.getfixturevalue("redis_url")
    url = f"{base}/0"
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def settings(data_dir) -> Settings:
    return Settings(data_dir=data_dir, preset="tiny", device="cpu")


@pytest.fixture
def queue(settings, queue_url):
    """The queue at queue_url, taking the app's kinds of job and those of tests/jobs/handlers.py."""
    opened = open_queue(settings, queue_url, kinds=JOB_KINDS.union(test_handlers.HANDLERS))
    yield opened
    opened.close()
