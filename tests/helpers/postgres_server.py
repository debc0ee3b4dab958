"""A real PostgreSQL server for the tests: `initdb` in a temporary folder, listening on a free 127.0.0.1 port.

Debian's `postgresql` package (scripts/system-deps.sh installs it) keeps its programs in
/usr/lib/postgresql/<version>/bin. PostgreSQL refuses to run as root, so a root test run (CI's containers)
starts it as the package's `postgres` user. For tests durability is switched off: the cluster lives as long
as the test session, and fsync would only slow every commit.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import stat
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg


def postgres_bin() -> Path | None:
    """The folder of initdb and postgres, or None when PostgreSQL is not installed."""
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(versions[-1]).parent if versions else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresServer:
    process: subprocess.Popen
    port: int
    user: str = "stylist"

    def url(self, database: str = "postgres", password: str | None = None) -> str:
        secret = f":{password}" if password else ""
        return f"postgresql://{self.user}{secret}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A new empty database's URL: each test gets its own, so tests in one session never see each other."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_postgres(folder: Path, *, password: str | None = None, durable: bool = False) -> PostgresServer:
    """Initialise a cluster in `folder` and start it; trust authentication unless a password is given.

    `durable` keeps fsync on, for benchmarks: commits are then as safe as SQLite's in WAL mode with
    synchronous=NORMAL (what stylist uses), which may lose the last commits on power loss but never
    corrupts, which is what synchronous_commit=off does."""
    binaries = postgres_bin()
    if binaries is None:
        raise FileNotFoundError("PostgreSQL is not installed (apt-get install postgresql)")
    # The postgres user's own group too, not root's, which would have it judged by a root folder's group bits.
    as_user: dict = {"user": "postgres", "group": "postgres", "extra_groups": []} if os.geteuid() == 0 else {}
    folder.mkdir(parents=True, exist_ok=True)
    if as_user:
        shutil.chown(folder, "postgres")
        # pytest makes its temporary folders root's alone (0700): the postgres user may pass through them,
        # without reading them, to reach the folder it owns.
        for parent in folder.parents:
            parent.chmod(parent.stat().st_mode | stat.S_IXOTH)
    data = folder / "data"
    auth = ["--auth=trust"]
    if password:
        secret = folder / "password"
        secret.write_text(password)
        if as_user:
            shutil.chown(secret, "postgres")
        auth = ["--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={secret}"]
    subprocess.run([str(binaries / "initdb"), "-D", str(data), "-U", "stylist", "-E", "UTF8", "--locale=C.UTF-8",
                    *auth], check=True, capture_output=True, **as_user)
    port = free_port()
    log = open(folder / "postgres.log", "ab")  # noqa: SIM115 — the server writes to it for as long as it runs
    speed = [] if durable else ["-c", "fsync=off", "-c", "full_page_writes=off"]
    process = subprocess.Popen(
        [str(binaries / "postgres"), "-D", str(data), "-k", str(folder), "-h", "127.0.0.1", "-p", str(port),
         "-c", "synchronous_commit=off", "-c", "max_connections=300", *speed],
        stdout=log, stderr=subprocess.STDOUT, **as_user,
    )
    server = PostgresServer(process, port)
    deadline = time.monotonic() + 30
    while True:
        try:
            psycopg.connect(server.url(password=password), connect_timeout=1).close()
            return server
        except psycopg.OperationalError:
            if process.poll() is not None or time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"PostgreSQL did not start; see {folder / 'postgres.log'}") from None
            time.sleep(0.1)
