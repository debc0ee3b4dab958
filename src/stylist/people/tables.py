"""The people's records, as the Core statements of people/ and web/accounts.py name them: the users, their web
tokens, their looks' records, their picks among a look's options and the sizes they wear.

The migrations in people/migrations/ create these tables; this module only describes them, so that one change
of the schema is a new migration and an edit here. Every table but `users` says whose rows they are with
`REFERENCES users(id) ON DELETE CASCADE`, so deleting the user deletes them in the same statement, on SQLite
(foreign keys are switched on for every connection) and on PostgreSQL alike. Times are ISO 8601 text, as
they always were in users.db.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Double, ForeignKey, Identity, Index, Integer, MetaData, Table, Text

metadata = MetaData()


def _owner(primary_key: bool = False) -> Column:
    return Column("user_id", Text, ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                  primary_key=primary_key)


users = Table(
    "users", metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    # The order users were added in, which list_users keeps: created_at has a second's resolution. PostgreSQL
    # numbers rows itself; SQLite has no identity columns, so store_user counts on under its write lock.
    Column("number", BigInteger, Identity()),
    Index("users_number", "number", unique=True),
)

web_tokens = Table(
    "web_tokens", metadata,
    _owner(primary_key=True),
    Column("token_sha256", Text, nullable=False),
    Column("created_at", Text, nullable=False),
)

preferences = Table(
    "preferences", metadata,
    _owner(primary_key=True),
    Column("look_id", Text, primary_key=True),
    Column("option_id", Text, nullable=False),
    Column("option_rank", Integer, nullable=False),
    Column("options", Integer, nullable=False),
    Column("score", Double),
    Column("rating", Integer),
    Column("prompt", Text, nullable=False),
    Column("preset", Text, nullable=False),
    Column("created_at", Text, nullable=False),
)

user_sizes = Table(
    "user_sizes", metadata,
    _owner(primary_key=True),
    Column("slot", Text, primary_key=True),
    Column("size", Text, nullable=False),
)

# A look's record (people/looks.py), the JSON its page and its buy links are made from; its images are files
# in the user's folder of the media root.
looks = Table(
    "looks", metadata,
    Column("look_id", Text, primary_key=True),
    _owner(),
    Column("created_at", Text, nullable=False),
    Column("record", Text, nullable=False),
    Index("looks_by_user", "user_id", "created_at"),
)
