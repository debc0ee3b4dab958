"""The HTML page: one page whose script drives the same JSON API any other client uses."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

blueprint = Blueprint("views", __name__)


@blueprint.get("/")
def index():
    settings = current_app.config["STYLIST_SETTINGS"]
    return render_template("index.html", preset=settings.preset)
