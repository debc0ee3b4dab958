"""A new SQLite file opened by two processes at once ends in WAL mode, however their writes interleave; an insert
that updates on conflict says so in each dialect."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import Column, MetaData, Table, Text, select

from stylist.databases import engine_for, insert_or_update, reading, use_wal, writing
from stylist.settings import Settings


def test_wal_mode_waits_for_a_writer_instead_of_failing(tmp_path):
    path = tmp_path / "new.db"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("CREATE TABLE products (id INTEGER)")  # another request creating its tables
    other = sqlite3.connect(path, timeout=30, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        other.execute("PRAGMA journal_mode = WAL")  # what SQLite does: no waiting for this one
    threading.Timer(0.3, lambda: writer.execute("COMMIT")).start()
    use_wal(other)
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert other.execute("SELECT COUNT(*) FROM products").fetchone()[0] == 0


def test_a_writer_that_never_finishes_is_still_an_error(tmp_path):
    path = tmp_path / "new.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("CREATE TABLE products (id INTEGER)")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        use_wal(sqlite3.connect(path, isolation_level=None), timeout=0.2)


def test_insert_or_update_inserts_then_updates_on_both_backends(data_dir, database):
    settings = Settings(data_dir=data_dir, preset="tiny", database=database)
    engine = engine_for(settings, "people")
    notes = Table("notes_of_this_test", MetaData(), Column("key", Text, primary_key=True), Column("note", Text))
    notes.create(engine)
    for note in ("first", "second"):
        with writing(engine) as connection:
            upsert = insert_or_update(connection, notes).values(key="a", note=note)
            connection.execute(upsert.on_conflict_do_update(index_elements=["key"], set_={"note": upsert.excluded.note}))
    with reading(engine) as connection:
        assert connection.execute(select(notes)).all() == [("a", "second")]
