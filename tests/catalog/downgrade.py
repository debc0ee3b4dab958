"""Catalog databases as earlier versions of stylist left them, for the migration tests."""

from __future__ import annotations

import re
import sqlite3


def undo(db: sqlite3.Connection, scripts: list[str]) -> None:
    """Take out what these migration scripts added: their tables and their columns (SQLite 3.35 drops columns)."""
    for script in reversed(scripts):
        for table, column in reversed(re.findall(r"ALTER TABLE (\w+) ADD COLUMN (\w+)", script)):
            db.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        for table in re.findall(r"CREATE TABLE (\w+)", script):
            db.execute(f"DROP TABLE {table}")


def before_alembic(db: sqlite3.Connection) -> None:
    """What a catalog.db from before Alembic lacks: the revision table, and the tables only later revisions make
    (every table but those schema.py's migrations created, with the full-text index's own)."""
    from stylist.catalog.schema import MIGRATIONS

    legacy = tuple(name for script in MIGRATIONS for name in re.findall(r"CREATE (?:VIRTUAL )?TABLE (\w+)", script))
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        if not name.startswith(("sqlite_", *legacy)):
            db.execute(f"DROP TABLE {name}")
