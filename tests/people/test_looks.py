"""Looks on disk: read back the same, found by look and option id, listed per user, gone with the user."""

from __future__ import annotations

import json

import pytest
from PIL import Image
from sqlalchemy import select, update

from stylist.databases import reading, writing
from stylist.errors import StylistError
from stylist.people.database import people_engine
from stylist.people.looks import Look, Option, copy_images, find_option, get_look, list_looks, save_look
from stylist.people.tables import looks
from stylist.people.users import add_user, delete_user
from stylist.records import new_id


def a_look(catalog, user, created_at="2026-11-26T10:00:00+00:00") -> Look:
    look_id = new_id()
    product = {"id": catalog.ids["D1"], "designer": "Maison Verlaine", "title": "Red Silk Dress", "price": 180.0,
               "currency": "EUR", "url": "https://shop.test/products/d1?size=M", "size": "M",
               "also_at": [{"shop": "other.test", "price": 170.0, "currency": "EUR",
                            "url": "https://other.test/d1", "available": False}],
               "image": str(catalog.settings.images_dir / "ab" / "abc.512.jpg")}
    options = [Option(id=f"{look_id}-{n}", image=None, score=0.5 / n, seed=n, products=[product] * (n % 2),
                      candidates=[{"seed": n, "score": 0.5 / n}]) for n in (1, 2)]
    look = Look(look_id=look_id, user_id=user.id, prompt="a red dress under €300", options=options,
                timings={"generate": 1.5, "total": 2.0}, created_at=created_at, notes=["a note"],
                settings={"seed": 1})
    return save_look(catalog.settings, look, [Image.new("RGB", (8, 8), (n * 50, 0, 0)) for n in (1, 2)])


def test_a_look_saved_and_read_back_is_the_same(catalog, user, tmp_path):
    look = a_look(catalog, user)
    assert get_look(catalog.settings, user.id, look.look_id) == look
    assert look.options[0].image == user.folder / "looks" / look.look_id / f"{look.look_id}-1.png"

    found, option = find_option(catalog.settings, user.id, f"{look.look_id}-2")
    assert found == look and option == look.options[1]
    copied = copy_images(look, tmp_path / "out")
    assert [path.name for path in copied] == [f"{look.look_id}-1.png", f"{look.look_id}-2.png"]
    assert Image.open(copied[1]).getpixel((0, 0)) == (100, 0, 0)


def test_looks_are_listed_per_user_and_deleted_with_them(catalog, user):
    later = a_look(catalog, user, "2026-11-26T11:00:00+00:00")
    earlier = a_look(catalog, user, "2026-11-26T09:00:00+00:00")
    assert [each.look_id for each in list_looks(catalog.settings, user.id)] == [earlier.look_id, later.look_id]

    delete_user(catalog.settings, user.id)
    assert list_looks(catalog.settings, user.id) == []
    with pytest.raises(StylistError, match=f"no look {later.look_id}"):
        get_look(catalog.settings, user.id, later.look_id)


def test_unknown_and_malformed_ids_are_one_clear_error(catalog, user):
    look = a_look(catalog, user)
    with pytest.raises(StylistError, match="not a look id"):
        get_look(catalog.settings, user.id, "../../etc")
    with pytest.raises(StylistError, match="not an option id"):
        find_option(catalog.settings, user.id, look.look_id)
    with pytest.raises(StylistError, match=f"no option {look.look_id}-3"):
        find_option(catalog.settings, user.id, f"{look.look_id}-3")
    with pytest.raises(StylistError, match="no look 0123456789abcdef"):
        find_option(catalog.settings, user.id, "0123456789abcdef-1")


def test_a_look_is_found_only_in_its_own_users_folder(catalog, user, photos):
    look = a_look(catalog, user)
    other = add_user(catalog.settings, "Grace", photos, crop_size=64)
    with pytest.raises(StylistError, match=f"no look {look.look_id}"):
        get_look(catalog.settings, other.id, look.look_id)
    with pytest.raises(StylistError, match=f"no look {look.look_id}"):
        find_option(catalog.settings, other.id, f"{look.look_id}-1")
    with pytest.raises(StylistError, match="not a user id"):
        get_look(catalog.settings, "..", look.look_id)
    assert get_look(catalog.settings, user.id, look.look_id) == look


def test_a_look_made_before_sizes_and_other_shops_names_neither(catalog, user):
    look = a_look(catalog, user)
    engine = people_engine(catalog.settings)
    with reading(engine) as db:
        stored = json.loads(db.execute(select(looks.c.record).where(looks.c.look_id == look.look_id)).scalar_one())
    del stored["options"][0]["products"][0]["size"]
    del stored["options"][0]["products"][0]["also_at"]
    with writing(engine) as db:
        db.execute(update(looks).where(looks.c.look_id == look.look_id).values(record=json.dumps(stored)))
    [product] = get_look(catalog.settings, user.id, look.look_id).options[0].products
    assert product["size"] is None and product["also_at"] == [] and product["title"] == "Red Silk Dress"
