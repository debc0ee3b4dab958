"""The application factory: settings and a job queue in, a Flask app with the API, media and pages out."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException

from stylist.imaging import MAX_BYTES, MAX_PIXELS
from stylist.jobs.queue import MAX_OPEN_JOBS, JobQueue, open_queue
from stylist.settings import Settings
from stylist.web import api, media, views

# Pages and scripts come from this server only; images and videos too (blob: for upload previews); nothing
# may frame the app, and no page sends its URL (with signed media links) to the shops its Buy links open.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' blob: data:; media-src 'self'; script-src 'self'; style-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def create_app(settings: Settings, queue: JobQueue | None = None, **config: Any) -> Flask:
    """The web app for `settings`; `queue` defaults to jobs.db in the data dir; `config` overrides the limits."""
    app = Flask(__name__)
    app.config.update(
        STYLIST_SETTINGS=settings,
        MAX_PHOTO_BYTES=MAX_BYTES,
        MAX_PHOTO_PIXELS=MAX_PIXELS,
        MAX_OPEN_JOBS=MAX_OPEN_JOBS,
        MEDIA_URL_SECONDS=3600,
        JSON_SORT_KEYS=False,
    )
    app.config.update(config)
    # Four photos at the limit, plus the form around them; werkzeug answers anything larger with 413.
    app.config.setdefault("MAX_CONTENT_LENGTH", 4 * app.config["MAX_PHOTO_BYTES"] + 1_000_000)
    app.config.setdefault("MEDIA_KEY", media.load_key(settings))
    assert isinstance(app.json, DefaultJSONProvider)  # Flask's own, unless an app class replaces it
    app.json.sort_keys = False
    app.extensions["stylist.queue"] = queue or open_queue(settings)

    app.register_blueprint(api.blueprint)
    app.register_blueprint(media.blueprint)
    app.register_blueprint(views.blueprint)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        # API and media clients get {"error": ...} for every error, including Flask's own 404, 405 and 413.
        if request.path.startswith(("/api/", "/media/")):
            return jsonify({"error": exc.description if exc.code != 413 else _too_large(app)}), exc.code
        return exc

    @app.after_request
    def secure(response):
        response.headers.update(SECURITY_HEADERS)
        if request.path.startswith("/api/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    return app


def _too_large(app: Flask) -> str:
    return f"the request is over the {app.config['MAX_CONTENT_LENGTH'] / 1e6:.0f} MB limit"
