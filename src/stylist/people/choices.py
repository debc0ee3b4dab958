"""The favourites people pick and rate, kept in users.db beside the users themselves.

The table references `users(id) ON DELETE CASCADE`, so deleting a user deletes their choices in the same
transaction. `stylist eval preferences` summarises them: whether the ranker's first option is the one
people pick.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from stylist.people.users import users_db
from stylist.records import utc_now
from stylist.settings import Settings

_SCHEMA = """
CREATE TABLE IF NOT EXISTS preferences (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, look_id TEXT NOT NULL,
    option_id TEXT NOT NULL, option_rank INTEGER NOT NULL, options INTEGER NOT NULL, score REAL,
    rating INTEGER, prompt TEXT NOT NULL, preset TEXT NOT NULL, created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, look_id)
)
"""


def record_choice(settings: Settings, user_id: str, look_id: str, option_id: str, *, rank: int, options: int,
                  score: float | None, prompt: str, rating: int | None) -> None:
    """The user's favourite option of a look (a later pick of the same look replaces it), with its rating.

    A rating given changes the one stored; none given keeps the rating of the same option as it was (a pick
    from the page sent again, a rating given before), and a pick of another option starts unrated: a
    rating is of the option it was given to.
    """
    with users_db(settings, _SCHEMA) as db:
        db.execute(
            "INSERT INTO preferences (user_id, look_id, option_id, option_rank, options, score, rating, prompt, "
            "preset, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, look_id) DO UPDATE SET "
            "option_id = excluded.option_id, option_rank = excluded.option_rank, options = excluded.options, "
            "score = excluded.score, rating = CASE WHEN excluded.rating IS NOT NULL THEN excluded.rating "
            "WHEN preferences.option_id = excluded.option_id THEN preferences.rating END, "
            "prompt = excluded.prompt, preset = excluded.preset, created_at = excluded.created_at",
            (user_id, look_id, option_id, rank, options, score, rating, prompt, settings.preset, utc_now()),
        )


def summarise_preferences(settings: Settings) -> dict[str, Any]:
    """What people picked and rated: counts, the rating histogram, and how often they agreed with the ranker.

    `top_pick_rate` is how often the option the fashion CLIP ranked first was picked; `chance_top_pick_rate`
    is what picking at random would give, the baseline it must beat to say the ranking helps.
    """
    with users_db(settings, _SCHEMA) as db:
        rows = db.execute("SELECT user_id, option_rank, options, rating, preset FROM preferences").fetchall()
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
    with users_db(settings, _SCHEMA) as db:
        row = db.execute("SELECT option_id, rating FROM preferences WHERE user_id = ? AND look_id = ?",
                         (user_id, look_id)).fetchone()
    return None if row is None else {"option_id": row[0], "rating": row[1]}
