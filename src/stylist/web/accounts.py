"""Per-user bearer tokens, kept in users.db beside the users themselves.

The table references `users(id) ON DELETE CASCADE`, so deleting a user (people's `forget_user`) deletes
their token in the same transaction. Only a token's SHA-256 is stored: a copy of the database does not let
anyone act as a user. Tokens are `<user id>.<secret>`, so a request names whose
token it carries and the check is one row, compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from stylist.people.users import users_db
from stylist.records import utc_now
from stylist.settings import Settings

_SCHEMA = """
CREATE TABLE IF NOT EXISTS web_tokens (
    user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    token_sha256 TEXT NOT NULL, created_at TEXT NOT NULL
)
"""


def issue_token(settings: Settings, user_id: str) -> str:
    """A new token for the user (replacing any earlier one); shown once, stored only as its hash."""
    token = f"{user_id}.{secrets.token_urlsafe(32)}"
    with users_db(settings, _SCHEMA) as db:
        db.execute("INSERT OR REPLACE INTO web_tokens (user_id, token_sha256, created_at) VALUES (?, ?, ?)",
                   (user_id, _digest(token), utc_now()))
    return token


def token_user(settings: Settings, token: str) -> str | None:
    """The id of the user the token belongs to, or None for a token that is wrong in any way."""
    user_id, dot, secret = token.partition(".")
    if not dot or not secret or len(token) > 200:
        return None
    with users_db(settings, _SCHEMA) as db:
        row = db.execute("SELECT token_sha256 FROM web_tokens WHERE user_id = ?", (user_id,)).fetchone()
    # Hashing first and comparing digests keeps the comparison constant-time in the secret.
    if row is None or not hmac.compare_digest(row[0], _digest(token)):
        return None
    return user_id


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
