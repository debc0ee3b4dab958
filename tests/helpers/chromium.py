"""Debian's Chromium, as the browser tests start it (Playwright never downloads one)."""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("STYLIST_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
