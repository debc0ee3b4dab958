"""Forgetting a person: `DELETE /api/users/<id>` and `stylist user delete` both come here."""

from __future__ import annotations

from typing import Protocol

from stylist.people.users import delete_user
from stylist.settings import Settings


class UserJobs(Protocol):
    """The one thing forgetting asks of a job queue (stylist.jobs.queue.JobQueue has it)."""

    def delete_user(self, user_id: str) -> int: ...


def forget_user(settings: Settings, user_id: str, jobs: UserJobs | None) -> None:
    """Remove every trace of the user: their jobs, then their folder (photos, crops, weights, looks, videos)
    and their rows in the people's database (the registry, and the web token, the choices and the sizes, which
    cascade).

    Jobs go first, so that a worker still running one loses its claim and stops before the files go and
    cannot write them back. `jobs` is None where no queue was ever opened for this data directory.
    """
    if jobs is not None:
        jobs.delete_user(user_id)
    delete_user(settings, user_id)
