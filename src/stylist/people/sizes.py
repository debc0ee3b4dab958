"""The sizes a person wears, one per slot that takes one, kept in the people's database beside the user.

A size is kept as the person wrote it ("M", "IT 40", "32/34", "one size"): stylist.sizes reads it when the
looks compare it with a shop's sizes, so a better reading later needs no migration. The table (people/tables.py)
references `users(id) ON DELETE CASCADE`: deleting the person deletes their sizes in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select

from stylist.databases import insert_or_update, reading, writing
from stylist.errors import StylistError
from stylist.people.database import people_engine
from stylist.people.tables import user_sizes, users
from stylist.people.users import get_user
from stylist.settings import Settings
from stylist.sizes import MAX_SIZE_TEXT, SIZED_SLOTS, UNSIZED_SLOTS


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
    with reading(people_engine(settings)) as connection:
        rows = dict(connection.execute(select(user_sizes.c.slot, user_sizes.c.size)
                                       .where(user_sizes.c.user_id == user_id)).all())
    return {slot: rows[slot] for slot in SIZED_SLOTS if slot in rows}


def set_sizes(settings: Settings, user_id: str, sizes: Mapping[str, str], *, replace: bool = False) -> dict[str, str]:
    """Set the slots given (an empty size clears its slot) and keep the others, or with `replace` clear every
    slot not given; returns all the person's sizes. Every pair is checked before any is stored, so a refused
    request changes nothing, and the change is one transaction, so two at once do not undo each other."""
    sizes = checked_sizes(sizes)
    get_user(settings, user_id)
    with writing(people_engine(settings)) as connection:
        # The person's row held for the change (SQLite's write lock already holds the file): two changes at
        # once on PostgreSQL take turns rather than interleave their deletes and inserts.
        connection.execute(select(users.c.id).where(users.c.id == user_id).with_for_update())
        if replace:
            connection.execute(delete(user_sizes).where(user_sizes.c.user_id == user_id))
        for slot, size in sizes.items():
            if size:
                upsert = insert_or_update(connection, user_sizes).values(user_id=user_id, slot=slot, size=size)
                connection.execute(upsert.on_conflict_do_update(index_elements=["user_id", "slot"],
                                                                set_={"size": upsert.excluded.size}))
            else:
                connection.execute(delete(user_sizes).where(user_sizes.c.user_id == user_id,
                                                            user_sizes.c.slot == slot))
    return get_sizes(settings, user_id)
