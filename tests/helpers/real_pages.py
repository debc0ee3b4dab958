"""The real shop pages in ../shared/real-pages, read in place, and the address each was saved from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

REAL_PAGES = Path(__file__).resolve().parents[2].parent / "shared" / "real-pages"
MANIFEST = REAL_PAGES / "manifest.json"


def page_url(name: str, entry: dict[str, Any]) -> str:
    """The page's address as it was fetched; pages kept without one get an address on their shop."""
    return entry.get("original_url") or f"https://{entry.get('shop') or 'shop.example'}/{name}"
