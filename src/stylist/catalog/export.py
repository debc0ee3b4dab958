"""Image–text datasets from the purchasable catalog, in the layout Hugging Face's `imagefolder` reads."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from stylist.catalog.products import StoredProduct
from stylist.catalog.store import CatalogStore
from stylist.errors import StylistError

MAX_NAME_BYTES = 120  # well under every file system's 255-byte limit, with room for " (12)"
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


@dataclass
class ExportReport:
    out_dir: Path
    products: int
    images: int
    skipped_without_images: int

    def summary(self) -> str:
        skipped = f", {self.skipped_without_images} products without images skipped" if self.skipped_without_images else ""
        return f"exported {self.products} products, {self.images} images to {self.out_dir}{skipped}"


def product_text(product: StoredProduct) -> str:
    """The text descriptor of a product: its designer and title."""
    designer = product.designer.strip()
    title = product.title.strip()
    if designer and not title.lower().startswith(designer.lower()):
        return f"{designer} {title}"
    return title or designer


def safe_name(text: str) -> str:
    """A folder name that every common file system accepts and that still reads as the text."""
    name = unicodedata.normalize("NFC", text)
    name = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]+', " ", name)
    name = re.sub(r"\s+", " ", name).strip().strip(".").strip()
    encoded = name.encode("utf-8")[:MAX_NAME_BYTES]
    name = encoded.decode("utf-8", errors="ignore").strip().strip(".")
    if not name or name.split(".")[0].upper() in WINDOWS_RESERVED:
        name = f"product {name}".strip()
    return name


def export_dataset(store: CatalogStore, out_dir: Path, max_images: int = 5) -> ExportReport:
    """Write one folder per purchasable product with images, and metadata.jsonl, replacing an older export.

    The export is built beside OUT_DIR and swapped in at the end, so a failed export leaves the previous one.
    """
    if max_images < 1:
        raise StylistError("--max-images must be at least 1")
    out_dir = Path(out_dir).resolve()
    if out_dir.exists() and not out_dir.is_dir():
        raise StylistError(f"{out_dir} is a file; give a folder to export into")
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / "metadata.jsonl").exists():
        raise StylistError(f"{out_dir} is not empty and is not a stylist export; choose an empty or new folder")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    # mkdtemp makes a private folder; a dataset is for other users and jobs too, so honour the umask.
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)
    try:
        report = _write(store, staging, max_images)
        if not report.products:
            raise StylistError(
                "there are no purchasable products with images to export; crawl a shop first "
                "(stylist catalog crawl URL)"
            )
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            out_dir.rename(old)
            staging.rename(out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    report.out_dir = out_dir
    return report


def _write(store: CatalogStore, root: Path, max_images: int) -> ExportReport:
    used: set[str] = set()
    products = images = skipped = 0
    with open(root / "metadata.jsonl", "w", encoding="utf-8") as metadata:
        for product in store.products():
            files = [path for path in product.images if path.exists()][:max_images]
            if not files:
                skipped += 1
                continue
            text = product_text(product)
            folder = _unique(safe_name(text), used)
            (root / folder).mkdir()
            for number, source in enumerate(files, start=1):
                file_name = f"{folder}/{number}.jpg"
                shutil.copyfile(source, root / file_name)
                record = {
                    "file_name": file_name, "text": text, "product_id": product.id, "url": product.url,
                    "price": product.price, "currency": product.currency,
                }
                metadata.write(json.dumps(record, ensure_ascii=False) + "\n")
                images += 1
            products += 1
    return ExportReport(root, products, images, skipped)


def _unique(name: str, used: set[str]) -> str:
    # Compared case-insensitively: macOS and Windows would merge "Coat" and "coat" into one folder.
    candidate, number = name, 2
    while candidate.casefold() in used:
        candidate = f"{name} ({number})"
        number += 1
    used.add(candidate.casefold())
    return candidate
