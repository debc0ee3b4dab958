"""`stylist user sizes` as a person runs it, and the sizes kept with the user (gone with them)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from stylist.databases import engine_for, reading
from stylist.errors import StylistError
from stylist.people.sizes import checked_sizes, get_sizes, set_sizes
from stylist.people.tables import user_sizes
from stylist.people.users import add_user, delete_user
from stylist.settings import Settings
from tests.helpers.cli import assert_one_line_error, stylist


def test_sizes_are_set_shown_changed_and_cleared_from_the_command_line(data_dir, good_photos):
    user_id = stylist(data_dir, "user", "add", "Ada", *map(str, good_photos[:3])).stdout.strip()
    shown = stylist(data_dir, "user", "sizes", user_id)
    assert shown.returncode == 0 and shown.stdout == "" and "no sizes" in shown.stderr

    set_ = stylist(data_dir, "user", "sizes", user_id, "dress=M", "shoes=EU 39", "bottom=32/34", "--json")
    assert set_.returncode == 0, set_.stderr
    assert json.loads(set_.stdout) == {"id": user_id, "sizes": {"dress": "M", "bottom": "32/34", "shoes": "EU 39"}}

    stylist(data_dir, "user", "sizes", user_id, "dress=IT 40", "bottom=")
    shown = stylist(data_dir, "user", "sizes", user_id)
    assert shown.stdout.splitlines() == ["dress\tIT 40", "shoes\tEU 39"]

    line = assert_one_line_error(stylist(data_dir, "user", "sizes", user_id, "hat=M"))
    assert "'hat' is not a slot that takes a size" in line
    assert "a bag takes no size" in assert_one_line_error(stylist(data_dir, "user", "sizes", user_id, "bag=M"))
    assert "is not SLOT=SIZE" in assert_one_line_error(stylist(data_dir, "user", "sizes", user_id, "M"))
    assert "no user" in assert_one_line_error(stylist(data_dir, "user", "sizes", "0" * 16, "dress=M"))
    # a refused request changed nothing, not even its valid pairs
    assert_one_line_error(stylist(data_dir, "user", "sizes", user_id, "top=S", "hat=M"))
    assert json.loads(stylist(data_dir, "user", "sizes", user_id, "--json").stdout)["sizes"] == {
        "dress": "IT 40", "shoes": "EU 39"}


@pytest.mark.parametrize(("sizes", "message"), [
    ([], "must be an object"), ({"dress": 38}, "must be text"), ({"accessory": "M"}, "takes no size"),
    ({"dress": "M" * 41}, "at most 40"), ({"dress": "M\n"}, None),
])
def test_what_is_not_a_size_is_refused_in_one_sentence(sizes, message):
    if message is None:
        assert checked_sizes(sizes) == {"dress": "M"}  # whitespace is tidied, not refused
        return
    with pytest.raises(StylistError, match=message):
        checked_sizes(sizes)


def test_sizes_are_changed_replaced_and_go_with_their_user(data_dir, database, good_photos):
    settings = Settings(data_dir=data_dir, preset="tiny", database=database)
    ada = add_user(settings, "Ada", good_photos[:3], crop_size=64)
    set_sizes(settings, ada.id, {"dress": "S", "shoes": "38"})
    assert get_sizes(settings, ada.id) == {"dress": "S", "shoes": "38"}
    assert set_sizes(settings, ada.id, {"dress": "M", "shoes": ""}) == {"dress": "M"}  # changed, cleared
    assert set_sizes(settings, ada.id, {"top": "S"}, replace=True) == {"top": "S"}
    with pytest.raises(StylistError, match="no user"):
        set_sizes(settings, "0" * 16, {"dress": "M"})
    delete_user(settings, ada.id)
    with reading(engine_for(settings, "people")) as connection:
        assert connection.execute(select(func.count()).select_from(user_sizes)).scalar_one() == 0
