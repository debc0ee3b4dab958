"""Look records join the people's database: the record a look's option images are shown with, one row each.

Revision ID: people_0003
Revises: people_0002
Create Date: 2026-12-07

Until now a look's record was the look.json file in its folder. In a fleet the records live in PostgreSQL
and only the images in the shared media root, so the record becomes a row. A users.db that already holds
looks gets a row for each look.json of its users (the data dir is the folder users.db is in); a new database
has none to bring. The look.json files stay where they are, read by nothing any more.
"""

import json
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "people_0003"
down_revision = "people_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "looks",
        sa.Column("look_id", sa.Text, primary_key=True),
        sa.Column("user_id", sa.Text, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("record", sa.Text, nullable=False),  # the look as JSON: prompt, options, products, timings
    )
    op.create_index("looks_by_user", "looks", ["user_id", "created_at"])
    bind = op.get_bind()
    if bind.dialect.name == "sqlite" and bind.engine.url.database:
        _bring_look_files(bind, Path(bind.engine.url.database).parent)


def _bring_look_files(bind: sa.Connection, data_dir: Path) -> None:
    users = {user_id for (user_id,) in bind.execute(sa.text("SELECT id FROM users"))}
    looks = sa.table("looks", sa.column("look_id"), sa.column("user_id"), sa.column("created_at"),
                     sa.column("record"))
    for path in sorted(data_dir.glob("users/*/looks/*/look.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        if record.get("user_id") in users:  # a folder whose user is gone is a leftover the sweep removes
            bind.execute(looks.insert().values(look_id=record["look_id"], user_id=record["user_id"],
                                               created_at=record["created_at"], record=json.dumps(record)))


def downgrade() -> None:
    op.drop_table("looks")
