"""Where the records live: SQLite files in the data dir on one machine, one PostgreSQL database beyond it.

Each store (the catalog, the people) asks `engine_for` for its SQLAlchemy engine and writes through
`writing`, reads through `reading`; the same Core statements run on both dialects. Its tables are created
and migrated by Alembic (`migrate`): each store is one branch of the migrations, labelled with its name,
so on PostgreSQL one `alembic_version` table holds every store's head, and each SQLite file holds its own.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy import Connection, Engine, Table, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite

from stylist.settings import Settings

BUSY_SECONDS = 30.0  # how long a SQLite connection waits for another's write before it gives up
MIGRATIONS = Path(__file__).parent / "migrations"
# Each store's SQLite file in the data dir; on PostgreSQL all of them are one database.
SQLITE_FILES = {"catalog": "catalog.db", "people": "users.db"}

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def engine_for(settings: Settings, store: str) -> Engine:
    """The store's engine, one per database and process (its pool serves every thread of a web server)."""
    url = settings.database or f"sqlite:///{settings.data_dir / SQLITE_FILES[store]}"
    with _engines_lock:
        if url not in _engines:
            _engines[url] = _postgres_engine(url) if settings.database else _sqlite_engine(url)
        return _engines[url]


def dispose_engines() -> None:
    """Close every pooled connection (the tests do, as each one ends with its own databases)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def _postgres_engine(url: str) -> Engine:
    # pool_pre_ping: a connection the server closed (a restart, an idle timeout) is replaced, not handed out.
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), pool_pre_ping=True,
                         pool_size=5, max_overflow=20)


def _sqlite_engine(url: str) -> Engine:
    Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_SECONDS, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _connect(db: sqlite3.Connection, _record) -> None:
        # The driver's own transaction handling is switched off so that `begin` below decides how a
        # transaction starts (SQLAlchemy's documented recipe for pysqlite).
        db.isolation_level = None
        use_wal(db)
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        # A write takes the write lock when it starts: a reader that later wants to write could otherwise
        # fail at once with "database is locked" instead of waiting its turn.
        write = connection.get_execution_options().get("write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """One transaction that writes: committed when the block ends, rolled back if it raises."""
    with engine.connect() as connection:
        connection.execution_options(write=True)
        with connection.begin():
            yield connection


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for reads, in one transaction that is never committed. On SQLite the block reads one
    snapshot; on PostgreSQL (READ COMMITTED) each statement reads its own, so a reader that needs several
    statements to agree must take the rows it needs in one statement or hold them with a write transaction."""
    with engine.connect() as connection:
        yield connection


def insert_or_update(connection: Connection, table: Table) -> sqlite.Insert | postgresql.Insert:
    """An INSERT into `table` that can end in `.on_conflict_do_update(...)`: SQLite and PostgreSQL each have
    their own, alike in what they take, and Core's plain INSERT has neither."""
    dialect = sqlite if connection.dialect.name == "sqlite" else postgresql
    return dialect.insert(table)


def migrate(engine: Engine, store: str, adopt: Callable[[Connection], str | None] | None = None) -> None:
    """Bring the store's tables to its newest revision, once, whoever else opens the database at the same time.

    `adopt` is asked, when the database has no revision of this store yet, whether tables from before Alembic
    are there: it may bring them up to date its own way and name the revision they now match, which is then
    stamped rather than created again.
    """
    head = _heads()[store]
    if head in _applied(engine):
        return
    from alembic import command

    with writing(engine) as connection:
        if engine.dialect.name == "postgresql":
            # Two processes starting on a new database would both create the tables: one waits here.
            connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('stylist migrations'))"))
        applied = _applied(connection)
        if head in applied:
            return
        config = _config()
        config.attributes["connection"] = connection
        if adopt is not None and not applied & set(_revisions()[store]):
            adopted = adopt(connection)
            if adopted is not None:
                command.stamp(config, adopted)
        command.upgrade(config, f"{store}@head")


def newest_revision(store: str) -> str:
    """The store's newest revision: what a database at its newest records for it."""
    return _heads()[store]


def _applied(connectable: Engine | Connection) -> set[str]:
    """The revisions recorded in the database (each store's newest), empty when none is."""
    def read(connection: Connection) -> set[str]:
        if not connection.dialect.has_table(connection, "alembic_version"):
            return set()
        return {row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))}

    if isinstance(connectable, Connection):
        return read(connectable)
    with reading(connectable) as connection:
        return read(connection)


def _config():
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("version_locations", " ".join(str(folder) for folder in _version_folders()))
    config.set_main_option("path_separator", "space")
    return config


def _version_folders() -> list[Path]:
    """Each store's migrations, in its own room: stylist/<room>/migrations/."""
    root = Path(__file__).parent
    return sorted(folder for folder in root.glob("*/migrations") if folder.is_dir())


@cache
def _scripts():
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config())


@cache
def _heads() -> dict[str, str]:
    """Each store's newest revision, by its branch label."""
    heads = {}
    for revision in _scripts().get_revisions("heads"):
        for label in revision.branch_labels:
            heads[label] = revision.revision
    return heads


@cache
def _revisions() -> dict[str, list[str]]:
    """Every revision of each store."""
    stores: dict[str, list[str]] = {}
    for store, head in _heads().items():
        stores[store] = [revision.revision for revision in _scripts().iterate_revisions(head, "base")]
    return stores


def use_wal(db: sqlite3.Connection, timeout: float = BUSY_SECONDS) -> None:
    """Put the file in write-ahead-log mode (readers never wait for a writer), once for good.

    Switching needs the file to itself, and SQLite answers "database is locked" at once rather than waiting
    when another connection is writing (two requests opening a new data directory together, one of them
    creating its tables). A file already in WAL mode says so without any lock, so the switch is tried
    until it is done or `timeout` has passed.
    """
    deadline = time.monotonic() + timeout
    while db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        try:
            db.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
