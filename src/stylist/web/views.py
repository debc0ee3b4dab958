"""The HTML page: one page whose script drives the same JSON API any other client uses."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from stylist.presets import get_preset

blueprint = Blueprint("views", __name__)


@blueprint.get("/")
def index():
    settings = current_app.config["STYLIST_SETTINGS"]
    # A reference-editing preset makes looks from the photos at once: the page skips the training step.
    return render_template("index.html", preset=settings.preset,
                           instant=get_preset(settings.preset).edits_references)
