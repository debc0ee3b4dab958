"""A real redis-server for the queue tests, on a free 127.0.0.1 port."""

from __future__ import annotations

import shutil
import socket

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
