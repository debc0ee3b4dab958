"""The people stylist personalises looks for: a folder per user, indexed in the people's database (users.db in the
data directory, or PostgreSQL).

    users/<id>/user.json             name, created_at, crop_size, photos with their face boxes, warnings
    users/<id>/photos/<n>.jpg        the upright photos, re-encoded without metadata
    users/<id>/crops/<size>/<n>.png  face crops, one folder per training resolution
    users/<id>/...                   weights, looks and videos made for the user go here too

Deleting the folder therefore deletes everything made from the person's photos. The index is the `users`
table of the people's database (people/database.py) rather than
a JSON file because the web process and the worker write it at the same time, and a database gives them
transactions and locking. Tables that other parts keep about a user belong there (people/tables.py) with
`REFERENCES users(id) ON DELETE CASCADE`, so that deleting the user deletes those rows too.
"""

from __future__ import annotations

import json
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from sqlalchemy import Connection, delete, func, insert, select

from stylist.databases import reading, writing
from stylist.errors import StylistError
from stylist.imaging import load_image
from stylist.people.database import people_engine
from stylist.people.photos import Box, IntakeResult, PhotoSource, Rejection, crop_body, crop_face, intake_photos
from stylist.people.tables import users
from stylist.records import is_id, new_id, utc_now
from stylist.settings import Settings

MAX_NAME_LENGTH = 100


@dataclass(frozen=True)
class UserPhoto:
    file: Path  # the upright photo, absolute
    face: Box  # in the photo's pixels


@dataclass(frozen=True)
class User:
    id: str
    name: str
    created_at: str
    folder: Path  # users/<id>/, absolute; everything made for the user goes under it
    crop_size: int  # the size intake cut crops at
    photos: tuple[UserPhoto, ...]
    warnings: tuple[str, ...]  # what intake told the person
    # Who said the photos are of this person and agreed to their use, and when: {"by", "at"}; None for users
    # added before consent was asked.
    consent: dict | None = None

    @property
    def crops(self) -> list[Path]:
        """The face crops cut at intake, crop_size × crop_size, one per photo."""
        return _crop_paths(self, self.crop_size)


def add_user(settings: Settings, name: str, photos: Sequence[PhotoSource], *, crop_size: int,
             consent_by: str = "operator", refused: Sequence[Rejection] = ()) -> User:
    """Take in the person's photos and store them as a new user, or raise StylistError and store nothing.

    Crops are cut at `crop_size`, the side the preset's image model trains on (`Preset.resolution`), which
    the caller knows; `face_crops` cuts other sizes later. `consent_by` says who confirmed the photos are of
    this person, who agrees to their use: "person" (they ticked the box) or "operator" (the CLI's user).
    `refused` are photos turned away before intake, named with intake's own refusals.
    """
    name = _checked_name(name)
    return store_user(settings, name, intake_photos(photos, crop_size, refused), crop_size=crop_size,
                      consent_by=consent_by)


def store_user(settings: Settings, name: str, intake: IntakeResult, *, crop_size: int,
               consent_by: str = "operator") -> User:
    """Store photos that intake accepted as a new user (folder, photos, crops, user.json and the index row),
    or raise and store nothing. `add_user` is the way in for people's photos; this half is separate for
    pictures whose faces are known without detection, such as the micro-world's 32-pixel figures (where the
    Haar cascades find no face), so that they are stored exactly as a person's are.
    """
    name = _checked_name(name)
    user_id = new_id()
    root = _users_dir(settings)
    root.mkdir(parents=True, exist_ok=True)
    sweep_leftovers(settings)
    folder = root / user_id
    # The user is written in a hidden folder and renamed into place as the index row is committed, so a
    # failed add leaves nothing behind and readers never see a half-written user.
    staging = Path(tempfile.mkdtemp(prefix=".adding-", dir=root))
    moved = False
    try:
        created_at = utc_now()
        _write_user(staging, user_id, name, created_at, crop_size, intake, {"by": consent_by, "at": created_at})
        with writing(people_engine(settings)) as connection:
            connection.execute(insert(users).values(id=user_id, name=name, created_at=created_at,
                                                    **_next_number(connection)))
            staging.rename(folder)
            moved = True
    except BaseException:
        shutil.rmtree(folder if moved else staging, ignore_errors=True)
        raise
    return _load(folder)


def _next_number(connection: Connection) -> dict:
    """The new user's number, where the database does not count them itself (SQLite): one more than the
    last, which no other writer can take meanwhile, since a write transaction there holds the file's lock."""
    if connection.dialect.name != "sqlite":
        return {}
    return {"number": select(func.coalesce(func.max(users.c.number), 0) + 1).scalar_subquery()}


def _checked_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME_LENGTH or not name.isprintable():
        raise StylistError(f"a user's name must be 1 to {MAX_NAME_LENGTH} printable characters")
    return name


def get_user(settings: Settings, user_id: str) -> User:
    check_user_id(user_id)
    with reading(people_engine(settings)) as connection:
        row = connection.execute(select(users.c.id).where(users.c.id == user_id)).first()
    if row is None:
        raise StylistError(f"no user {user_id}")
    return _load(_users_dir(settings) / user_id)


def list_users(settings: Settings) -> list[User]:
    """Every user, oldest first."""
    with reading(people_engine(settings)) as connection:
        ids = connection.execute(select(users.c.id).order_by(users.c.number)).scalars().all()
    return [_load(_users_dir(settings) / user_id) for user_id in ids]


def delete_user(settings: Settings, user_id: str) -> None:
    """Remove the user's index row and their folder: photos, crops, weights, looks, videos."""
    check_user_id(user_id)
    folder = _users_dir(settings) / user_id
    # Renamed away inside the transaction, then removed: nobody sees a user whose files are half gone.
    trash = folder.with_name(f".deleting-{user_id}-{secrets.token_hex(4)}")
    with writing(people_engine(settings)) as connection:
        deleted = connection.execute(delete(users).where(users.c.id == user_id)).rowcount
        # A folder without a row is what a crash between the two steps leaves; it is deleted all the same.
        if not deleted and not folder.exists():
            raise StylistError(f"no user {user_id}")
        if folder.exists():
            folder.rename(trash)
    if trash.exists():
        shutil.rmtree(trash)
    sweep_leftovers(settings)


def make_user_folder(user_folder: Path, *parts: str) -> Path:
    """Create `user_folder/parts…` level by level, never `user_folder` itself, and return it.

    Everything a job writes for a user goes under a folder made here: a user deleted while their job ran
    has no folder any more, so the job stops instead of writing their data back where nobody owns it.
    """
    path = user_folder
    for part in parts:
        path = path / part
        try:
            path.mkdir(exist_ok=True)
        except FileNotFoundError:
            raise StylistError(f"user {user_folder.name} was deleted; nothing more of theirs is saved") from None
    return path


def sweep_leftovers(settings: Settings, stale_after: float = 3600.0) -> None:
    """Remove what a crash left behind: folders being deleted, and adds that never finished.

    These hold people's photos and nothing reads them, so they must not outlive the crash. An add still in
    progress in another process is younger than `stale_after` seconds and is left alone.
    """
    root = _users_dir(settings)
    now = time.time()
    for leftover in [*root.glob(".deleting-*"), *root.glob(".adding-*")]:
        if leftover.name.startswith(".deleting-") or now - leftover.stat().st_mtime > stale_after:
            shutil.rmtree(leftover, ignore_errors=True)


def face_crops(user: User, size: int) -> list[Path]:
    """The user's face crops at size×size, cut from their stored photos the first time a size is asked for.

    Photos keep their face boxes, so a new size needs no face detection and frames the face the same way.
    """
    return _cut(user, "crops", size, crop_face)


def body_crops(user: User, size: int) -> list[Path]:
    """The user's body squares at size×size (photos.body_box: as much of them as a square shows), cut the
    first time a size is asked for, like the face crops."""
    return _cut(user, "bodies", size, crop_body)


def _cut(user: User, kind: str, size: int, cut: Callable[[Image.Image, Box, int], Image.Image]) -> list[Path]:
    folder = user.folder / kind / str(size)
    if not folder.is_dir():
        make_user_folder(user.folder, kind)
        staging = Path(tempfile.mkdtemp(prefix=f".{size}-", dir=folder.parent))
        for number, photo in enumerate(user.photos, start=1):
            image = load_image(photo.file.read_bytes())
            _save_crop(cut(image, photo.face, size), staging / f"{number}.png")
        try:
            staging.rename(folder)
        except OSError:
            # Another process cut this size first; its crops are the same.
            shutil.rmtree(staging)
    return [folder / f"{number}.png" for number in range(1, len(user.photos) + 1)]


def _users_dir(settings: Settings) -> Path:
    return settings.data_dir / "users"


def check_user_id(user_id: str) -> None:
    """Refuse what cannot be a user id before it reaches a path or a query."""
    if not is_id(user_id):
        raise StylistError(f"{user_id!r} is not a user id (user ids are 16 characters of 0-9 and a-f)")


def _crop_paths(user: User, size: int) -> list[Path]:
    return [user.folder / "crops" / str(size) / f"{number}.png" for number in range(1, len(user.photos) + 1)]


def _write_user(folder: Path, user_id: str, name: str, created_at: str, crop_size: int, intake: IntakeResult,
                consent: dict) -> None:
    (folder / "photos").mkdir()
    crops = folder / "crops" / str(crop_size)
    crops.mkdir(parents=True)
    records = []
    for number, photo in enumerate(intake.photos, start=1):
        # Server-made names: the person's file names can say more about them than we want to keep. Full chroma
        # (4:4:4): the photo is what klein draws the person from, and halved chroma blurs the eyes and lips.
        photo.image.save(folder / "photos" / f"{number}.jpg", format="JPEG", quality=95, subsampling=0)
        _save_crop(photo.crop, crops / f"{number}.png")
        records.append({"file": f"photos/{number}.jpg", "face": list(photo.face)})
    record = {"id": user_id, "name": name, "created_at": created_at, "crop_size": crop_size,
              "photos": records, "warnings": intake.warnings, "consent": consent}
    (folder / "user.json").write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")


def _save_crop(crop: Image.Image, path: Path) -> None:
    # Lossless, so training sees the photo's pixels; the fastest zlib level, since photos barely compress
    # and the default level takes a fifth of a second per 512-pixel crop.
    crop.save(path, format="PNG", compress_level=1)


def _load(folder: Path) -> User:
    record = json.loads((folder / "user.json").read_text(encoding="utf-8"))
    return User(
        id=record["id"],
        name=record["name"],
        created_at=record["created_at"],
        folder=folder,
        crop_size=record["crop_size"],
        photos=tuple(UserPhoto(folder / photo["file"], Box(*photo["face"])) for photo in record["photos"]),
        warnings=tuple(record["warnings"]),
        consent=record.get("consent"),
    )
