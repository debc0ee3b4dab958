"""The sizes a person wears, one per slot that takes one, kept in users.db beside the user.

A size is kept as the person wrote it ("M", "IT 40", "32/34", "one size"): stylist.sizes reads it when the
looks compare it with a shop's sizes, so a better reading later needs no migration. The table references
`users(id) ON DELETE CASCADE`: deleting the person deletes their sizes in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stylist.errors import StylistError
from stylist.people.users import get_user, transaction, users_db
from stylist.settings import Settings
from stylist.sizes import MAX_SIZE_TEXT, SIZED_SLOTS, UNSIZED_SLOTS

_SCHEMA = """
CREATE TABLE IF NOT EXISTS user_sizes (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    slot TEXT NOT NULL,
    size TEXT NOT NULL,
    PRIMARY KEY (user_id, slot)
)
"""


def checked_sizes(sizes: Any) -> dict[str, str]:
    """`sizes` as {slot: size text}, or StylistError naming what is wrong. An empty text clears the slot."""
    if not isinstance(sizes, Mapping):
        raise StylistError('sizes must be an object of slot to size, such as {"dress": "M", "shoes": "EU 39"}')
    result = {}
    for slot, size in sizes.items():
        slot = slot.strip().lower() if isinstance(slot, str) else slot
        if slot in UNSIZED_SLOTS:
            raise StylistError(f"a {slot} takes no size; sizes are for {', '.join(SIZED_SLOTS)}")
        if slot not in SIZED_SLOTS:
            raise StylistError(f"{str(slot)[:40]!r} is not a slot that takes a size; "
                               f"choose from {', '.join(SIZED_SLOTS)}")
        if not isinstance(size, str):
            raise StylistError(f"the {slot} size must be text such as \"M\", \"IT 40\" or \"32/34\"")
        size = " ".join(size.split())
        if len(size) > MAX_SIZE_TEXT or not size.isprintable():
            raise StylistError(f"the {slot} size must be at most {MAX_SIZE_TEXT} printable characters")
        result[slot] = size
    return result


def get_sizes(settings: Settings, user_id: str) -> dict[str, str]:
    """The person's sizes by slot, in the looks' slot order; StylistError for an unknown user."""
    get_user(settings, user_id)
    with users_db(settings, _SCHEMA) as db:
        rows = dict(db.execute("SELECT slot, size FROM user_sizes WHERE user_id = ?", (user_id,)).fetchall())
    return {slot: rows[slot] for slot in SIZED_SLOTS if slot in rows}


def set_sizes(settings: Settings, user_id: str, sizes: Mapping[str, str], *, replace: bool = False) -> dict[str, str]:
    """Set the slots given (an empty size clears its slot) and keep the others, or with `replace` clear every
    slot not given; returns all the person's sizes. Every pair is checked before any is stored, so a refused
    request changes nothing, and the change is one transaction, so two at once do not undo each other."""
    sizes = checked_sizes(sizes)
    get_user(settings, user_id)
    with users_db(settings, _SCHEMA) as db, transaction(db):
        if replace:
            db.execute("DELETE FROM user_sizes WHERE user_id = ?", (user_id,))
        for slot, size in sizes.items():
            if size:
                db.execute("INSERT INTO user_sizes (user_id, slot, size) VALUES (?, ?, ?) "
                           "ON CONFLICT (user_id, slot) DO UPDATE SET size = excluded.size", (user_id, slot, size))
            else:
                db.execute("DELETE FROM user_sizes WHERE user_id = ? AND slot = ?", (user_id, slot))
    return get_sizes(settings, user_id)
