"""`stylist user add|list|delete` as a person runs it: a separate process, its exit code, its output, its files."""

from __future__ import annotations

import json
import os
import re

from PIL import Image

from tests.helpers.cli import assert_one_line_error, stylist


def test_add_list_delete(data_dir, good_photos, database):
    where = ["--database", database] if database else []  # the global option, before the command
    added = stylist(data_dir, *where, "user", "add", "Ada", *map(str, good_photos))
    assert added.returncode == 0, added.stderr
    user_id = added.stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{16}", user_id) and added.stderr == ""
    assert (data_dir / "users.db").exists() == (database is None)

    listed = stylist(data_dir, *where, "user", "list", "--json")
    (record,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert record["id"] == user_id and record["name"] == "Ada" and len(record["photos"]) == 4

    assert stylist(data_dir, *where, "user", "delete", user_id).returncode == 0
    assert stylist(data_dir, *where, "user", "list").stdout == ""
    assert not (data_dir / "users" / user_id).exists()
    assert assert_one_line_error(stylist(data_dir, *where, "user", "delete", user_id)) == f"error: no user {user_id}"


def test_add_json_gives_the_contract_keys_and_warnings(data_dir, good_photos, bad_photos):
    result = stylist(data_dir, "user", "add", "Ada", "--json", *map(str, good_photos[:3]), str(bad_photos / "coffee.jpg"))
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)

    assert set(answer) == {"id", "photos", "warnings"}
    assert len(answer["photos"]) == 3
    for path in answer["photos"]:
        assert os.path.isabs(path) and path.startswith(str(data_dir / "users" / answer["id"]))
        with Image.open(path) as crop:
            assert crop.size == (64, 64)  # the tiny preset's training resolution
    assert len(answer["warnings"]) == 1 and answer["warnings"][0].startswith(f"{bad_photos / 'coffee.jpg'} was not used: no face")


def test_a_refused_add_is_one_error_line_and_stores_nothing(data_dir, good_photos, bad_photos):
    result = stylist(data_dir, "user", "add", "Ada", *map(str, good_photos[:2]), str(bad_photos / "truncated.jpg"),
                     str(bad_photos / "missing.jpg"))
    line = assert_one_line_error(result)

    assert line.startswith("error: only 2 of 4 photos are usable")
    assert f"{bad_photos / 'truncated.jpg'}: the image is truncated or corrupt" in line
    assert f"{bad_photos / 'missing.jpg'}: the file does not exist" in line
    assert result.stdout == "" and list(data_dir.iterdir()) == []


def test_bad_arguments_are_one_error_line(data_dir, good_photos):
    assert "needed, got 5" in assert_one_line_error(stylist(data_dir, "user", "add", "Ada", *[str(path) for path in (good_photos * 2)[:5]]))
    assert "is not a user id" in assert_one_line_error(stylist(data_dir, "user", "delete", "../../etc"))
    assert assert_one_line_error(stylist(data_dir, "user", "add", "Ada")).startswith("error: Missing argument")
