"""Looks, with the user they were made for, so that buy links and spin videos can be made later:

    the `looks` table (people's database)          the record: prompt, options (score, seed, products), timings
    users/<user_id>/looks/<look_id>/<option>.png   each option's image, in the media root

The record is a row, so that it lives with the other records (users.db, or PostgreSQL for a fleet) and goes
with its user (ON DELETE CASCADE); the images are files beside the user's other files, written once and
renamed into place, which deleting the user deletes with their folder. Paths inside the record are relative
(to the look folder for option images, to the data directory for product images), so a data directory can
be moved. Looks made before the table were look.json files: the people's migration people_0003 brought them in.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from babel import Locale
from PIL import Image
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from stylist.catalog.products import StoredProduct
from stylist.databases import reading, writing
from stylist.errors import StylistError
from stylist.files import data_relative, replacing
from stylist.money import money, total
from stylist.people.database import people_engine
from stylist.people.tables import looks
from stylist.people.users import check_user_id, make_user_folder
from stylist.records import is_id
from stylist.settings import Settings

# Look ids are stylist.records ids, like user ids; an option id is its look's id and its number.
_OPTION_ID = re.compile(r"(?P<look>[0-9a-f]{16})-(?P<number>[1-9][0-9]*)")
PRODUCT_FIELDS = ("id", "designer", "title", "price", "currency", "url", "image", "size", "also_at")


@dataclass
class Option:
    id: str
    image: Path  # absolute
    score: float
    seed: int
    # PRODUCT_FIELDS, `image` an absolute path, `url` the Buy link (the page of the person's size where the
    # shop has one), `size` the shop's text for the size in stock in the person's size, else None, `also_at`
    # the same product in other shops: [{"shop", "price", "currency", "url", "available"}]
    products: list[dict]
    candidates: list[dict] = field(default_factory=list)  # every candidate drawn: {"seed", "score"}
    # The products whose own images the model was given as conditions (klein's references, SDXL's product
    # board), so that a shopper is shown which items were rendered and which are only listed.
    references: list[int] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"id": self.id, "image": str(self.image), "score": self.score, "seed": self.seed,
                "products": [dict(product, image=str(product["image"])) for product in self.products],
                "references": self.references, "candidates": self.candidates}


@dataclass
class Look:
    look_id: str
    user_id: str
    prompt: str
    options: list[Option]
    timings: dict[str, float]
    created_at: str
    notes: list[str] = field(default_factory=list)
    settings: dict = field(default_factory=dict)  # how it was made: preset, budget, steps, scales, fast, ...

    def budget_json(self, locale: Locale) -> dict | None:
        """The look's budget, in its own currency or, when it named none, in the catalog's (its products')."""
        amount = self.settings.get("budget")
        if amount is None:
            return None
        currencies = [product["currency"] for option in self.options for product in option.products
                      if product.get("currency")]
        currency = self.settings.get("currency") or (currencies[0] if currencies else None)
        return {"amount": amount, "currency": currency, "text": money(amount, currency, locale) or f"{amount:g}"}

    def shown_json(self, locale: Locale) -> dict:
        """CONTRACT.md's look JSON as the CLI prints it and the demo keeps it: the stored record, its options
        best first, each with `best` (the first, unless drawn from the prompt alone) and `total`, each product
        with `price_text`, and the look's `budget`; `chosen` is null, since nobody has picked yet."""
        budget = self.settings.get("budget")
        stored = {option["id"]: option for option in self.to_json()["options"]}
        options = [stored[option.id] | {
            "best": rank == 0 and bool(option.products), "total": total(option.products, locale, budget),
            "products": [product | {"price_text": money(product["price"], product["currency"], locale)}
                         for product in stored[option.id]["products"]]}
            for rank, option in enumerate(self.best_first())]
        return self.to_json() | {"options": options, "budget": self.budget_json(locale), "chosen": None}

    def best_first(self) -> list[Option]:
        """The options by the fashion CLIP's score, best first, as the page, the CLI and the demo show them."""
        return sorted(self.options, key=lambda each: -(each.score if each.score is not None else float("-inf")))

    def to_json(self) -> dict:
        """CONTRACT.md's `stylist style --json` object, plus user_id, created_at, notes and settings."""
        return {"look_id": self.look_id, "prompt": self.prompt, "options": [option.to_json() for option in self.options],
                "timings": self.timings, "user_id": self.user_id, "created_at": self.created_at, "notes": self.notes,
                "settings": self.settings}


def product_entry(product: StoredProduct, size: str | None = None, also_at: list[dict] | None = None) -> dict:
    """How an option lists a catalog product: PRODUCT_FIELDS, `url` the Buy link, `image` its first normalised one,
    `size` the shop's text for the variant in the person's size (None when there is none to name), `also_at`
    the other shops that sell it."""
    own = {name: getattr(product, name) for name in PRODUCT_FIELDS if name not in ("image", "size", "also_at")}
    return {**own, "image": str(product.images[0]), "size": size, "also_at": also_at or []}


def look_folder(settings: Settings, user_id: str, look_id: str) -> Path:
    return settings.data_dir / "users" / user_id / "looks" / look_id


def save_look(settings: Settings, look: Look, images: list[Image.Image]) -> Look:
    """Write the look's option images, then its record (readers find the look only once its images are whole).

    Returns the look with its options' `image` set to where the images now are.
    """
    # Made below the user's folder, never the folder itself: a user deleted meanwhile stays deleted.
    folder = make_user_folder(settings.data_dir / "users" / look.user_id, "looks", look.look_id)
    for option, image in zip(look.options, images, strict=True):
        option.image = folder / f"{option.id}.png"
        with replacing(option.image) as partial:  # whole or not at all, for readers on other machines
            image.save(partial, format="PNG")
    record = look.to_json()
    for option in record["options"]:
        option["image"] = Path(option["image"]).name
        for product in option["products"]:
            product["image"] = _data_relative(settings, product["image"])
    try:
        with writing(people_engine(settings)) as db:
            db.execute(insert(looks).values(look_id=look.look_id, user_id=look.user_id, created_at=look.created_at,
                                            record=json.dumps(record, ensure_ascii=False)))
    except IntegrityError as exc:  # the user was deleted while their look was drawn
        shutil.rmtree(folder, ignore_errors=True)
        raise StylistError(f"no user {look.user_id}") from exc
    return look


def get_look(settings: Settings, user_id: str, look_id: str) -> Look:
    """The look `look_id` of `user_id`; another user's look is as unknown as one that does not exist."""
    check_user_id(user_id)
    if not is_id(look_id):
        raise StylistError(f"{look_id!r} is not a look id (look ids are 16 characters of 0-9 and a-f)")
    with reading(people_engine(settings)) as db:
        record = db.execute(select(looks.c.record).where(looks.c.look_id == look_id,
                                                         looks.c.user_id == user_id)).scalar()
    if record is None:
        raise StylistError(f"no look {look_id}")
    return _load(settings, json.loads(record))


def find_option(settings: Settings, user_id: str, option_id: str) -> tuple[Look, Option]:
    """The option `option_id` of one of `user_id`'s looks, with its look."""
    match = _OPTION_ID.fullmatch(option_id)
    if match is None:
        raise StylistError(f"{option_id!r} is not an option id (a look id, '-' and the option's number)")
    look = get_look(settings, user_id, match["look"])
    for option in look.options:
        if option.id == option_id:
            return look, option
    raise StylistError(f"no option {option_id}")


def list_looks(settings: Settings, user_id: str) -> list[Look]:
    """The user's looks, oldest first."""
    check_user_id(user_id)
    with reading(people_engine(settings)) as db:
        records = db.execute(select(looks.c.record).where(looks.c.user_id == user_id)
                             .order_by(looks.c.created_at, looks.c.look_id)).scalars().all()
    return [_load(settings, json.loads(record)) for record in records]


def copy_images(look: Look, out: Path) -> list[Path]:
    """Copy the option images into `out` (for `--out`), named by option id."""
    out.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copyfile(option.image, out / option.image.name)) for option in look.options]


def _data_relative(settings: Settings, path: str) -> str:
    try:
        return data_relative(path, settings.data_dir)
    except ValueError:
        return str(path)  # an image outside the data directory keeps its absolute path


def _load(settings: Settings, record: dict) -> Look:
    folder = look_folder(settings, record["user_id"], record["look_id"])
    options = [
        Option(id=option["id"], image=folder / option["image"], score=option["score"], seed=option["seed"],
               # looks made before sizes and other shops were asked name neither
               products=[{"size": None, "also_at": []} | dict(product, image=str(settings.data_dir / product["image"]))
                         for product in option["products"]],
               candidates=option.get("candidates", []), references=option.get("references", []))
        for option in record["options"]
    ]
    return Look(look_id=record["look_id"], user_id=record["user_id"], prompt=record["prompt"], options=options,
                timings=record["timings"], created_at=record["created_at"], notes=record["notes"],
                settings=record.get("settings", {}))
