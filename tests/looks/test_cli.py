"""`stylist style` as a person runs it: a separate process on tiny, with the real fashion CLIP and index."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from PIL import Image

from stylist.people.looks import get_look
from tests.helpers.small_catalog import GONE, SOLD_OUT


def stylist(data_dir, *args):
    env = {**os.environ, "STYLIST_DATA_DIR": str(data_dir), "STYLIST_PRESET": "tiny", "STYLIST_DEVICE": "cpu"}
    return subprocess.run([sys.executable, "-m", "stylist", *args], env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def test_style_prints_the_contract_json_and_copies_the_images(catalog, user, tmp_path):
    out = tmp_path / "out"
    result = stylist(catalog.settings.data_dir, "style", user.id, "a dress and a coat for a gallery opening under €300",
                     "--options", "2", "--seed", "5", "--steps", "1", "--candidates", "1", "--out", str(out), "--json")
    assert result.returncode == 0, result.stderr
    look = json.loads(result.stdout)

    assert look["prompt"] == "a dress and a coat for a gallery opening under €300"
    assert {"retrieve", "load", "generate", "rank", "total"} <= set(look["timings"])
    assert len(look["options"]) == 2
    purchasable = {pid for sku, pid in catalog.ids.items() if sku not in (SOLD_OUT, GONE)}
    for option in look["options"]:
        assert os.path.isabs(option["image"]) and os.path.isfile(option["image"])
        assert (out / os.path.basename(option["image"])).is_file()
        assert isinstance(option["score"], float)
        assert option["products"] and sum(product["price"] for product in option["products"]) <= 300
        for product in option["products"]:
            assert product["id"] in purchasable and product["url"].startswith("https://shop.test/products/")
            assert os.path.isabs(product["image"]) and os.path.isfile(product["image"])
    assert len({frozenset(p["id"] for p in option["products"]) for option in look["options"]}) == 2
    # Drawn in the preset's portrait frame, and look.json says so.
    assert look["settings"]["size"] == [64, 96]
    assert all(Image.open(option["image"]).size == (64, 96) for option in look["options"])


def test_style_size_chooses_the_frame_and_a_size_the_model_cannot_draw_is_one_sentence(catalog, user):
    made = stylist(catalog.settings.data_dir, "style", user.id, "a coat", "--options", "1", "--steps", "1",
                   "--candidates", "1", "--size", "96x64", "--json")
    assert made.returncode == 0, made.stderr
    look = json.loads(made.stdout)
    assert look["settings"]["size"] == [96, 64] and Image.open(look["options"][0]["image"]).size == (96, 64)

    for size, words in (("100x64", "multiples of 16"), ("64", "WIDTHxHEIGHT"), ("4096x4096", "outside")):
        refused = stylist(catalog.settings.data_dir, "style", user.id, "a coat", "--size", size)
        assert refused.returncode == 1 and refused.stdout == ""
        [line] = refused.stderr.strip().splitlines()
        assert line.startswith("error: ") and words in line


def test_style_for_an_unknown_user_is_one_error_line(catalog):
    result = stylist(catalog.settings.data_dir, "style", "0123456789abcdef", "a dress")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip().splitlines() == ["error: no user 0123456789abcdef"]


def test_on_tiny_klein_a_look_and_its_spin_come_right_after_user_add(catalog, photos, tmp_path):
    def klein(*args):
        return stylist(catalog.settings.data_dir, "--preset", "tiny-klein", *args)

    added = klein("user", "add", "Ada", *map(str, photos), "--json")
    assert added.returncode == 0, added.stderr
    user_id = json.loads(added.stdout)["id"]

    made = klein("style", user_id, "a dress and a coat for a gallery opening", "--options", "2", "--seed", "5",
                 "--json")
    assert made.returncode == 0, made.stderr
    look = json.loads(made.stdout)
    assert look["settings"]["identity"] == "reference photo"
    for option in look["options"]:
        assert option["references"] and set(option["references"]) <= {product["id"] for product in option["products"]}

    spin = klein("video", look["options"][0]["image"], "--out", str(tmp_path / "spin.mp4"), "--seconds", "1",
                 "--fps", "4", "--json")
    assert spin.returncode == 0, spin.stderr
    assert json.loads(spin.stdout)["frames"] == 4 and (tmp_path / "spin.gif").is_file()


def test_every_drawing_flag_reaches_the_recipe(catalog, user, monkeypatch):
    from click.testing import CliRunner

    import stylist.looks.pipeline
    from stylist.cli import main_group
    from stylist.looks.recipe import Recipe

    given = {}

    class Stop(Exception):
        pass

    def capture(settings, user_id, prompt, **arguments):
        given.update(arguments)
        raise Stop

    monkeypatch.setattr(stylist.looks.pipeline, "style", capture)
    arguments = ["--data-dir", str(catalog.settings.data_dir), "style", user.id, "a coat"]
    flags = ["--fast", "--candidates", "3", "--steps", "7", "--clip-guidance", "0.25", "--product-scale", "0.3",
             "--face-scale", "0.8"]
    CliRunner().invoke(main_group, [*arguments, *flags])
    assert given["recipe"] == Recipe(fast=True, candidates=3, steps=7, clip_guidance=0.25, product_scale=0.3,
                                     face_scale=0.8)
    CliRunner().invoke(main_group, arguments)
    assert given["recipe"] == Recipe()


def test_style_prints_options_best_first_with_their_totals(catalog, user):
    result = stylist(catalog.settings.data_dir, "style", user.id, "a dress and a coat", "--options", "3", "--seed", "2",
                     "--steps", "1", "--candidates", "1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    look_id = lines[0].split()[1].rstrip(":")
    assert lines[0].endswith("options in " + lines[0].split(" in ")[1]) and lines[0].endswith("s, best first")
    look = get_look(catalog.settings, user.id, look_id)
    ranked = [line for line in lines if line[:1].isdigit()]
    assert [line.split()[2].rstrip(",") for line in ranked] == [option.id for option in look.best_first()]
    scores = [option.score for option in look.best_first()]
    assert scores == sorted(scores, reverse=True) and not any(f"{score:.4f}" in result.stdout for score in scores)
    for line, option in zip(ranked, look.best_first(), strict=True):
        expected = sum(product["price"] for product in option.products)
        assert f"total €{expected:,.2f}: {option.image}" in line
        for product in option.products:
            assert f"   {product['designer']}, {product['title']}, €{product['price']:,.2f}: {product['url']}" in lines


def test_style_json_lists_options_best_first_with_totals_as_the_contract_says(catalog, user):
    result = stylist(catalog.settings.data_dir, "style", user.id, "a dress and a coat under €700", "--options", "2",
                     "--seed", "4", "--steps", "1", "--candidates", "1", "--json")
    assert result.returncode == 0, result.stderr
    look = json.loads(result.stdout)
    scores = [option["score"] for option in look["options"]]
    assert scores == sorted(scores, reverse=True) and [option["best"] for option in look["options"]] == [True, False]
    assert look["budget"] == {"amount": 700, "currency": "EUR", "text": "€700.00"} and look["chosen"] is None
    for option in look["options"]:
        amount = round(sum(product["price"] for product in option["products"]), 2)
        assert option["total"] == {"amounts": [{"amount": amount, "currency": "EUR"}], "text": f"€{amount:,.2f}",
                                   "within_budget": True}
        assert all(product["price_text"] == f"€{product['price']:,.2f}" for product in option["products"])
