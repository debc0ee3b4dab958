"""The user store: what a new user's folder and index row hold, and that refusals and deletes leave no trace,
with the rows in users.db or in PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import text

from stylist.databases import engine_for, reading, writing
from stylist.errors import StylistError
from stylist.people import users
from stylist.people.photos import AcceptedPhoto, Box, IntakeResult, PhotosRefused, crop_face
from stylist.people.users import add_user, delete_user, face_crops, get_user, list_users, store_user
from stylist.settings import Settings
from tests.helpers.photos import SIDEWAYS_UPRIGHT


@pytest.fixture
def settings(data_dir, database) -> Settings:
    """The records on each backend: these tests add, list and delete users."""
    return Settings(data_dir=data_dir, preset="sd14", database=database)


@pytest.fixture
def files_settings(data_dir) -> Settings:
    """For the tests of what happens before or beside the records (crops, refused names and ids): SQLite only."""
    return Settings(data_dir=data_dir, preset="sd14")


def registry_ids(settings: Settings) -> list[str]:
    with reading(engine_for(settings, "people")) as connection:
        return list(connection.execute(text("SELECT id FROM users")).scalars())


def everything_under(settings: Settings) -> list[Path]:
    return list((settings.data_dir / "users").rglob("*"))


def test_a_new_user_is_stored_upright_without_metadata_with_crops_at_the_preset_size(settings, good_photos):
    user = add_user(settings, "  Ada  ", good_photos, crop_size=512)

    assert len(user.id) == 16 and user.name == "Ada" and user.folder == settings.data_dir / "users" / user.id
    assert user.crop_size == 512 and user.warnings == ()
    assert registry_ids(settings) == [user.id]
    assert sorted(path.name for path in user.folder.iterdir()) == ["crops", "photos", "user.json"]
    record = json.loads((user.folder / "user.json").read_text())
    assert record["name"] == "Ada" and [photo["file"] for photo in record["photos"]] == [
        "photos/1.jpg", "photos/2.jpg", "photos/3.jpg", "photos/4.jpg"]
    for photo in user.photos:
        with Image.open(photo.file) as stored:
            assert stored.format == "JPEG" and not stored.getexif() and "icc_profile" not in stored.info
    with Image.open(user.photos[3].file) as sideways:
        assert sideways.size == SIDEWAYS_UPRIGHT.size
    assert user.crops == [user.folder / "crops" / "512" / f"{n}.png" for n in range(1, 5)]
    for crop in user.crops:
        with Image.open(crop) as image:
            assert image.size == (512, 512) and image.mode == "RGB"
    assert get_user(settings, user.id) == user and list_users(settings) == [user]


def test_photos_whose_faces_are_known_are_stored_as_intake_stores_them(settings):
    # Flat pictures with no face a detector could find: the boxes are taken as given.
    images = [Image.new("RGB", (64, 64), (40 * number, 90, 160)) for number in range(3)]
    boxes = [Box(10 + number, 4, 20, 18) for number in range(3)]
    accepted = [AcceptedPhoto(f"{number}.png", image, box, crop_face(image, box, 64))
                for number, (image, box) in enumerate(zip(images, boxes))]

    user = store_user(settings, " Figure ", IntakeResult(accepted, [], []), crop_size=64)

    assert user.name == "Figure" and [photo.face for photo in user.photos] == boxes
    assert registry_ids(settings) == [user.id] and get_user(settings, user.id) == user
    assert user.consent["by"] == "operator" and all(crop.is_file() for crop in user.crops)
    with pytest.raises(StylistError, match="name"):
        store_user(settings, "", IntakeResult(accepted, [], []), crop_size=64)


def test_crops_at_another_size_are_cut_from_the_stored_photos(files_settings, good_photos):
    user = add_user(files_settings, "Ada", good_photos, crop_size=64)
    crops = face_crops(user, 1024)

    assert crops == [user.folder / "crops" / "1024" / f"{n}.png" for n in range(1, 5)]
    for crop in crops:
        with Image.open(crop) as image:
            assert image.size == (1024, 1024)
    assert face_crops(user, 1024) == crops
    assert sorted(path.name for path in (user.folder / "crops").iterdir()) == ["1024", "64"]


def test_two_users_have_their_own_folders_and_are_listed_in_the_order_they_came(settings, good_photos, monkeypatch):
    # Ids that sort the other way round, and (below) all three added in one second, created_at's resolution.
    monkeypatch.setattr(users, "new_id", iter(["f" * 16, "e" * 16, "d" * 16]).__next__)
    first = add_user(settings, "Ada", good_photos[:3], crop_size=64)
    second = add_user(settings, "Grace", good_photos[1:], crop_size=64)
    third = add_user(settings, "Hedy", good_photos[:3], crop_size=64)
    with writing(engine_for(settings, "people")) as connection:
        connection.execute(text("UPDATE users SET created_at = '2026-01-01T00:00:00+00:00'"))

    assert first.id != second.id and first.folder != second.folder
    assert [user.id for user in list_users(settings)] == [first.id, second.id, third.id]


def test_a_refused_request_stores_nothing(settings, good_photos, bad_photos):
    with pytest.raises(PhotosRefused):
        add_user(settings, "Ada", [*good_photos[:2], bad_photos / "coffee.jpg", bad_photos / "notes.jpg"], crop_size=512)
    assert list_users(settings) == [] and not (settings.data_dir / "users").exists()


def test_a_failure_while_storing_leaves_nothing_behind(settings, good_photos, monkeypatch):
    def broken(*args):
        raise OSError("disk full")

    monkeypatch.setattr(users, "_write_user", broken)
    with pytest.raises(OSError, match="disk full"):
        add_user(settings, "Ada", good_photos, crop_size=512)
    assert list_users(settings) == [] and everything_under(settings) == []


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "two\nlines"])
def test_a_bad_name_is_refused(files_settings, good_photos, name):
    with pytest.raises(StylistError, match="name must be 1 to 100 printable characters"):
        add_user(files_settings, name, good_photos, crop_size=512)


def test_delete_removes_every_trace(settings, good_photos):
    kept = add_user(settings, "Grace", good_photos[:3], crop_size=512)
    user = add_user(settings, "Ada", good_photos, crop_size=512)
    face_crops(user, 64)
    (user.folder / "weights").mkdir()
    (user.folder / "weights" / "lora.safetensors").write_bytes(b"weights")

    delete_user(settings, user.id)

    assert registry_ids(settings) == [kept.id]
    assert [path.name for path in (settings.data_dir / "users").iterdir()] == [kept.id]
    with pytest.raises(StylistError, match=f"^no user {user.id}$"):
        get_user(settings, user.id)
    with pytest.raises(StylistError, match=f"^no user {user.id}$"):
        delete_user(settings, user.id)


def test_a_folder_left_without_its_row_is_deleted_too(settings, good_photos):
    user = add_user(settings, "Ada", good_photos, crop_size=512)
    with writing(engine_for(settings, "people")) as connection:
        connection.execute(text("DELETE FROM users"))

    delete_user(settings, user.id)
    assert not user.folder.exists()


@pytest.mark.parametrize("user_id", ["..", "../victim", "/tmp", "0123456789abcdef/..", "0123456789ABCDEF", "", "a" * 17])
def test_ids_that_are_not_ours_never_reach_a_path(files_settings, user_id):
    victim = files_settings.data_dir / "victim"
    victim.mkdir()
    for action in (get_user, delete_user):
        with pytest.raises(StylistError, match="is not a user id"):
            action(files_settings, user_id)
    assert victim.is_dir() and (files_settings.data_dir).is_dir()


def test_what_a_crash_left_behind_is_swept_away(settings, good_photos):
    root = settings.data_dir / "users"
    first = add_user(settings, "Ada", good_photos, crop_size=512)
    interrupted_delete = root / f".deleting-{first.id}-0000"
    interrupted_delete.mkdir()
    (interrupted_delete / "1.jpg").write_bytes(b"a photo")
    old_add = root / ".adding-old"
    old_add.mkdir()
    os.utime(old_add, (0, 0))  # an add that died long ago
    new_add = root / ".adding-now"
    new_add.mkdir()  # may be another process adding right now
    add_user(settings, "Bob", good_photos, crop_size=512)
    assert not interrupted_delete.exists() and not old_add.exists()
    assert new_add.exists()


def test_a_deleted_users_folder_never_comes_back(tmp_path):
    folder = tmp_path / "users" / "0123456789abcdef"
    folder.mkdir(parents=True)
    made = users.make_user_folder(folder, "looks", "a")
    assert made == folder / "looks" / "a" and made.is_dir()
    assert users.make_user_folder(folder, "looks", "a") == made  # again: no error
    shutil.rmtree(folder)  # the user was deleted while their job ran
    with pytest.raises(StylistError, match="was deleted"):
        users.make_user_folder(folder, "identity")
    assert not folder.exists()
