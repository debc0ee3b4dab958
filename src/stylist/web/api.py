"""The JSON API of CONTRACT.md under /api: users, jobs, looks, options, the catalog, health.

Everything under a user needs that user's bearer token. A request without a token, or with one that is
not valid, gets 401; a valid token asking for another user's user, job, look or option gets 404, the same
answer as for one that does not exist, so nothing tells one user what another has. Work that needs models
(training, looks, spins) is queued for the worker and answered with 202 and a job id.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import wraps
from itertools import islice
from typing import Any

from flask import Blueprint, current_app, g, jsonify, render_template, request, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from stylist.catalog.lexical import FETCH as SEARCH_FETCH
from stylist.catalog.lexical import lexical_search
from stylist.catalog.store import CatalogStore
from stylist.errors import StylistError
from stylist.jobs.queue import LOOKS, TRAIN, VIDEO, JobQueue, TooManyJobs
from stylist.limits import (
    MAX_ADAPTER_SCALE,
    MAX_CANDIDATES,
    MAX_CLIP_GUIDANCE,
    MAX_OPTIONS,
    MAX_SPIN_FPS,
    MAX_SPIN_SECONDS,
    MAX_STEPS,
    MIN_SPIN_FPS,
    MIN_SPIN_SECONDS,
)
from stylist.looks.recipe import RECIPE_KEYS, Recipe, look_size, parse_size
from stylist.money import money, total
from stylist.people.choices import get_choice, record_choice
from stylist.people.forget import forget_user
from stylist.people.looks import find_option, get_look, list_looks
from stylist.people.photos import PhotosRefused
from stylist.people.sizes import checked_sizes, get_sizes, set_sizes
from stylist.people.users import add_user, delete_user, get_user
from stylist.presets import get_preset
from stylist.records import is_id
from stylist.settings import Settings
from stylist.web import accounts
from stylist.web.media import media_url
from stylist.web.money import shopper_locale
from stylist.web.openapi import openapi_document
from stylist.web.uploads import UploadRefused, read_uploads

blueprint = Blueprint("api", __name__, url_prefix="/api")

# Look and option ids come from the look records; anything outside these characters is not one of them.
_ITEM_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")
MAX_PROMPT = 500
MAX_TRAIN_STEPS = 5000
CATALOG_LIMIT, MAX_CATALOG_LIMIT = 24, 200
EMPTY_CATALOG_HINT = ("nothing is purchasable yet, so looks come without products or Buy links: "
                      "the operator runs `stylist catalog crawl URL` with a shop's address to fill the catalog")


class ApiError(Exception):
    def __init__(self, status: int, message: str, **extra: Any):
        super().__init__(message)
        self.status, self.extra = status, extra


@blueprint.errorhandler(ApiError)
def api_error(exc: ApiError):
    return jsonify({"error": str(exc), **exc.extra}), exc.status


def settings() -> Settings:
    return current_app.config["STYLIST_SETTINGS"]


def queue() -> JobQueue:
    return current_app.extensions["stylist.queue"]


def needs_token(view):
    """Find the user whose bearer token came with the request (g.user_id), or answer 401."""
    @wraps(view)
    def checked(*args, **kwargs):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "send your token as `Authorization: Bearer <token>`")
        user_id = accounts.token_user(settings(), token.strip())
        if user_id is None:
            raise ApiError(401, "this token is not valid (was the user deleted?)")
        g.user_id = user_id
        return view(*args, **kwargs)

    return checked


def own_user(user_id: str) -> None:
    if user_id != g.user_id:
        raise ApiError(404, f"no user {user_id}")


def json_body(required: bool = False) -> dict[str, Any]:
    if not request.data and not required:
        return {}
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    return body


def integer(body: dict[str, Any], name: str, default: int | None, low: int, high: int) -> int | None:
    value = body.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ApiError(400, f"`{name}` must be a whole number from {low} to {high}")
    return value


def number(body: dict[str, Any], name: str, low: float, high: float) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ApiError(400, f"`{name}` must be a number from {low:g} to {high:g}")
    return float(value)


def recipe_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The drawing recipe a looks request asks for (`stylist style`'s options), within the API's limits:
    only the fields given, the others left to the preset's defaults."""
    fast = body.get("fast", False)
    if not isinstance(fast, bool):
        raise ApiError(400, "`fast` must be true (a quick look) or false")
    size = body.get("size")
    if size is not None and not isinstance(size, str):
        raise ApiError(400, "`size` must be WIDTHxHEIGHT in pixels, such as \"832x1248\", or null")
    fields: dict[str, Any] = {"fast": fast or None,
              "candidates": integer(body, "candidates", None, 1, MAX_CANDIDATES),
              "steps": integer(body, "steps", None, 1, MAX_STEPS),
              "clip_guidance": number(body, "clip_guidance", 0, MAX_CLIP_GUIDANCE),
              "product_scale": number(body, "product_scale", 0, MAX_ADAPTER_SCALE),
              "face_scale": number(body, "face_scale", 0, MAX_ADAPTER_SCALE)}
    preset = get_preset(settings().preset)
    if fields["clip_guidance"] and preset.edits_references:
        raise ApiError(400, f"`clip_guidance` steers the sdxl and sd14 presets; the {preset.name} preset draws from "
                            "the products' own photos instead: leave it out")
    try:
        fields["size"] = list(look_size(preset, parse_size(size))) if size else None
        Recipe.from_json(fields)  # what the worker will build, checked now
    except StylistError as exc:
        raise ApiError(400, str(exc)) from exc
    return {name: value for name, value in fields.items() if value is not None}


def look_recipe(look) -> dict[str, Any] | None:
    """The recipe a stored look was drawn with, as `Recipe.to_json` gives it (looks record it in their settings);
    None for a look that recorded none."""
    recorded = {name: look.settings[name] for name in RECIPE_KEYS if name in look.settings}
    if not recorded:
        return None
    try:
        return Recipe.from_json(recorded).to_json()
    except StylistError:
        return None  # a look stored by a version whose recipe had other fields


def submit(kind: str, user_id: str, params: dict[str, Any]):
    try:
        job = queue().submit(kind, user_id, params, max_open=current_app.config["MAX_OPEN_JOBS"])
    except TooManyJobs as exc:
        raise ApiError(429, str(exc)) from exc
    return jsonify({"job_id": job.id}), 202


# --- service ------------------------------------------------------------------------------------------------


@blueprint.get("/health")
def health():
    with CatalogStore(settings()) as store:
        products = sum(shop["purchasable"] for shop in store.stats())
        updated_at = store.updated_at()
    answer = {"status": "ok", "preset": settings().preset, "catalog": {"products": products, "updated_at": updated_at}}
    if not products:
        answer["hint"] = EMPTY_CATALOG_HINT
    return jsonify(answer)


@blueprint.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@blueprint.get("/docs")
def docs():
    """The spec as an interactive page: Swagger UI from its wheel, so it works with no network."""
    return render_template("docs.html")


@blueprint.get("/docs/assets/<path:filename>")
def docs_asset(filename: str):
    return send_from_directory(swagger_ui_path, filename, max_age=86400)


@blueprint.get("/catalog")
def catalog():
    """Purchasable products a page at a time (`offset`, `limit`), with how many there are in all (`total`);
    with `q`, the catalog's lexical search (BM25, typo-tolerant), best first, counting up to SEARCH_FETCH."""
    query = request.args.get("q", "").strip()
    limit, offset = request.args.get("limit", str(CATALOG_LIMIT)), request.args.get("offset", "0")
    if not limit.isdecimal() or not 1 <= int(limit) <= MAX_CATALOG_LIMIT:
        raise ApiError(400, f"`limit` must be a whole number from 1 to {MAX_CATALOG_LIMIT}")
    if not offset.isdecimal():
        raise ApiError(400, "`offset` must be a whole number from 0")
    if len(query) > MAX_PROMPT:
        raise ApiError(400, f"`q` must be at most {MAX_PROMPT} characters")
    start, stop = int(offset), int(offset) + int(limit)
    with CatalogStore(settings()) as store:
        if query:
            hits = lexical_search(store, query, SEARCH_FETCH)
            found, count = [hit.product for hit in hits[start:stop]], len(hits)
        else:
            found = list(islice(store.products(), start, stop))
            count = sum(shop["purchasable"] for shop in store.stats())
        return jsonify({"products": [product_json(product.to_json()) for product in found], "total": count,
                        "offset": start, "limit": int(limit)})


def product_json(product: dict[str, Any]) -> dict[str, Any]:
    """A product as the API shows it: signed image URLs instead of the server's file paths, its price as text."""
    shown = {key: value for key, value in product.items() if key not in ("images", "image")}
    images = product.get("images") or ([product["image"]] if product.get("image") else [])
    shown["image_url"] = media_url(images[0]) if images else None
    shown["price_text"] = money(product.get("price"), product.get("currency"), shopper_locale())
    if "also_at" in product:
        shown["also_at"] = [other | {"price_text": money(other["price"], other["currency"], shopper_locale())}
                            for other in product["also_at"]]
    return shown


# --- users --------------------------------------------------------------------------------------------------


@blueprint.post("/users")
def create_user():
    config = current_app.config
    if request.form.get("consent", "").strip().lower() != "true":
        raise ApiError(400, "confirm that the photos are of you and that you agree to their use (consent=true)")
    sizes = form_sizes()  # checked before the photos are taken in, so a bad size stores nothing
    try:
        uploads = read_uploads(request.files.getlist("photos"), config["MAX_PHOTO_BYTES"], config["MAX_PHOTO_PIXELS"])
    except UploadRefused as exc:
        raise ApiError(exc.status, str(exc)) from exc
    try:
        user = add_user(settings(), request.form.get("name", ""), uploads.photos, refused=uploads.refused,
                        crop_size=get_preset(settings().preset).resolution, consent_by="person")
    except PhotosRefused as exc:
        # Every photo judged, every refusal named; a file that is not a photo at all sets the status (413, 415).
        raise ApiError(uploads.status or 400, str(exc),
                       rejected=[{"name": r.name, "reason": r.reason} for r in exc.rejected]) from exc
    except StylistError as exc:
        raise ApiError(400, str(exc)) from exc
    try:
        token = accounts.issue_token(settings(), user.id)
        worn = set_sizes(settings(), user.id, sizes)
    except BaseException:
        delete_user(settings(), user.id)
        raise
    return jsonify({"id": user.id, "token": token, "photos": [media_url(path) for path in user.crops],
                    "warnings": list(user.warnings), "sizes": worn}), 201


def form_sizes() -> dict[str, str]:
    """The optional `sizes` field of the sign-up form: a JSON object of slot to size."""
    text = request.form.get("sizes", "").strip()
    if not text:
        return {}
    try:
        return checked_sizes(json.loads(text))
    except ValueError:
        raise ApiError(400, '`sizes` must be a JSON object of slot to size, such as {"dress": "M"}') from None
    except StylistError as exc:
        raise ApiError(400, str(exc)) from exc


@blueprint.get("/users/<user_id>")
@needs_token
def show_user(user_id: str):
    own_user(user_id)
    try:
        user = get_user(settings(), user_id)
    except StylistError:  # deleted between the token check and now
        raise ApiError(404, f"no user {user_id}") from None
    return jsonify({"id": user.id, "name": user.name, "created_at": user.created_at,
                    "photos": [media_url(path) for path in user.crops], "warnings": list(user.warnings),
                    "sizes": get_sizes(settings(), user.id)})


@blueprint.get("/users/<user_id>/sizes")
@needs_token
def show_sizes(user_id: str):
    own_user(user_id)
    return jsonify({"id": user_id, "sizes": get_sizes(settings(), user_id)})


@blueprint.put("/users/<user_id>/sizes")
@needs_token
def change_sizes(user_id: str):
    """The person's sizes replaced by the body's: `{"sizes": {"dress": "M"}}` (or the object alone); a slot
    left out is cleared, so `{}` clears them all."""
    own_user(user_id)
    body = json_body(required=True)
    asked = body["sizes"] if set(body) == {"sizes"} else body
    try:
        return jsonify({"id": user_id, "sizes": set_sizes(settings(), user_id, asked, replace=True)})
    except StylistError as exc:
        raise ApiError(400, str(exc)) from exc


@blueprint.delete("/users/<user_id>")
@needs_token
def remove_user(user_id: str):
    own_user(user_id)
    forget_user(settings(), user_id, queue())
    return "", 204


@blueprint.post("/users/<user_id>/train")
@needs_token
def train(user_id: str):
    own_user(user_id)
    steps = integer(json_body(), "steps", None, 1, MAX_TRAIN_STEPS)
    return submit(TRAIN, user_id, {} if steps is None else {"steps": steps})


@blueprint.post("/users/<user_id>/looks")
@needs_token
def make_looks(user_id: str):
    own_user(user_id)
    body = json_body(required=True)
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip() or len(prompt) > MAX_PROMPT:
        raise ApiError(400, f"`prompt` must be text of 1 to {MAX_PROMPT} characters saying what you want to wear")
    budget = body.get("budget")
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int | float) or budget <= 0):
        raise ApiError(400, "`budget` must be a positive amount or null")
    params = {"prompt": prompt.strip(), "options": integer(body, "options", 4, 1, MAX_OPTIONS), "budget": budget,
              "seed": integer(body, "seed", None, 0, 2**32 - 1), "recipe": recipe_fields(body)}
    return submit(LOOKS, user_id, params)


@blueprint.get("/users/<user_id>/looks")
@needs_token
def user_looks(user_id: str):
    own_user(user_id)
    return jsonify({"looks": [{"look_id": look.look_id, "prompt": look.prompt, "created_at": str(look.created_at),
                               "options": len(look.options)} for look in list_looks(settings(), user_id)]})


# --- jobs ---------------------------------------------------------------------------------------------------


def own_job(job_id: str):
    job = queue().get(job_id) if is_id(job_id) else None
    if job is None or job.user_id != g.user_id:
        raise ApiError(404, f"no job {job_id}")
    return job


@blueprint.get("/jobs/<job_id>")
@needs_token
def show_job(job_id: str):
    return jsonify(job_json(own_job(job_id)))


@blueprint.post("/jobs/<job_id>/cancel")
@needs_token
def cancel_job(job_id: str):
    own_job(job_id)
    return jsonify(job_json(queue().cancel(job_id)))


def job_json(job) -> dict[str, Any]:
    shown = job.to_json()
    result = job.result
    if job.kind == VIDEO and result:
        # Stored as paths in the data dir; shown as signed URLs, fresh on every read.
        shown["result"] = {"video_url": media_url(result["video"]), "gif_url": media_url(result["gif"]),
                           **{key: result[key] for key in ("seconds", "fps", "frames")}}
    return shown


# --- looks and options --------------------------------------------------------------------------------------


@dataclass
class Found:
    look: Any
    option: Any = None
    rank: int = 0


# Looked up in the folder of the user whose token came with the request only: another user's look or option
# is not found, the same answer as one that does not exist.
def own_look(look_id: str) -> Found:
    try:
        look = get_look(settings(), g.user_id, look_id) if _ITEM_ID.fullmatch(look_id) else None
    except (StylistError, LookupError, FileNotFoundError):
        look = None
    if look is None:
        raise ApiError(404, f"no look {look_id}")
    return Found(look)


def own_option(option_id: str) -> Found:
    try:
        look, option = find_option(settings(), g.user_id, option_id) if _ITEM_ID.fullmatch(option_id) else (None, None)
    except (StylistError, LookupError, FileNotFoundError):
        look = option = None
    if look is None or option is None:
        raise ApiError(404, f"no option {option_id}")
    # Its place when the look's options are ordered by the fashion CLIP's score, best first (0).
    rank = next(number for number, each in enumerate(look.best_first()) if each.id == option.id)
    return Found(look, option, rank)


def chosen_json(look: Any) -> dict[str, Any] | None:
    """The option the user picked in this look, their rating, and its latest spin (null until there is one)."""
    chosen = get_choice(settings(), g.user_id, look.look_id)
    if chosen is None:
        return None
    spins = [job for job in queue().jobs(g.user_id)
             if job.kind == VIDEO and job.status == "succeeded" and job.params.get("option_id") == chosen["option_id"]]
    return {**chosen, "spin": job_json(spins[-1])["result"] if spins else None}


@blueprint.get("/looks/<look_id>")
@needs_token
def show_look(look_id: str):
    look = own_look(look_id).look
    locale, budget = shopper_locale(), look.settings.get("budget")
    # Best first by the fashion CLIP's score; the first is marked best, unless it is drawn from the prompt alone
    # (no product fits it): a "best match" of nothing. Each with what it costs in total.
    return jsonify({
        "look_id": look.look_id, "prompt": look.prompt, "created_at": str(look.created_at), "notes": look.notes,
        "budget": look.budget_json(locale), "recipe": look_recipe(look),
        "options": [{"id": option.id, "image_url": media_url(option.image), "score": option.score, "best": rank == 0 and bool(option.products),
                     "products": [product_json(product) for product in option.products],
                     "total": total(option.products, locale, budget),
                     "references": option.references} for rank, option in enumerate(look.best_first())],
        "chosen": chosen_json(look),
    })


@blueprint.post("/options/<option_id>/select")
@needs_token
def select_option(option_id: str):
    found = own_option(option_id)
    rating = integer(json_body(), "rating", None, 1, 5)
    record_choice(settings(), g.user_id, found.look.look_id, found.option.id, rank=found.rank,
                  options=len(found.look.options), score=found.option.score, prompt=found.look.prompt, rating=rating)
    chosen = get_choice(settings(), g.user_id, found.look.look_id)  # the rating kept when none was given
    assert chosen is not None  # recorded just above
    return jsonify({"option_id": found.option.id, "look_id": found.look.look_id, "rating": chosen["rating"]})


@blueprint.post("/options/<option_id>/video")
@needs_token
def make_video(option_id: str):
    found = own_option(option_id)
    body = json_body()
    seconds = integer(body, "seconds", 3, MIN_SPIN_SECONDS, MAX_SPIN_SECONDS)
    fps = integer(body, "fps", 8, MIN_SPIN_FPS, MAX_SPIN_FPS)
    return submit(VIDEO, g.user_id, {"option_id": found.option.id, "look_id": found.look.look_id,
                                       "seconds": seconds, "fps": fps})
