"""Where stylist keeps its data and which models it runs: one object, filled from flags or environment."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from stylist.errors import StylistError
from stylist.presets import PRESETS

# The main path (looks from the person's photo and the products' own, no training) at a size any CPU runs in
# seconds; a GPU with the real weights is chosen with --preset klein.
DEFAULT_PRESET = "tiny-klein"
DEVICES = ("auto", "cpu", "cuda")


def checked_database_url(url: str | None) -> str | None:
    """The URL if stylist can use it: postgresql://USER[:PASSWORD]@HOST[:PORT]/NAME, or None for SQLite files."""
    if url is None:
        return None
    if not url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        raise StylistError(f"unknown database {redacted(url)!r} (--database, STYLIST_DATABASE): use postgresql://"
                           "USER:PASSWORD@HOST:PORT/NAME, or leave it out for the SQLite files in the data dir")
    url = "postgresql://" + url.split("://", 1)[1]
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        make_url(url).port  # noqa: B018 — read for its check: a port that is no number raises here, not at connect
    except (ArgumentError, ValueError) as exc:
        raise StylistError(f"cannot read the database URL {redacted(url)!r} (--database, STYLIST_DATABASE): "
                           f"{redacted(str(exc))}") from None
    return url


def redacted(url: str) -> str:
    """The URL with its password replaced by ***, for logs, errors and help: a password never appears in them.

    The password is whatever lies between the user's name and the last @ before the host, so one holding
    @, #, ? or / (generated passwords do) is hidden whole; a `password=` parameter (or a libpq key=value
    string) is hidden too. When in doubt more is hidden, never less.
    """
    scheme, sep, rest = url.partition("://")
    if sep and "@" in rest:
        userinfo, host = rest.rsplit("@", 1)
        user, colon, _ = userinfo.partition(":")
        if colon:
            url = f"{scheme}://{user}:***@{host}"
    return re.sub(r"(password\s*=\s*)[^&\s]+", r"\1***", url, flags=re.IGNORECASE)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    preset: str = DEFAULT_PRESET
    device: str = "auto"
    # Where the records and the jobs live beyond one machine: a postgresql:// URL. None keeps them in SQLite
    # files in the data dir (catalog.db, users.db, jobs.db), which needs no server.
    database: str | None = None

    @classmethod
    def from_env(cls, data_dir: str | None = None, preset: str | None = None, device: str | None = None,
                 database: str | None = None) -> Settings:
        preset = preset or os.environ.get("STYLIST_PRESET") or DEFAULT_PRESET
        device = device or os.environ.get("STYLIST_DEVICE") or "auto"
        if preset not in PRESETS:
            raise StylistError(f"unknown preset {preset!r} (STYLIST_PRESET); choose one of {', '.join(PRESETS)}")
        if device not in DEVICES:
            raise StylistError(f"unknown device {device!r} (STYLIST_DEVICE); choose one of {', '.join(DEVICES)}")
        return cls(
            data_dir=Path(data_dir or os.environ.get("STYLIST_DATA_DIR") or "data").expanduser().resolve(),
            preset=preset,
            device=device,
            database=checked_database_url(database or os.environ.get("STYLIST_DATABASE") or None),
        )

    @property
    def on_postgres(self) -> bool:
        return self.database is not None

    @property
    def catalog_db(self) -> Path:
        return self.data_dir / "catalog.db"

    @property
    def images_dir(self) -> Path:
        return self.data_dir / "images"
