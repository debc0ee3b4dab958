"""The people's database: users.db in the data dir, or the PostgreSQL database of `--database`, made ready
(created or migrated) the first time this process asks for it.

users.db files written before Alembic are adopted: their tables are completed the way that code completed
them (each one was created the first time it was used) and stamped as the first revision, then migrated on.
"""

from __future__ import annotations

import threading
import weakref

from sqlalchemy import Connection, Engine, inspect
from sqlalchemy.exc import DBAPIError

from stylist.databases import engine_for, migrate
from stylist.errors import StylistError
from stylist.settings import Settings, redacted

# The tables of users.db before Alembic, as that code created them: every migration after this one starts here.
_BEFORE_ALEMBIC = [
    "CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS web_tokens (
        user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        token_sha256 TEXT NOT NULL, created_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS preferences (
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, look_id TEXT NOT NULL,
        option_id TEXT NOT NULL, option_rank INTEGER NOT NULL, options INTEGER NOT NULL, score REAL,
        rating INTEGER, prompt TEXT NOT NULL, preset TEXT NOT NULL, created_at TEXT NOT NULL,
        PRIMARY KEY (user_id, look_id)
    )""",
    """CREATE TABLE IF NOT EXISTS user_sizes (
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        slot TEXT NOT NULL,
        size TEXT NOT NULL,
        PRIMARY KEY (user_id, slot)
    )""",
]
_TABLES_BEFORE_ALEMBIC = {"users", "web_tokens", "preferences", "user_sizes"}
FIRST_REVISION = "people_0001"

# The engines whose people tables this process has made ready: every API request asks, to check a token.
_ready: weakref.WeakSet[Engine] = weakref.WeakSet()
_ready_lock = threading.Lock()


def people_engine(settings: Settings) -> Engine:
    """The engine of the people's database, its tables at the newest revision."""
    engine = engine_for(settings, "people")
    with _ready_lock:
        if engine not in _ready:
            try:
                migrate(engine, "people", adopt=_adopt)
            except DBAPIError as exc:
                where = redacted(settings.database) if settings.database else str(settings.data_dir / "users.db")
                raise StylistError(f"cannot use the people's database {where}: {redacted(str(exc.orig))}") from exc
            _ready.add(engine)
    return engine


def _adopt(connection: Connection) -> str | None:
    """The first revision, for a users.db from before Alembic (whichever of its tables had been used yet)."""
    if connection.dialect.name != "sqlite" or not _TABLES_BEFORE_ALEMBIC & set(inspect(connection).get_table_names()):
        return None
    for statement in _BEFORE_ALEMBIC:
        connection.exec_driver_sql(statement)
    return FIRST_REVISION
