"""Per-user bearer tokens, kept in the people's database beside the users themselves.

The table (people/tables.py) references `users(id) ON DELETE CASCADE`, so deleting a user (people's
`forget_user`) deletes their token in the same transaction. Only a token's SHA-256 is stored: a copy of the
database does not let anyone act as a user. Tokens are `<user id>.<secret>`, so a request names whose token it
carries and the check is one row, compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select

from stylist.databases import insert_or_update, reading, writing
from stylist.people.database import people_engine
from stylist.people.tables import web_tokens
from stylist.records import utc_now
from stylist.settings import Settings


def issue_token(settings: Settings, user_id: str) -> str:
    """A new token for the user (replacing any earlier one); shown once, stored only as its hash."""
    token = f"{user_id}.{secrets.token_urlsafe(32)}"
    with writing(people_engine(settings)) as connection:
        upsert = insert_or_update(connection, web_tokens).values(user_id=user_id, token_sha256=_digest(token),
                                                                 created_at=utc_now())
        connection.execute(upsert.on_conflict_do_update(
            index_elements=["user_id"],
            set_={"token_sha256": upsert.excluded.token_sha256, "created_at": upsert.excluded.created_at}))
    return token


def token_user(settings: Settings, token: str) -> str | None:
    """The id of the user the token belongs to, or None for a token that is wrong in any way."""
    user_id, dot, secret = token.partition(".")
    if not dot or not secret or len(token) > 200:
        return None
    with reading(people_engine(settings)) as connection:
        row = connection.execute(select(web_tokens.c.token_sha256).where(web_tokens.c.user_id == user_id)).first()
    # Hashing first and comparing digests keeps the comparison constant-time in the secret.
    if row is None or not hmac.compare_digest(row[0], _digest(token)):
        return None
    return user_id


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
