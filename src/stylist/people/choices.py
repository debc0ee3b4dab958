"""The favourites people pick and rate, kept in the people's database beside the users themselves.

The table (people/tables.py) references `users(id) ON DELETE CASCADE`, so deleting a user deletes their
choices in the same transaction. `stylist eval preferences` summarises them: whether the ranker's first option
is the one people pick.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import case, select

from stylist.databases import insert_or_update, reading, writing
from stylist.people.database import people_engine
from stylist.people.tables import preferences
from stylist.records import utc_now
from stylist.settings import Settings


def record_choice(settings: Settings, user_id: str, look_id: str, option_id: str, *, rank: int, options: int,
                  score: float | None, prompt: str, rating: int | None) -> None:
    """The user's favourite option of a look (a later pick of the same look replaces it), with its rating.

    A rating given changes the one stored; none given keeps the rating of the same option as it was (a pick
    from the page sent again, a rating given before), and a pick of another option starts unrated: a
    rating is of the option it was given to.
    """
    with writing(people_engine(settings)) as connection:
        upsert = insert_or_update(connection, preferences).values(
            user_id=user_id, look_id=look_id, option_id=option_id, option_rank=rank, options=options, score=score,
            rating=rating, prompt=prompt, preset=settings.preset, created_at=utc_now())
        new = upsert.excluded
        kept_rating = case((new.rating.is_not(None), new.rating),
                           (preferences.c.option_id == new.option_id, preferences.c.rating))
        connection.execute(upsert.on_conflict_do_update(
            index_elements=["user_id", "look_id"],
            set_={"option_id": new.option_id, "option_rank": new.option_rank, "options": new.options,
                  "score": new.score, "rating": kept_rating, "prompt": new.prompt, "preset": new.preset,
                  "created_at": new.created_at}))


def summarise_preferences(settings: Settings) -> dict[str, Any]:
    """What people picked and rated: counts, the rating histogram, and how often they agreed with the ranker.

    `top_pick_rate` is how often the option the fashion CLIP ranked first was picked; `chance_top_pick_rate`
    is what picking at random would give, the baseline it must beat to say the ranking helps.
    """
    with reading(people_engine(settings)) as connection:
        rows = connection.execute(select(preferences.c.user_id, preferences.c.option_rank, preferences.c.options,
                                         preferences.c.rating, preferences.c.preset)).all()
    ratings = [row[3] for row in rows if row[3] is not None]
    presets = Counter(row[4] for row in rows)
    return {
        "choices": len(rows),
        "users": len({row[0] for row in rows}),
        "rated": len(ratings),
        "mean_rating": sum(ratings) / len(ratings) if ratings else None,
        "ratings": {str(stars): ratings.count(stars) for stars in range(1, 6)},
        "top_pick_rate": sum(row[1] == 0 for row in rows) / len(rows) if rows else None,
        "chance_top_pick_rate": sum(1 / row[2] for row in rows) / len(rows) if rows else None,
        "mean_rank_picked": sum(row[1] for row in rows) / len(rows) if rows else None,
        "by_preset": dict(sorted(presets.items())),
    }


def get_choice(settings: Settings, user_id: str, look_id: str) -> dict[str, Any] | None:
    """The user's favourite option of a look and its rating, `{"option_id", "rating"}`, or None if none was picked."""
    with reading(people_engine(settings)) as connection:
        row = connection.execute(select(preferences.c.option_id, preferences.c.rating).where(
            preferences.c.user_id == user_id, preferences.c.look_id == look_id)).first()
    return None if row is None else {"option_id": row[0], "rating": row[1]}
