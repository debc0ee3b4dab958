"""A person's sizes through the API: given at sign-up, read, replaced; refused in one sentence; their own only."""

from __future__ import annotations

import io
import json

import pytest

from tests.web.app_under_test import add_user


def sign_up(client, photos, **fields):
    files = [(io.BytesIO(data), name) for name, data in photos]
    return client.post("/api/users", data={"name": "Ada", "consent": "true", "photos": files, **fields},
                       content_type="multipart/form-data")


def test_sizes_given_at_sign_up_are_kept_shown_and_replaced(client, photos, database):
    answer = sign_up(client, photos, sizes=json.dumps({"dress": "M", "shoes": "EU 39"}))
    assert answer.status_code == 201, answer.json
    assert answer.json["sizes"] == {"dress": "M", "shoes": "EU 39"}
    user_id, headers = answer.json["id"], {"Authorization": f"Bearer {answer.json['token']}"}
    assert client.get(f"/api/users/{user_id}", headers=headers).json["sizes"] == {"dress": "M", "shoes": "EU 39"}

    replaced = client.put(f"/api/users/{user_id}/sizes", json={"sizes": {"top": "S", "bottom": "W30 L32"}},
                          headers=headers)
    assert replaced.status_code == 200
    assert replaced.json == {"id": user_id, "sizes": {"top": "S", "bottom": "W30 L32"}}  # dress and shoes cleared
    assert client.get(f"/api/users/{user_id}/sizes", headers=headers).json["sizes"] == {"top": "S", "bottom": "W30 L32"}
    assert client.put(f"/api/users/{user_id}/sizes", json={"dress": "IT 42"}, headers=headers).json["sizes"] == {
        "dress": "IT 42"}  # the object alone is read too
    assert client.put(f"/api/users/{user_id}/sizes", json={}, headers=headers).json["sizes"] == {}


def test_signing_up_without_sizes_gives_none(client, photos):
    user_id, headers = add_user(client, photos)
    assert client.get(f"/api/users/{user_id}/sizes", headers=headers).json == {"id": user_id, "sizes": {}}


@pytest.mark.parametrize(("sizes", "message"), [
    ("{not json", "must be a JSON object"), ('["M"]', "must be an object"), ('{"hat": "M"}', "'hat' is not a slot"),
    ('{"bag": "M"}', "a bag takes no size"), ('{"dress": 38}', "must be text"),
])
def test_bad_sizes_at_sign_up_are_400_and_store_no_user(client, photos, settings, sizes, message):
    answer = sign_up(client, photos, sizes=sizes)
    assert answer.status_code == 400 and message in answer.json["error"]
    assert not (settings.data_dir / "users").exists() or not any((settings.data_dir / "users").iterdir())


def test_bad_size_changes_are_400_and_change_nothing_and_others_sizes_are_out_of_reach(client, photos, database):
    ada, ada_headers = add_user(client, photos)
    _, bob_headers = add_user(client, photos, name="Bob")
    client.put(f"/api/users/{ada}/sizes", json={"dress": "S"}, headers=ada_headers)
    for body in ({"sizes": {"dress": "M", "wings": "L"}}, {"sizes": {"shoes": ["39"]}}, ["M"]):
        answer = client.put(f"/api/users/{ada}/sizes", json=body, headers=ada_headers)
        assert answer.status_code == 400 and answer.json["error"]
    assert client.put(f"/api/users/{ada}/sizes", data="dress=M", headers=ada_headers).status_code == 400
    assert client.get(f"/api/users/{ada}/sizes", headers=ada_headers).json["sizes"] == {"dress": "S"}
    assert client.get(f"/api/users/{ada}/sizes", headers=bob_headers).status_code == 404
    assert client.put(f"/api/users/{ada}/sizes", json={"dress": "XL"}, headers=bob_headers).status_code == 404
    assert client.put(f"/api/users/{ada}/sizes", json={"dress": "XL"}).status_code == 401
    assert client.get(f"/api/users/{ada}/sizes", headers=ada_headers).json["sizes"] == {"dress": "S"}
