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
from dataclasses import asdict, dataclass, replace
from datetime import datetime

import click
from sqlalchemy import Boolean, Connection, DateTime, Engine, Integer, MetaData, Table, insert, select, text
from sqlalchemy.types import JSON

from stylist.databases import SQLITE_FILES, engine_for, reading, writing
from stylist.errors import StylistError
from stylist.progress import Progress, progress_bars, wants_progress
from stylist.settings import Settings, checked_database_url, redacted

BATCH_ROWS = 1000
# Tables that are not records: Alembic's own (each side has its revisions) and SQLite's full-text index,
# which PostgreSQL keeps by itself from the products table.
NOT_COPIED = ("alembic_version", "sqlite_", "product_text", "product_terms")


@dataclass
class CopiedTable:
    store: str
    table: str
    rows: int  # in the source; the copy is verified to hold as many


def copy_stores(source: Settings, to: str, stores: Iterable[tuple[str, Callable[[Settings], object]]],
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
    """Set each sequence (serial ids, identity columns) past the largest copied value, so the next record made
    gets a new one."""
    for table in tables:
        for column in (column for column in table.columns if isinstance(column.type, Integer)):
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


def copy_data_dir(settings: Settings, to: str, on_progress: Callable[[Progress], None] | None = None) -> dict:
    """Copy the data dir's catalog, people and jobs into the empty PostgreSQL database `to`; what was copied."""
    from stylist.catalog.store import CatalogStore
    from stylist.jobs.postgres_queue import PostgresQueue
    from stylist.jobs.sqlite_queue import SqliteQueue
    from stylist.people.database import people_engine

    source = replace(settings, database=None)  # the data dir's own files, whatever --database says
    url = checked_database_url(to)
    if url is None:
        raise StylistError("db copy needs --to postgresql://USER:PASSWORD@HOST:PORT/NAME")
    target = replace(settings, database=url)
    jobs_file = source.data_dir / "jobs.db"
    if not jobs_file.exists() and not any((source.data_dir / name).exists() for name in SQLITE_FILES.values()):
        raise StylistError(f"{source.data_dir} holds no catalog.db, users.db or jobs.db to copy")
    tables = copy_stores(source, url, [("catalog", CatalogStore), ("people", people_engine)], on_progress)

    jobs = 0
    if jobs_file.exists():
        old = SqliteQueue(jobs_file)
        new = PostgresQueue(target)
        try:
            if new.jobs():
                raise StylistError(f"the database {redacted(to)} already holds jobs: copy into an empty database")
            history = old.jobs()
            jobs = new.copy_in(history)
            if len(new.jobs()) != len(history):
                raise StylistError(f"the copy holds {len(new.jobs())} jobs where the data dir has {len(history)}")
        finally:
            old.close()
            new.close()
    return {"to": redacted(to), "tables": [asdict(table) for table in tables], "jobs": jobs}


@click.group(name="db")
def db() -> None:
    """Move the records of one machine's data dir into a database that several machines share."""


@db.command(name="copy")
@click.option("--to", "to", required=True, metavar="URL",
              help="An empty PostgreSQL database: postgresql://USER:PASSWORD@HOST:PORT/NAME.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: the tables with their rows, and the jobs.")
@click.pass_obj
def copy(settings: Settings, to: str, as_json: bool) -> None:
    """Copy the data dir's SQLite records (catalog, people, jobs; every id kept) into PostgreSQL and check them.

    The data dir is only read. Its files (photos, looks, spins, images) stay where they are: give every
    machine the same data dir and `--database URL` afterwards.
    """
    with progress_bars(wants_progress(as_json), "copy") as on_progress:
        copied = copy_data_dir(settings, to, on_progress)
    if as_json:
        click.echo(json.dumps(copied))
        return
    for table in copied["tables"]:
        click.echo(f"{table['store']}.{table['table']}: {table['rows']} rows")
    click.echo(f"jobs: {copied['jobs']}")
    click.echo(f"copied into {copied['to']}; every table's rows counted again there")
