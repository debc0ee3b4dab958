"""The people's database: a users.db from before Alembic is adopted with every row, a new database opened by
several processes at once is migrated once, and a user's rows in every table go with them, on both backends."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
import time

from PIL import Image
from sqlalchemy import insert, inspect, select, text

from stylist.databases import engine_for, newest_revision, reading, writing
from stylist.people.choices import get_choice, record_choice, summarise_preferences
from stylist.people.database import people_engine
from stylist.people.looks import list_looks
from stylist.people.photos import AcceptedPhoto, Box, IntakeResult, crop_face
from stylist.people.sizes import get_sizes, set_sizes
from stylist.people.tables import metadata, preferences, user_sizes, users, web_tokens
from stylist.people.users import delete_user, get_user, list_users, store_user
from stylist.settings import Settings

# users.db as the code before Alembic wrote it: each table was created the first time it was used, so this one
# never had `preferences`.
OLD_TABLES = """
CREATE TABLE users (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE web_tokens (
    user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    token_sha256 TEXT NOT NULL, created_at TEXT NOT NULL
);
CREATE TABLE user_sizes (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    slot TEXT NOT NULL,
    size TEXT NOT NULL,
    PRIMARY KEY (user_id, slot)
);
"""
GRACE, ADA = "f" * 16, "0" * 16  # Grace came first; her id sorts last


def figure(settings: Settings, name: str):
    """A user stored without face detection (flat pictures, faces given): quick, and the same rows as any."""
    images = [Image.new("RGB", (64, 64), (40 * number, 90, 160)) for number in range(3)]
    box = Box(10, 4, 20, 18)
    accepted = [AcceptedPhoto(f"{number}.png", image, box, crop_face(image, box, 64))
                for number, image in enumerate(images)]
    return store_user(settings, name, IntakeResult(accepted, [], []), crop_size=64)


def write_old_users_db(data_dir) -> None:
    with sqlite3.connect(data_dir / "users.db") as db:
        db.executescript(OLD_TABLES)
        for user_id, name in ((GRACE, "Grace"), (ADA, "Ada")):
            db.execute("INSERT INTO users VALUES (?, ?, '2025-05-01T09:00:00+00:00')", (user_id, name))
            folder = data_dir / "users" / user_id
            folder.mkdir(parents=True)
            record = {"id": user_id, "name": name, "created_at": "2025-05-01T09:00:00+00:00", "crop_size": 64,
                      "photos": [], "warnings": []}
            (folder / "user.json").write_text(json.dumps(record))
        db.execute("INSERT INTO web_tokens VALUES (?, 'digest', '2025-05-01T09:00:00+00:00')", (GRACE,))
        db.execute("INSERT INTO user_sizes VALUES (?, 'dress', 'M'), (?, 'shoes', 'EU 39')", (GRACE, GRACE))
    db.close()


def test_a_users_db_from_before_alembic_keeps_every_row_and_is_migrated_on(data_dir):
    write_old_users_db(data_dir)
    # A look of Ada's, as a look.json file in its folder (looks had no table then), and a leftover folder's.
    for user_id in (ADA, "e" * 16):
        folder = data_dir / "users" / user_id / "looks" / ("1" * 16)
        folder.mkdir(parents=True)
        (folder / "look.json").write_text(json.dumps({
            "look_id": "1" * 16, "user_id": user_id, "prompt": "linen", "created_at": "2025-05-02T10:00:00+00:00",
            "timings": {}, "notes": [], "options": [{"id": "1" * 16 + "-1", "image": "1" * 16 + "-1.png",
                                                   "score": 0.5, "seed": 3, "products": []}]}))
    settings = Settings(data_dir=data_dir, preset="tiny")

    [look] = list_looks(settings, ADA)  # brought into the table by the migration; the leftover's was not
    assert look.prompt == "linen" and look.options[0].image == data_dir / "users" / ADA / "looks" / ("1" * 16) / (
        "1" * 16 + "-1.png")

    assert [user.name for user in list_users(settings)] == ["Grace", "Ada"]  # as they came, not by id
    assert get_sizes(settings, GRACE) == {"dress": "M", "shoes": "EU 39"}
    record_choice(settings, ADA, "1" * 16, "1" * 16 + "-2", rank=1, options=3, score=0.5, prompt="linen", rating=4)
    assert get_choice(settings, ADA, "1" * 16) == {"option_id": "1" * 16 + "-2", "rating": 4}
    later = figure(settings, "Hedy")
    assert [user.name for user in list_users(settings)] == ["Grace", "Ada", "Hedy"]
    with reading(engine_for(settings, "people")) as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [
            newest_revision("people")]
        assert connection.execute(select(web_tokens.c.user_id)).scalars().all() == [GRACE]

    delete_user(settings, GRACE)  # the adopted tables' cascades still hold
    with reading(engine_for(settings, "people")) as connection:
        assert connection.execute(select(web_tokens)).all() == []
        assert connection.execute(select(user_sizes)).all() == []
    assert [user.id for user in list_users(settings)] == [ADA, later.id]
    delete_user(settings, ADA)  # and the cascade of the table adoption created
    with reading(engine_for(settings, "people")) as connection:
        assert connection.execute(select(preferences)).all() == []


OPEN_AT_ONCE = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from stylist.people.database import people_engine
    from stylist.settings import Settings

    data_dir, database, go = Path(sys.argv[1]), sys.argv[2] or None, Path(sys.argv[3])
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.005)
    people_engine(Settings(data_dir=data_dir, preset="tiny", database=database))
""")


def test_a_new_database_opened_by_several_processes_at_once_is_migrated_once(data_dir, database, tmp_path):
    go = tmp_path / "go"
    processes = [subprocess.Popen([sys.executable, "-c", OPEN_AT_ONCE, str(data_dir), database or "", str(go)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for process in processes:
        assert process.stdout.readline() == "ready\n"  # imports done: they now start together
    go.touch()
    started = time.monotonic()
    for process in processes:
        _, errors = process.communicate(timeout=60)
        assert process.returncode == 0, errors
    assert time.monotonic() - started < 30

    settings = Settings(data_dir=data_dir, preset="tiny", database=database)
    with reading(engine_for(settings, "people")) as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [
            newest_revision("people")]
    assert list_users(settings) == []


def test_deleting_a_user_deletes_their_rows_in_every_table(data_dir, database):
    settings = Settings(data_dir=data_dir, preset="tiny", database=database)
    ada, grace = figure(settings, "Ada"), figure(settings, "Grace")
    for person in (ada, grace):
        set_sizes(settings, person.id, {"dress": "S", "shoes": "38"})
        record_choice(settings, person.id, "1" * 16, "1" * 16 + "-1", rank=0, options=2, score=None, prompt="a",
                      rating=None)
        with writing(engine_for(settings, "people")) as connection:
            connection.execute(insert(web_tokens).values(user_id=person.id, token_sha256="digest", created_at="now"))

    delete_user(settings, ada.id)

    with reading(engine_for(settings, "people")) as connection:
        for table in (users, user_sizes, preferences):
            owner = table.c.id if table is users else table.c.user_id
            assert set(connection.execute(select(owner)).scalars()) == {grace.id}, table.name
        assert connection.execute(select(web_tokens.c.user_id)).scalars().all() == [grace.id]
    assert not ada.folder.exists() and get_user(settings, grace.id) == grace
    assert summarise_preferences(settings)["users"] == 1


def described(table) -> tuple:
    """A table's columns, primary key and foreign keys with what deleting their row does, as names."""
    return ([column.name for column in table.columns], [column.name for column in table.primary_key],
            sorted((key.parent.name, key.column.table.name, key.ondelete) for key in table.foreign_keys))


def reflected(inspector, name: str) -> tuple:
    return ([column["name"] for column in inspector.get_columns(name)],
            inspector.get_pk_constraint(name)["constrained_columns"],
            sorted((key["constrained_columns"][0], key["referred_table"], key["options"].get("ondelete"))
                   for key in inspector.get_foreign_keys(name)))


def test_the_migrations_make_the_tables_that_tables_py_describes(data_dir, database):
    engine = people_engine(Settings(data_dir=data_dir, preset="tiny", database=database))
    inspector = inspect(engine)
    for table in metadata.sorted_tables:
        assert reflected(inspector, table.name) == described(table), table.name


def test_an_adopted_users_db_has_the_columns_that_tables_py_describes(data_dir):
    write_old_users_db(data_dir)
    inspector = inspect(people_engine(Settings(data_dir=data_dir, preset="tiny")))
    for table in metadata.sorted_tables:
        # Columns and keys only: SQLAlchemy does not read the ON DELETE of a REFERENCES written inside a column's
        # line, as the old tables wrote theirs; the test above sees those cascades delete.
        assert reflected(inspector, table.name)[:2] == described(table)[:2], table.name
