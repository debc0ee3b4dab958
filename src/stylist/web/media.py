"""Signed, expiring URLs for the files the app shows (photos, look images, videos, product images).

`<img>` and `<video>` tags cannot send a bearer token, so each URL carries its own permission: an HMAC
over the file's path and an expiry time, made with a key only the server knows. A URL opens that one file
until it expires. The key is $STYLIST_SECRET_KEY, or `secret.key` in the data dir (made on first use,
readable by its owner only).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path
from urllib.parse import quote

from flask import Blueprint, abort, current_app, request, send_file

from stylist.errors import StylistError
from stylist.files import data_relative
from stylist.settings import Settings

KEY_ENV = "STYLIST_SECRET_KEY"
# The parts of the data dir that media URLs may open; catalog.db, users.db, secret.key and jobs.db are not.
SERVED_FOLDERS = ("users", "images")

blueprint = Blueprint("media", __name__)


# A shorter key could be guessed, and every media URL of every user forged with it.
MIN_KEY_BYTES = 32


def load_key(settings: Settings) -> bytes:
    if os.environ.get(KEY_ENV):
        key = os.environ[KEY_ENV].encode()
        if len(key) < MIN_KEY_BYTES:
            raise StylistError(f"{KEY_ENV} must be at least {MIN_KEY_BYTES} characters (for example the output "
                               "of `python -c 'import secrets; print(secrets.token_hex(32))'`)")
        return key
    path = settings.data_dir / "secret.key"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Written whole under another name, then linked into place: two servers starting at once agree on
        # one key (the second link fails and that server reads the first's), and neither ever reads a
        # half-written or empty file. 0600: only the server's user reads it.
        staging = path.with_name(f".secret.key-{secrets.token_hex(4)}")
        fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_hex(32))
        try:
            os.link(staging, path)
        except FileExistsError:
            pass
        finally:
            staging.unlink()
    key = path.read_bytes().strip()
    if len(key) < MIN_KEY_BYTES:
        raise StylistError(f"{path} holds no usable key: delete it and start the server again")
    return key


def sign(key: bytes, relative: str, expires: int) -> str:
    return hmac.new(key, f"{relative}\n{expires}".encode(), hashlib.sha256).hexdigest()


def media_url(path: Path | str | None) -> str | None:
    """A signed URL for a file under the data dir (absolute, or relative to it); None for anything else."""
    if path is None:
        return None
    config = current_app.config
    data_dir: Path = config["STYLIST_SETTINGS"].data_dir
    try:
        relative = data_relative(data_dir / path, data_dir)  # serving resolves it, and refuses what leads out
    except ValueError:
        return None
    if relative.split("/", 1)[0] not in SERVED_FOLDERS:
        return None
    expires = int(time.time()) + config["MEDIA_URL_SECONDS"]
    signature = sign(config["MEDIA_KEY"], relative, expires)
    return f"/media/{quote(relative)}?exp={expires}&sig={signature}"


@blueprint.get("/media/<path:relative>")
def serve_media(relative: str):
    config = current_app.config
    expires, signature = request.args.get("exp", ""), request.args.get("sig", "")
    if not expires or not signature:
        abort(401, "this media URL is not signed")
    if not expires.isdecimal() or not hmac.compare_digest(sign(config["MEDIA_KEY"], relative, int(expires)), signature):
        abort(403, "this media URL's signature is not valid")
    if int(expires) < time.time():
        abort(403, "this media URL has expired; reload the page for a new one")
    target = served_file(config["STYLIST_SETTINGS"].data_dir, relative)
    if target is None:
        abort(404)
    if not target.is_file():
        abort(404, "this file no longer exists")
    response = send_file(target, conditional=True, max_age=min(3600, max(0, int(expires) - int(time.time()))))
    response.cache_control.private = True
    response.cache_control.public = False
    return response


def served_file(data_dir: Path, relative: str) -> Path | None:
    """The file `relative` names, resolved, if it lies inside users/ or images/; None for anything else.

    The signature already pins the path; this guards against one signed by mistake. Each folder is resolved
    on its own, so users/ or images/ may be a symlink to another disk, while `..`, an absolute path, or a
    symlink below them that leads out of their folder is refused.
    """
    folder, _, rest = relative.partition("/")
    if folder not in SERVED_FOLDERS or not rest:
        return None
    root = (data_dir / folder).resolve()
    target = (root / rest).resolve()
    return target if target.is_relative_to(root) else None
