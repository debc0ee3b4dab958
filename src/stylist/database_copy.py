"""`stylist db copy --to postgresql://…`: move a data dir's records from its SQLite files into PostgreSQL.

A team that outgrows one machine keeps what it has: the catalog (shops, crawl runs, products with their ids
and aliases, offers, images, variants, pages), the people (users, tokens, sizes, choices) and the jobs with
their history. Each store is brought to its newest revision on both sides first (an old data dir migrates
as it does when opened), then every table is copied in the order its foreign keys need, ids as they are;
PostgreSQL's id sequences are moved past the copied ids, and each table's row count is compared. The
target must be empty: a copy never merges into or overwrites records that are already there. Files
(photos, looks, spins, images) stay where they are, under the media root, named by the records as before.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Boolean, Connection, DateTime, Engine, MetaData, Table, insert, select, text
from sqlalchemy.types import JSON

from stylist.databases import SQLITE_FILES, engine_for, reading, writing
from stylist.errors import StylistError
from stylist.progress import Progress
from stylist.settings import Settings, redacted

BATCH_ROWS = 1000
# Tables that are not records: Alembic's own (each side has its revisions) and SQLite's full-text index,
# which PostgreSQL keeps by itself from the products table.
NOT_COPIED = ("alembic_version", "sqlite_", "product_text", "product_terms")


@dataclass
class CopiedTable:
    store: str
    table: str
    rows: int  # in the source; the copy is verified to hold as many


def copy_stores(source: Settings, to: str, stores: Iterable[tuple[str, Callable[[Settings], None]]],
                on_progress: Callable[[Progress], None] | None = None) -> list[CopiedTable]:
    """Copy each store's tables from `source`'s SQLite files into the PostgreSQL database `to`.

    `stores` names each store with the function that opens it on a Settings (which creates or migrates its
    tables there): the copy reads and writes only tables the stores themselves made.
    """
    target = replace(source, database=to)
    copied: list[CopiedTable] = []
    for store, open_store in stores:
        if not (source.data_dir / SQLITE_FILES[store]).exists():
            continue
        open_store(source)
        open_store(target)
        copied += _copy_store(store, engine_for(source, store), engine_for(target, store), on_progress)
    return copied


def _copy_store(store: str, source: Engine, target: Engine,
                on_progress: Callable[[Progress], None] | None) -> list[CopiedTable]:
    source_tables, target_tables = MetaData(), MetaData()
    source_tables.reflect(source)
    target_tables.reflect(target)
    names = [table for table in target_tables.sorted_tables
             if table.name in source_tables.tables and not table.name.startswith(NOT_COPIED)]
    copied = []
    with writing(target) as into:
        for table in names:
            if into.execute(select(table).limit(1)).first() is not None:
                raise StylistError(f"the database {redacted(str(target.url))} already holds {store} records "
                                   f"({table.name} is not empty): copy into an empty database")
        for number, table in enumerate(names):
            rows = _copy_table(source_tables.tables[table.name], table, source, into)
            copied.append(CopiedTable(store, table.name, rows))
            if on_progress:
                on_progress(Progress(f"copying the {store} records", number + 1, len(names), unit="table",
                                     details={"table": table.name}))
        _move_sequences(into, names)
        # Counted inside the copy's transaction: a copy that came out short is never committed.
        _verify(copied, into)
    return copied


def _copy_table(source_table: Table, target_table: Table, source: Engine, into: Connection) -> int:
    columns = [column for column in target_table.columns if column.name in source_table.columns]
    convert = {column.name: _converter(column.type) for column in columns}
    count = 0
    with reading(source) as source_connection:
        result = source_connection.execution_options(stream_results=True).execute(
            select(*(source_table.c[column.name] for column in columns)))
        while batch := result.fetchmany(BATCH_ROWS):
            into.execute(insert(target_table), [
                {name: convert[name](value) for name, value in row._mapping.items()} for row in batch])
            count += len(batch)
    return count


def _converter(kind) -> Callable:
    """How a value SQLite stored becomes one of the PostgreSQL column's type: SQLite keeps booleans as 0/1,
    and JSON and times as text where PostgreSQL has types of their own."""
    if isinstance(kind, Boolean):
        return lambda value: None if value is None else bool(value)
    if isinstance(kind, JSON):
        return lambda value: json.loads(value) if isinstance(value, str) else value
    if isinstance(kind, DateTime):
        return lambda value: datetime.fromisoformat(value) if isinstance(value, str) else value
    return lambda value: value


def _move_sequences(into: Connection, tables: list[Table]) -> None:
    """Set each id sequence past the largest copied id, so the next record made gets a new one."""
    for table in tables:
        for column in table.primary_key.columns:
            sequence = into.execute(text("SELECT pg_get_serial_sequence(:table, :column)"),
                                    {"table": table.name, "column": column.name}).scalar()
            if sequence:
                into.execute(text(f"SELECT setval(:sequence, COALESCE((SELECT MAX({column.name}) FROM "
                                  f"{table.name}), 0) + 1, false)"), {"sequence": sequence})


def _verify(copied: list[CopiedTable], into: Connection) -> None:
    for entry in copied:
        count = into.execute(text(f'SELECT COUNT(*) FROM "{entry.table}"')).scalar()
        if count != entry.rows:
            raise StylistError(f"the copy of {entry.table} holds {count} rows where the data dir has {entry.rows}; "
                               "nothing was kept in the database and nothing in the data dir changed")
