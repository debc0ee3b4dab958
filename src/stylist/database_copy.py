"""`stylist db copy --to postgresql://…`: move a data dir's records from its SQLite files into PostgreSQL.

A team that outgrows one machine keeps what it has: the catalog (shops, crawl runs, products with their ids
and aliases, offers, images, variants, pages), the people (users, tokens, sizes, choices, looks) and the jobs with
their history. Each store is brought to its newest revision on both sides first (an old data dir migrates
as it does when opened), then every table is copied in the order its foreign keys need, ids as they are,
from one snapshot of its SQLite file in one transaction; PostgreSQL's sequences are moved past the copied
values, and each table's rows are counted again before the commit. The target must be empty (every store is
checked before anything is copied): a copy never merges into or overwrites records that are already there. Files
(photos, looks, spins, images) stay where they are, under the media root, named by the records as before.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

import click
from sqlalchemy import Connection, Engine, Integer, MetaData, Table, func, insert, select, text
from sqlalchemy.exc import DBAPIError

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
    rows: int  # in the data dir's snapshot; the copy is counted again and holds as many


def _tables(source: Engine, target: Engine) -> tuple[MetaData, list[Table]]:
    """The source's tables, and the target's tables that the copy fills, in the order their foreign keys need."""
    source_tables, target_tables = MetaData(), MetaData()
    source_tables.reflect(source)
    target_tables.reflect(target)
    return source_tables, [table for table in target_tables.sorted_tables
                           if table.name in source_tables.tables and not table.name.startswith(NOT_COPIED)]


def _refuse_unless_empty(store: str, target: Engine, tables: list[Table]) -> None:
    with reading(target) as db:
        for table in tables:
            if db.execute(select(table).limit(1)).first() is not None:
                raise StylistError(f"the database {redacted(str(target.url))} already holds {store} records "
                                   f"({table.name} is not empty): copy into an empty database")


def _copy_store(store: str, source: Engine, target: Engine,
                on_progress: Callable[[Progress], None] | None) -> list[CopiedTable]:
    """Every table of one store, read in one snapshot of the SQLite file, written in one transaction."""
    source_tables, tables = _tables(source, target)
    copied = []
    with reading(source) as snapshot, writing(target) as into:
        for number, table in enumerate(tables):
            rows = _copy_table(source_tables.tables[table.name], table, snapshot, into)
            copied.append(CopiedTable(store, table.name, rows))
            if on_progress:
                on_progress(Progress(f"copying the {store} records", number + 1, len(tables), unit="table",
                                     details={"table": table.name}))
        _move_sequences(into, tables)
        # Counted again before the commit: a copy that came out short is never kept.
        _verify(copied, into)
    return copied


def _copy_table(source_table: Table, target_table: Table, snapshot: Connection, into: Connection) -> int:
    """Copy the rows; how many the source holds in this snapshot."""
    # Both dialects' tables keep the same types (times as ISO text, flags as 0/1): values copy as they are.
    columns = [column for column in target_table.columns if column.name in source_table.columns]
    result = snapshot.execute(select(*(source_table.c[column.name] for column in columns)))
    while batch := result.fetchmany(BATCH_ROWS):
        into.execute(insert(target_table), [
            dict(row._mapping) for row in batch])
    return snapshot.execute(select(func.count()).select_from(source_table)).scalar_one()


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
    """Copy the data dir's catalog, people and jobs into the empty PostgreSQL database `to`; what was copied.

    Every store's target is checked to be empty before anything is copied. A copy that fails part way
    (the server went away) may leave the stores copied before it: the error says to empty the database.
    """
    from stylist.catalog.store import CatalogStore
    from stylist.jobs.postgres_queue import PostgresQueue
    from stylist.jobs.sqlite_queue import SqliteQueue
    from stylist.people.database import people_engine

    source = replace(settings, database=None)  # the data dir's own files, whatever --database says
    url = checked_database_url(to)
    if url is None:
        raise StylistError("db copy needs --to postgresql://USER:PASSWORD@HOST:PORT/NAME")
    target = replace(settings, database=url)
    openers: dict[str, Callable[[Settings], object]] = {"catalog": CatalogStore, "people": people_engine}
    stores = [store for store in openers if (source.data_dir / SQLITE_FILES[store]).exists()]
    jobs_file = source.data_dir / "jobs.db"
    if not stores and not jobs_file.exists():
        raise StylistError(f"{source.data_dir} holds no catalog.db, users.db or jobs.db to copy")

    for store in stores:  # each side's tables at the store's newest revision (an old data dir migrates first)
        openers[store](source)
        openers[store](target)
        _refuse_unless_empty(store, engine_for(target, store),
                             _tables(engine_for(source, store), engine_for(target, store))[1])
    old = SqliteQueue(jobs_file) if jobs_file.exists() else None
    new = PostgresQueue(target)
    try:
        if old is not None and new.jobs():
            raise StylistError(f"the database {redacted(url)} already holds jobs: copy into an empty database")
        try:
            tables = [copied for store in stores
                      for copied in _copy_store(store, engine_for(source, store), engine_for(target, store),
                                                on_progress)]
            jobs = 0
            if old is not None:
                history = old.jobs()
                jobs = new.copy_in(history)
                if len(new.jobs()) != len(history):
                    raise StylistError(f"the copy holds {len(new.jobs())} jobs where the data dir has {len(history)}")
        except (StylistError, DBAPIError) as exc:
            reason = str(exc) if isinstance(exc, StylistError) else redacted(str(exc.orig))
            raise StylistError(f"the copy stopped ({reason}); the database may hold part of it: empty it (drop "
                               "and create it again) before copying again; the data dir is as it was") from exc
    finally:
        if old is not None:
            old.close()
        new.close()
    return {"to": redacted(url), "tables": [asdict(table) for table in tables], "jobs": jobs}


@click.group(name="db")
def db() -> None:
    """Move the records of one machine's data dir into a database that several machines share."""


@db.command(name="copy")
@click.option("--to", "to", metavar="URL",
              help="An empty PostgreSQL database: postgresql://USER:PASSWORD@HOST:PORT/NAME [the global --database, "
                   "STYLIST_DATABASE, which keeps the password off the command line].")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: the tables with their rows, and the jobs.")
@click.pass_obj
def copy(settings: Settings, to: str | None, as_json: bool) -> None:
    """Copy the data dir's SQLite records (catalog, people, looks, jobs; every id kept) into PostgreSQL, and
    count them again there.

    Stop `serve` and the workers first. The data dir's files are brought to their newest schema, as any
    command does, and otherwise only read; its photos, looks' images, spins and catalog images stay where
    they are: give every machine the same data dir and the database afterwards.
    """
    to = to or settings.database
    if to is None:
        raise StylistError("db copy needs the database to copy into: --to URL, or STYLIST_DATABASE")
    with progress_bars(wants_progress(as_json), "copy") as on_progress:
        copied = copy_data_dir(settings, to, on_progress)
    if as_json:
        click.echo(json.dumps(copied))
        return
    for table in copied["tables"]:
        click.echo(f"{table['store']}.{table['table']}: {table['rows']} rows")
    click.echo(f"jobs: {copied['jobs']}")
    click.echo(f"copied into {copied['to']}; every table's rows counted again there")
