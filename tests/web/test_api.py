"""Every endpoint of the JSON API and every error code it promises, through Flask's test client."""

from __future__ import annotations

import io
import json
import time

import pytest
from click.testing import CliRunner
from PIL import Image
from sqlalchemy import text

from stylist.cli import main_group
from stylist.databases import engine_for, reading
from stylist.errors import StylistError
from stylist.settings import Settings
from stylist.web import media
from tests.helpers.images import image_bytes, png_bomb
from tests.helpers.photos import ASTRONAUT
from tests.web.app_under_test import add_user, create, finished, jpeg


def upload(client, files, name="Ada"):
    photos = [(io.BytesIO(data), n) for n, data in files]
    return client.post("/api/users", data={"name": name, "consent": "true", "photos": photos},
                       content_type="multipart/form-data")


def make_look(client, user_id, headers, **body):
    answer = client.post(f"/api/users/{user_id}/looks", json={"prompt": "a yellow raincoat for autumn", **body},
                         headers=headers)
    assert answer.status_code == 202, answer.json
    job = finished(client, answer.json["job_id"], headers)
    assert job["status"] == "succeeded", job
    return client.get(f"/api/looks/{job['result']['look_id']}", headers=headers).json


# --- service ------------------------------------------------------------------------------------------------


def test_health_names_the_preset_and_the_catalog(client):
    answer = client.get("/api/health")
    assert answer.status_code == 200
    assert answer.json["status"] == "ok" and answer.json["preset"] == "tiny"
    assert answer.json["catalog"]["products"] == 12 and answer.json["catalog"]["updated_at"]
    assert "hint" not in answer.json


def test_health_says_what_to_run_when_nothing_is_purchasable(tmp_path, queue):
    empty = create(Settings(data_dir=tmp_path / "empty", preset="tiny", device="cpu"), queue).test_client()
    answer = empty.get("/api/health").json
    assert answer["catalog"]["products"] == 0 and "stylist catalog crawl URL" in answer["hint"]


def test_api_docs_are_served_from_this_server(client):
    page = client.get("/api/docs")
    assert page.status_code == 200 and b"/api/openapi.json" in page.data and b"//cdn" not in page.data
    assert client.get("/api/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_the_openapi_document_covers_every_path_of_the_contract(client):
    document = client.get("/api/openapi.json").json
    assert document["openapi"] == "3.1.0"
    assert {"/api/health", "/api/catalog", "/api/users", "/api/users/{user_id}", "/api/users/{user_id}/train",
            "/api/users/{user_id}/looks", "/api/jobs/{job_id}", "/api/jobs/{job_id}/cancel", "/api/looks/{look_id}",
            "/api/options/{option_id}/select", "/api/options/{option_id}/video"} <= set(document["paths"])
    assert document["paths"]["/api/users/{user_id}"]["delete"]["responses"]["204"]


def test_the_api_and_its_document_offer_the_ranges_the_pipelines_enforce(client):
    from stylist import limits
    from stylist.video.spin import spin_frames

    paths = client.get("/api/openapi.json").json["paths"]

    def schema(path):
        return paths[path]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]

    options, video = schema("/api/users/{user_id}/looks")["options"], schema("/api/options/{option_id}/video")
    assert options["maximum"] == limits.MAX_OPTIONS
    assert (video["seconds"]["minimum"], video["seconds"]["maximum"]) == (limits.MIN_SPIN_SECONDS, limits.MAX_SPIN_SECONDS)
    assert (video["fps"]["minimum"], video["fps"]["maximum"]) == (limits.MIN_SPIN_FPS, limits.MAX_SPIN_FPS)
    # The spin takes the ends of the range the API offers, and nothing past them.
    assert spin_frames(limits.MAX_SPIN_SECONDS, limits.MAX_SPIN_FPS) == limits.MAX_SPIN_SECONDS * limits.MAX_SPIN_FPS
    assert spin_frames(limits.MIN_SPIN_SECONDS, limits.MIN_SPIN_FPS) == limits.MIN_SPIN_SECONDS * limits.MIN_SPIN_FPS
    for seconds, fps in ((limits.MAX_SPIN_SECONDS + 1, limits.MIN_SPIN_FPS), (limits.MIN_SPIN_SECONDS, limits.MAX_SPIN_FPS + 1)):
        with pytest.raises(StylistError):
            spin_frames(seconds, fps)


def test_the_catalog_lists_purchasable_products_with_signed_image_urls(client):
    products = client.get("/api/catalog").json["products"]
    assert len(products) == 12
    first = products[0]
    assert {"id", "designer", "title", "price", "currency", "url", "image_url"} <= set(first)
    assert "images" not in first and "/data/" not in json.dumps(products)  # no server paths
    image = client.get(first["image_url"])
    assert image.status_code == 200 and image.mimetype == "image/jpeg"

    assert len(client.get("/api/catalog?limit=2").json["products"]) == 2
    word = first["designer"].split()[0]
    found = client.get(f"/api/catalog?q={word.upper()}").json["products"]
    assert found and all(word.casefold() in json.dumps(product).casefold() for product in found)
    assert client.get("/api/catalog?q=nothing-sells-this").json["products"] == []
    # The lexical index: a garment by its colour and kind, misspelt, best first.
    title = products[3]["title"]
    slipped = " ".join(word[:-1] if len(word) > 4 else word for word in title.split())
    assert title in [product["title"] for product in client.get(f"/api/catalog?q={slipped}&limit=5").json["products"]]
    for bad in ("0", "abc", "201", "²"):  # "²" is a digit to str.isdigit, not a number to int()
        answer = client.get(f"/api/catalog?limit={bad}")
        assert answer.status_code == 400 and "limit" in answer.json["error"]

    # Pages of the catalog: every product once, with the total to page through.
    pages = [client.get(f"/api/catalog?limit=5&offset={offset}").json for offset in (0, 5, 10, 15)]
    assert [page["total"] for page in pages] == [12] * 4 and [page["offset"] for page in pages] == [0, 5, 10, 15]
    assert [len(page["products"]) for page in pages] == [5, 5, 2, 0]
    assert [p["id"] for page in pages for p in page["products"]] == [product["id"] for product in products]
    searched = client.get(f"/api/catalog?q={word}&limit=1").json
    assert searched["total"] == len(found) and len(searched["products"]) == 1
    # By id: each answer signs its image URLs afresh, and two answers a second apart expire a second apart.
    second = client.get(f"/api/catalog?q={word}&limit=1&offset=1").json["products"]
    assert [product["id"] for product in second] == [product["id"] for product in found[1:2]]
    for bad in ("-1", "x", "1.5"):
        answer = client.get(f"/api/catalog?offset={bad}")
        assert answer.status_code == 400 and "offset" in answer.json["error"]


def test_unknown_paths_and_methods_answer_json(client):
    assert client.get("/api/nothing").status_code == 404 and "error" in client.get("/api/nothing").json
    answer = client.get("/api/users")
    assert answer.status_code == 405 and "error" in answer.json


# --- users and photos ---------------------------------------------------------------------------------------


def test_a_new_user_gets_a_token_their_photo_urls_and_server_made_files_without_metadata(client, settings, photos, database):
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # camera maker, as phones write it
    tagged = io.BytesIO()
    Image.open(io.BytesIO(photos[0][1])).save(tagged, format="JPEG", exif=exif)
    answer = upload(client, [("../../../etc/evil.jpg", tagged.getvalue()), *photos[1:]])
    assert answer.status_code == 201
    body = answer.json
    assert set(body) == {"id", "token", "photos", "warnings", "sizes"} and body["warnings"] == [] and body["sizes"] == {}
    assert body["token"].startswith(body["id"] + ".")
    for url in body["photos"]:
        assert client.get(url).status_code == 200

    folder = settings.data_dir / "users" / body["id"]
    assert sorted(path.name for path in (folder / "photos").iterdir()) == ["1.jpg", "2.jpg", "3.jpg"]
    assert not list(settings.data_dir.parent.rglob("evil*"))
    assert not Image.open(folder / "photos" / "1.jpg").getexif()
    # Only the token's hash is stored.
    with reading(engine_for(settings, "people")) as connection:
        stored = connection.execute(text("SELECT token_sha256 FROM web_tokens WHERE user_id = :id"),
                                    {"id": body["id"]}).scalar_one()
    assert body["token"] not in stored and len(stored) == 64

    shown = client.get(f"/api/users/{body['id']}", headers={"Authorization": f"Bearer {body['token']}"}).json
    assert shown["name"] == "Ada" and len(shown["photos"]) == 3


def test_photo_counts_and_refused_photos_are_400_with_each_reason(client, photos):
    assert upload(client, photos[:2]).status_code == 400
    answer = upload(client, photos * 2)
    assert answer.status_code == 400 and "3 or 4 photos" in answer.json["error"]
    assert upload(client, photos, name="").status_code == 400

    no_face = jpeg(Image.new("RGB", (500, 500), (90, 120, 60)))
    small = jpeg(ASTRONAUT.resize((300, 300)))
    answer = upload(client, [photos[0], ("wall.jpg", no_face), ("tiny.jpg", small)])
    assert answer.status_code == 400
    reasons = {entry["name"]: entry["reason"] for entry in answer.json["rejected"]}
    assert "no face" in reasons["wall.jpg"] and "at least 384" in reasons["tiny.jpg"]

    # One bad photo among four is left out with its reason, and the user is made from the other three.
    answer = upload(client, [*photos, ("wall.jpg", no_face)])
    assert answer.status_code == 201
    assert any(warning.startswith("wall.jpg was not used") for warning in answer.json["warnings"])


def test_files_that_are_not_photos_are_415_and_oversized_ones_413(settings, queue, photos):
    client = create(settings, queue).test_client()
    for name, data in (("notes.jpg", b"not an image at all" * 50), ("old.bmp", image_bytes(fmt="BMP")),
                       ("anim.gif", image_bytes(fmt="GIF"))):
        answer = upload(client, [*photos[:2], (name, data)])
        assert answer.status_code == 415 and name in answer.json["error"], answer.json
    answer = upload(client, [*photos[:2], ("bomb.png", png_bomb(30_000, 30_000))])
    assert answer.status_code == 413 and "pixels" in answer.json["error"]

    capped = create(settings, queue, MAX_PHOTO_BYTES=20_000, MAX_PHOTO_PIXELS=200_000, MAX_CONTENT_LENGTH=None)
    answer = upload(capped.test_client(), photos)
    assert answer.status_code == 413 and "front.jpg: it is over" in answer.json["error"]
    pixels = create(settings, queue, MAX_PHOTO_PIXELS=200_000)
    answer = upload(pixels.test_client(), photos)
    assert answer.status_code == 413 and "MP limit" in answer.json["error"]
    whole = create(settings, queue, MAX_CONTENT_LENGTH=50_000)
    answer = upload(whole.test_client(), photos)
    assert answer.status_code == 413 and "the request is over" in answer.json["error"]
    assert not (settings.data_dir / "users").exists() or not [
        path for path in (settings.data_dir / "users").iterdir() if not path.name.startswith(".")]


# --- tokens and other people's things -------------------------------------------------------------------------


def test_every_path_under_a_user_needs_their_token(client, photos, database):
    user_id, headers = add_user(client, photos)
    paths = [("get", f"/api/users/{user_id}"), ("post", f"/api/users/{user_id}/train"),
             ("post", f"/api/users/{user_id}/looks"), ("get", f"/api/users/{user_id}/looks"),
             ("delete", f"/api/users/{user_id}"), ("get", "/api/jobs/0123456789abcdef"),
             ("post", "/api/jobs/0123456789abcdef/cancel"), ("get", "/api/looks/abc"),
             ("post", "/api/options/abc-1/select"), ("post", "/api/options/abc-1/video")]
    wrong = [{}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer "},
             {"Authorization": f"Bearer {user_id}.not-the-secret"}, {"Authorization": "Bearer nodot"}]
    for method, path in paths:
        for headers_sent in wrong:
            answer = getattr(client, method)(path, headers=headers_sent)
            assert answer.status_code == 401, (method, path, headers_sent)
            assert "error" in answer.json
    assert client.get(f"/api/users/{user_id}", headers=headers).status_code == 200


def test_one_user_cannot_see_or_touch_another_users_job_look_option_video_or_account(client, photos, worker):
    ada, ada_headers = add_user(client, photos, "Ada")
    eve, eve_headers = add_user(client, photos, "Eve")
    look = make_look(client, ada, ada_headers)
    option = look["options"][0]["id"]
    video_job = client.post(f"/api/options/{option}/video", json={}, headers=ada_headers).json["job_id"]
    video = finished(client, video_job, ada_headers)
    assert video["status"] == "succeeded"

    attempts = [("get", f"/api/jobs/{video_job}", None), ("post", f"/api/jobs/{video_job}/cancel", None),
                ("get", f"/api/looks/{look['look_id']}", None), ("post", f"/api/options/{option}/select", {}),
                ("post", f"/api/options/{option}/video", {}), ("get", f"/api/users/{ada}", None),
                ("get", f"/api/users/{ada}/looks", None), ("post", f"/api/users/{ada}/train", {}),
                ("post", f"/api/users/{ada}/looks", {"prompt": "x"}), ("delete", f"/api/users/{ada}", None)]
    for method, path, body in attempts:
        answer = getattr(client, method)(path, headers=eve_headers, json=body)
        assert answer.status_code == 404, (method, path, answer.json)
        assert set(answer.json) == {"error"}
        assert "Ada" not in answer.text and "raincoat" not in answer.text and "video_url" not in answer.text
    # Ada's things are untouched.
    assert client.get(f"/api/looks/{look['look_id']}", headers=ada_headers).status_code == 200
    assert client.get(f"/api/users/{eve}/looks", headers=eve_headers).json == {"looks": []}


# --- jobs ---------------------------------------------------------------------------------------------------


def test_training_is_a_job_with_progress_and_a_result(client, photos, worker, queue):
    user_id, headers = add_user(client, photos)
    answer = client.post(f"/api/users/{user_id}/train", json={"steps": 2}, headers=headers)
    assert answer.status_code == 202 and set(answer.json) == {"job_id"}
    job = finished(client, answer.json["job_id"], headers)
    assert set(job) == {"id", "kind", "status", "progress", "message", "result", "error"}
    assert job["kind"] == "train" and job["status"] == "succeeded" and job["progress"] == 1.0
    assert job["result"]["steps"] == 2 and job["error"] is None
    assert queue.get(job["id"]).params == {"steps": 2}
    assert client.post(f"/api/users/{user_id}/train", headers=headers).status_code == 202  # no body: the preset's steps


@pytest.mark.parametrize("body", [{"steps": 0}, {"steps": "many"}, {"steps": True}, [1, 2]])
def test_bad_training_bodies_are_400(client, photos, body):
    user_id, headers = add_user(client, photos)
    answer = client.post(f"/api/users/{user_id}/train", json=body, headers=headers)
    assert answer.status_code == 400 and "error" in answer.json
    answer = client.post(f"/api/users/{user_id}/train", data="{not json", headers=headers, content_type="application/json")
    assert answer.status_code == 400


def test_too_many_open_jobs_is_429_and_cancel_frees_a_place(settings, queue, photos):
    client = create(settings, queue, MAX_OPEN_JOBS=2).test_client()
    user_id, headers = add_user(client, photos)
    jobs = [client.post(f"/api/users/{user_id}/looks", json={"prompt": "a coat"}, headers=headers) for _ in range(2)]
    assert [answer.status_code for answer in jobs] == [202, 202]
    answer = client.post(f"/api/users/{user_id}/train", headers=headers)
    assert answer.status_code == 429 and "2 jobs" in answer.json["error"]

    canceled = client.post(f"/api/jobs/{jobs[0].json['job_id']}/cancel", headers=headers)
    assert canceled.status_code == 200 and canceled.json["status"] == "canceled"
    assert client.post(f"/api/users/{user_id}/train", headers=headers).status_code == 202
    assert client.get("/api/jobs/not-a-job-id", headers=headers).status_code == 404
    assert client.get("/api/jobs/0123456789abcdef", headers=headers).status_code == 404


@pytest.mark.parametrize("body", [{}, {"prompt": ""}, {"prompt": 3}, {"prompt": "x" * 501},
                                  {"prompt": "a coat", "options": 9}, {"prompt": "a coat", "options": 0},
                                  {"prompt": "a coat", "budget": -5}, {"prompt": "a coat", "budget": "cheap"},
                                  {"prompt": "a coat", "seed": -1}])
def test_bad_look_requests_are_400(client, photos, body):
    user_id, headers = add_user(client, photos)
    answer = client.post(f"/api/users/{user_id}/looks", json=body, headers=headers)
    assert answer.status_code == 400 and "error" in answer.json


# --- looks, choices and videos --------------------------------------------------------------------------------


def test_a_look_shows_its_options_with_images_and_products_to_buy(client, photos, worker, settings):
    user_id, headers = add_user(client, photos)
    look = make_look(client, user_id, headers, options=3, seed=7)
    assert set(look) >= {"look_id", "prompt", "options"} and look["prompt"] == "a yellow raincoat for autumn"
    assert len(look["options"]) == 3
    with __import__("stylist.catalog.store", fromlist=["CatalogStore"]).CatalogStore(settings) as store:
        shop_urls = {product.url for product in store.products()}
    for option in look["options"]:
        assert {"id", "image_url", "score", "products"} <= set(option)
        assert client.get(option["image_url"]).status_code == 200
        assert option["products"]
        for product in option["products"]:
            assert {"id", "designer", "title", "price", "currency", "url", "image_url"} <= set(product)
            assert product["url"] in shop_urls and "image" not in product
    # Best first, the first marked; each with its total in one currency format (Babel).
    scores = [option["score"] for option in look["options"]]
    assert scores == sorted(scores, reverse=True) and [option["best"] for option in look["options"]] == [True, False, False]
    for option in look["options"]:
        expected = sum(product["price"] for product in option["products"])
        assert option["total"]["amounts"] == [{"amount": round(expected, 2), "currency": "EUR"}]
        assert option["total"]["text"] == f"€{expected:,.2f}" and option["total"]["within_budget"] is None
        assert all(product["price_text"] == f"€{product['price']:,.2f}" for product in option["products"])
    assert look["chosen"] is None and look["notes"] == [] and look["budget"] is None
    listed = client.get(f"/api/users/{user_id}/looks", headers=headers).json["looks"]
    assert [entry["look_id"] for entry in listed] == [look["look_id"]]
    assert client.get("/api/looks/0123456789abcdef", headers=headers).status_code == 404
    assert client.get("/api/looks/..%2F..%2Fsecret.key", headers=headers).status_code == 404


def test_picks_and_ratings_are_recorded_and_summarised_by_eval_preferences(client, photos, worker, settings, database):
    user_id, headers = add_user(client, photos)
    look = make_look(client, user_id, headers)
    second = look["options"][1]["id"]
    answer = client.post(f"/api/options/{second}/select", json={"rating": 4}, headers=headers)
    assert answer.status_code == 200 and answer.json == {"option_id": second, "look_id": look["look_id"], "rating": 4}
    for bad in ({"rating": 0}, {"rating": 6}, {"rating": "good"}):
        assert client.post(f"/api/options/{second}/select", json=bad, headers=headers).status_code == 400
    assert client.post("/api/options/nope-1/select", headers=headers).status_code == 404
    # The look remembers the pick and its rating, for a reload of the page.
    shown = client.get(f"/api/looks/{look['look_id']}", headers=headers).json
    assert shown["chosen"] == {"option_id": second, "rating": 4, "spin": None}
    # A pick without a rating keeps the one given; a rating alone, given later, changes it.
    assert client.post(f"/api/options/{second}/select", headers=headers).json["rating"] == 4
    assert client.post(f"/api/options/{second}/select", json={"rating": 2}, headers=headers).json["rating"] == 2
    assert client.get(f"/api/looks/{look['look_id']}", headers=headers).json["chosen"]["rating"] == 2
    # Another option picked without a rating starts unrated: the 2 was the second option's.
    first = look["options"][0]["id"]
    assert client.post(f"/api/options/{first}/select", headers=headers).json["rating"] is None
    client.post(f"/api/options/{second}/select", json={"rating": 4}, headers=headers)

    other_id, other_headers = add_user(client, photos, "Bo")
    other_look = make_look(client, other_id, other_headers)
    assert client.post(f"/api/options/{other_look['options'][0]['id']}/select", headers=other_headers).status_code == 200

    where = ["--data-dir", str(settings.data_dir), *(["--database", database] if database else [])]
    result = CliRunner().invoke(main_group, [*where, "eval", "preferences", "--json"], catch_exceptions=False)
    summary = json.loads(result.output)
    assert summary["choices"] == 2 and summary["users"] == 2 and summary["rated"] == 1
    assert summary["mean_rating"] == 4 and summary["ratings"]["4"] == 1
    assert summary["top_pick_rate"] == 0.5 and summary["chance_top_pick_rate"] == 0.25
    printed = CliRunner().invoke(main_group, [*where, "eval", "preferences"]).output
    assert "2 choices by 2 people" in printed and "picked 50%" in printed


def test_a_spin_video_is_a_job_whose_result_is_signed_video_and_gif_urls(client, photos, worker):
    user_id, headers = add_user(client, photos)
    option = make_look(client, user_id, headers)["options"][0]["id"]
    for bad in ({"seconds": 0}, {"seconds": 11}, {"fps": 31}, {"fps": "fast"}):
        assert client.post(f"/api/options/{option}/video", json=bad, headers=headers).status_code == 400
    answer = client.post(f"/api/options/{option}/video", json={"seconds": 2, "fps": 4}, headers=headers)
    assert answer.status_code == 202
    job = finished(client, answer.json["job_id"], headers)
    assert job["status"] == "succeeded", job
    result = job["result"]
    assert set(result) == {"video_url", "gif_url", "seconds", "fps", "frames"}
    assert result["fps"] == 4 and result["frames"] == 8
    video = client.get(result["video_url"])
    assert video.status_code == 200 and video.mimetype == "video/mp4" and video.data[4:8] == b"ftyp"
    assert client.get(result["gif_url"]).data[:4] == b"GIF8"
    assert client.post("/api/options/0123456789abcdef-1/video", json={}, headers=headers).status_code == 404


# --- media URLs ---------------------------------------------------------------------------------------------


def test_media_urls_open_one_file_until_they_expire(client, app, photos, settings):
    user_id, _ = add_user(client, photos)
    url = upload(client, photos).json["photos"][0]
    path, query = url.split("?")
    assert client.get(url).status_code == 200
    assert client.get(path).status_code == 401
    tampered = url[:-1] + ("0" if url[-1] != "0" else "1")
    assert client.get(tampered).status_code == 403
    other_file = path.replace("/1.png", "/2.png")
    assert client.get(f"{other_file}?{query}").status_code == 403  # a signature opens its own file only

    key = app.config["MEDIA_KEY"]
    relative = path.removeprefix("/media/")
    past = int(time.time()) - 10
    expired = client.get(f"{path}?exp={past}&sig={media.sign(key, relative, past)}")
    assert expired.status_code == 403 and "expired" in expired.json["error"]
    later = int(time.time()) + 60
    for outside in ("secret.key", "users.db", "users/../secret.key", f"users/{user_id}/../../catalog.db"):
        answer = client.get(f"/media/{outside}?exp={later}&sig={media.sign(key, outside, later)}")
        assert answer.status_code == 404, outside
    assert (settings.data_dir / "secret.key").stat().st_mode & 0o777 == 0o600


@pytest.fixture
def folders_on_another_disk(settings, tmp_path):
    """users/ and images/ as symlinks to folders elsewhere, as a deployment with a bigger disk has them."""
    disk = tmp_path / "disk"
    disk.mkdir()
    (settings.data_dir / "images").rename(disk / "images")
    (disk / "users").mkdir()
    for name in ("images", "users"):
        (settings.data_dir / name).symlink_to(disk / name, target_is_directory=True)
    return disk


def test_media_urls_work_when_users_and_images_are_symlinks_but_nothing_leads_out(
        folders_on_another_disk, client, app, photos, worker, settings):
    user_id, headers = add_user(client, photos)
    photo = client.get(f"/api/users/{user_id}", headers=headers).json["photos"][0]
    assert client.get(photo).status_code == 200
    product = client.get("/api/catalog?limit=1").json["products"][0]
    assert client.get(product["image_url"]).status_code == 200
    option = make_look(client, user_id, headers)["options"][0]
    assert client.get(option["image_url"]).status_code == 200
    answer = client.post(f"/api/options/{option['id']}/video", json={"seconds": 1, "fps": 4}, headers=headers)
    job = finished(client, answer.json["job_id"], headers)
    assert job["status"] == "succeeded", job
    assert client.get(job["result"]["video_url"]).status_code == 200

    # A symlink below a served folder that leads out of it is refused, even with a valid signature.
    (folders_on_another_disk / "users" / user_id / "leak.db").symlink_to(settings.data_dir / "users.db")
    (folders_on_another_disk / "images" / "leak.key").symlink_to(settings.data_dir / "secret.key")
    key, later = app.config["MEDIA_KEY"], int(time.time()) + 60
    for outside in (f"users/{user_id}/leak.db", "images/leak.key", "images/../catalog.db", "users", "images/"):
        answer = client.get(f"/media/{outside}?exp={later}&sig={media.sign(key, outside, later)}")
        assert answer.status_code == 404, outside


# --- deleting -----------------------------------------------------------------------------------------------


def test_deleting_a_user_removes_their_files_rows_jobs_token_and_choices(client, photos, worker, settings, queue, database):
    user_id, headers = add_user(client, photos)
    kept_id, kept_headers = add_user(client, photos, "Bo")
    look = make_look(client, user_id, headers)
    option = look["options"][0]["id"]
    client.post(f"/api/options/{option}/select", json={"rating": 5}, headers=headers)
    finished(client, client.post(f"/api/options/{option}/video", json={}, headers=headers).json["job_id"], headers)
    photo_url = client.get(f"/api/users/{user_id}", headers=headers).json["photos"][0]
    waiting = client.post(f"/api/users/{user_id}/train", headers=headers)
    assert waiting.status_code == 202

    assert client.delete(f"/api/users/{user_id}", headers=headers).status_code == 204

    assert not (settings.data_dir / "users" / user_id).exists()
    assert not [path for path in (settings.data_dir / "users").iterdir() if user_id in path.name]
    with reading(engine_for(settings, "people")) as connection:
        for table in ("users", "web_tokens", "preferences"):
            column = "id" if table == "users" else "user_id"
            assert connection.execute(text(f"SELECT COUNT(*) FROM {table} WHERE {column} = :id"),
                                      {"id": user_id}).scalar_one() == 0
    assert queue.jobs(user_id) == []
    assert client.get(f"/api/users/{user_id}", headers=headers).status_code == 401
    assert client.get(photo_url).status_code == 404
    assert client.get(f"/api/users/{kept_id}", headers=kept_headers).status_code == 200


# --- pages and headers --------------------------------------------------------------------------------------


def test_security_headers_on_pages_api_and_media(client):
    for path in ("/", "/api/health", "/api/nothing", "/static/app.js"):
        headers = client.get(path).headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["X-Frame-Options"] == "DENY"
    assert client.get("/api/health").headers["Cache-Control"] == "no-store"


def test_the_page_warns_about_the_tiny_preset_and_only_then(client, settings, queue):
    page = client.get("/")
    assert page.status_code == 200 and 'id="tiny-banner"' in page.text and "/static/app.js" in page.text
    real = create(settings.__class__(data_dir=settings.data_dir, preset="sdxl"), queue).test_client()
    assert 'id="tiny-banner"' not in real.get("/").text


def test_the_media_key_is_long_and_shared(settings, monkeypatch):
    from stylist.errors import StylistError
    from stylist.web.media import load_key

    monkeypatch.setenv("STYLIST_SECRET_KEY", "short")
    with pytest.raises(StylistError, match="at least 32"):
        load_key(settings)
    monkeypatch.delenv("STYLIST_SECRET_KEY")
    first, second = load_key(settings), load_key(settings)
    assert first == second and len(first) >= 32
    assert [path.name for path in settings.data_dir.iterdir() if "secret" in path.name] == ["secret.key"]


def test_a_quick_look_asked_through_the_api_is_drawn_with_the_fast_recipe_and_says_so(client, photos, worker):
    user_id, headers = add_user(client, photos)
    quick = make_look(client, user_id, headers, fast=True, steps=3, product_scale=0.8, size="64x96")
    assert quick["recipe"]["fast"] is True and quick["recipe"]["candidates"] == 1 and quick["recipe"]["steps"] == 3
    assert quick["recipe"]["product_scale"] == 0.8 and quick["recipe"]["size"] == [64, 96]
    best = make_look(client, user_id, headers)
    assert best["recipe"]["fast"] is False and best["recipe"]["candidates"] == 2 and best["recipe"]["steps"] is None
    for bad, says in [({"fast": "yes"}, "`fast` must be true"), ({"candidates": 0}, "`candidates` must be a whole"),
                      ({"candidates": 99}, "from 1 to 8"), ({"steps": 1000}, "`steps` must be"),
                      ({"product_scale": -1}, "`product_scale` must be a number from 0 to 2"),
                      ({"clip_guidance": "strong"}, "`clip_guidance`"), ({"size": "65x96"}, "multiples of 16"),
                      ({"size": [64, 96]}, "WIDTHxHEIGHT")]:
        answer = client.post(f"/api/users/{user_id}/looks", json={"prompt": "a dress", **bad}, headers=headers)
        assert answer.status_code == 400 and says in answer.json["error"], (bad, answer.json)


def test_files_of_one_name_are_told_apart_in_refusals():
    from stylist.web.uploads import distinct_name

    seen: set[str] = set()
    names = [distinct_name(name, seen) for name in ("IMG_1.jpg", "IMG_1.jpg", "IMG_1.jpg", "scan", "scan", ".hidden")]
    assert names == ["IMG_1.jpg", "IMG_1 (2).jpg", "IMG_1 (3).jpg", "scan", "scan (2)", ".hidden"]
