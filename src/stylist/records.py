"""The id and the time that stored things carry: users, looks, jobs, tokens and catalog rows.

Ids are 64 random bits from the OS as 16 hex digits: unguessable, and safe in URLs and file names, so
anything else given as an id is refused before it comes near a path. Times are UTC, ISO 8601, to the second.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

_ID = re.compile(r"[0-9a-f]{16}")


def new_id() -> str:
    return secrets.token_hex(8)


def is_id(text: str) -> bool:
    return bool(_ID.fullmatch(text))


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
