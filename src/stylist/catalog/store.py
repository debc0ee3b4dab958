"""The catalog database: shops, crawl runs, products with their offers' history, and their images.

A product is *purchasable* when its offer was in stock in the latest complete crawl of its shop and it
was seen in that crawl. Crawls write what they observe as they go (each product in its own transaction),
and only `finish_run(complete=True)` turns observations into availability, so a crawl that dies half way
makes nothing less available.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from stylist.catalog.images import StoredImage
from stylist.catalog.matching import Listing, Matches, match
from stylist.catalog.products import ExtractedProduct, RememberedPage, StoredProduct, Variant
from stylist.catalog.schema import MIGRATIONS, statements
from stylist.catalog.urls import canonical
from stylist.databases import use_wal
from stylist.errors import StylistError
from stylist.files import data_relative
from stylist.records import utc_now

PURCHASABLE = "p.available = 1 AND p.complete_run_id IS NOT NULL AND p.complete_run_id = s.last_complete_run_id"


@dataclass
class ShopRecord:
    id: int
    host: str
    root_url: str
    adapter: str
    settings: dict
    last_complete_run_id: int | None


class CatalogStore:
    def __init__(self, path: Path, images_root: Path | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Image paths are stored relative to the data directory so the directory can be moved.
        self.root = self.path.parent
        self.images_root = images_root or self.root / "images"
        try:
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            use_wal(self.db)
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StylistError(f"cannot use the catalog database {self.path}: {exc}") from exc

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> CatalogStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _migrate(self) -> None:
        # The version is read again under the write lock: two openers of a new database at once (the page
        # asks for its health and its catalog together) would otherwise both run the first migration.
        while self.db.execute("PRAGMA user_version").fetchone()[0] < len(MIGRATIONS):
            self.db.execute("BEGIN IMMEDIATE")
            try:
                version = self.db.execute("PRAGMA user_version").fetchone()[0]
                if version < len(MIGRATIONS):
                    for statement in statements(MIGRATIONS[version]):
                        self.db.execute(statement)
                    self.db.execute(f"PRAGMA user_version = {version + 1}")
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    # --- shops and runs -------------------------------------------------------------------------

    def register_shop(self, host: str, root_url: str, adapter: str, settings: dict) -> ShopRecord:
        """Create or update the shop's record with the settings of its latest crawl (refresh reuses them)."""
        self.db.execute(
            "INSERT INTO shops (host, root_url, adapter, settings, created_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (host) DO UPDATE SET root_url = excluded.root_url, adapter = excluded.adapter, "
            "settings = excluded.settings",
            (host, root_url, adapter, json.dumps(settings, sort_keys=True), utc_now()),
        )
        return self.shop(host)

    def shop(self, host: str) -> ShopRecord:
        row = self.db.execute("SELECT * FROM shops WHERE host = ?", (host,)).fetchone()
        return _shop(row)

    def find_shop(self, host: str) -> ShopRecord | None:
        row = self.db.execute("SELECT * FROM shops WHERE host = ?", (host,)).fetchone()
        return _shop(row) if row else None

    def forget_shop(self, host: str) -> int:
        """Remove a shop with its crawl runs, products and price history; returns how many products went.

        Image files stay: they are shared by content and cost nothing to keep for another shop.
        """
        shop = self.find_shop(host)
        if shop is None:
            raise KeyError(host)
        self.db.execute("BEGIN IMMEDIATE")
        try:
            count = self.db.execute("SELECT COUNT(*) FROM products WHERE shop_id = ?", (shop.id,)).fetchone()[0]
            self.db.execute("DELETE FROM shops WHERE id = ?", (shop.id,))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return count

    def shops(self) -> list[ShopRecord]:
        return [_shop(row) for row in self.db.execute("SELECT * FROM shops ORDER BY id")]

    def start_run(self, shop_id: int) -> int:
        # A run still 'running' belongs to a process that died: it never completed, so it marks nothing.
        self.db.execute(
            "UPDATE crawl_runs SET status = 'aborted', finished_at = ?, reason = 'the crawl process stopped' "
            "WHERE shop_id = ? AND status = 'running'",
            (utc_now(), shop_id),
        )
        cursor = self.db.execute(
            "INSERT INTO crawl_runs (shop_id, started_at, status) VALUES (?, ?, 'running')", (shop_id, utc_now())
        )
        return cursor.lastrowid

    def finish_run(
        self, run_id: int, *, complete: bool, stats: dict, reason: str = "", kept_urls: list[str] = ()
    ) -> int:
        """Close the run. A complete run settles availability; returns how many products stopped being purchasable.

        `kept_urls` are the pages that got no answer in a run tolerated as complete: the products behind
        them keep their state rather than being taken for gone.
        """
        shop_id, previous = self.db.execute(
            "SELECT c.shop_id, s.last_complete_run_id FROM crawl_runs c JOIN shops s ON s.id = c.shop_id "
            "WHERE c.id = ?", (run_id,)
        ).fetchone()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            now_unavailable = 0
            if complete:
                before = self._purchasable_ids(shop_id)
                self.db.execute(
                    "UPDATE products SET available = observed_available, complete_run_id = ? "
                    "WHERE shop_id = ? AND last_seen_run_id = ?",
                    (run_id, shop_id, run_id),
                )
                # Sizes this run saw settle, and a product whose sizes it saw loses those it no longer lists. A
                # sighting without sizes (a teaser of the product on another page, a page whose picker did not
                # load) says nothing about them, so its product keeps the sizes it had.
                listed = "SELECT DISTINCT product_id FROM variants WHERE last_seen_run_id = ?"
                self.db.execute(f"DELETE FROM variants WHERE product_id IN ({listed}) AND last_seen_run_id != ?",
                                (run_id, run_id))
                self.db.execute("UPDATE variants SET available = observed_available WHERE last_seen_run_id = ?",
                                (run_id,))
                kept = set(kept_urls)
                unseen = self.db.execute(
                    "SELECT id, url FROM products WHERE shop_id = ? AND last_seen_run_id != ? "
                    "AND complete_run_id IS ?", (shop_id, run_id, previous)
                ).fetchall()
                self.db.executemany(
                    "UPDATE products SET complete_run_id = ? WHERE id = ?",
                    [(run_id, row["id"]) for row in unseen if canonical(row["url"]) in kept],
                )
                self.db.execute("UPDATE shops SET last_complete_run_id = ? WHERE id = ?", (run_id, shop_id))
                now_unavailable = len(before - self._purchasable_ids(shop_id))
                stats = {**stats, "unavailable": now_unavailable}
            self.db.execute(
                "UPDATE crawl_runs SET status = ?, finished_at = ?, reason = ?, stats = ? WHERE id = ?",
                ("complete" if complete else "incomplete", utc_now(), reason, json.dumps(stats), run_id),
            )
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return now_unavailable

    def _purchasable_ids(self, shop_id: int) -> set[int]:
        rows = self.db.execute(
            f"SELECT p.id FROM products p JOIN shops s ON s.id = p.shop_id WHERE p.shop_id = ? AND {PURCHASABLE}",
            (shop_id,),
        )
        return {row[0] for row in rows}

    # --- pages, for conditional refreshes --------------------------------------------------------

    def remembered_pages(self, shop_id: int) -> dict[str, RememberedPage]:
        """Every page of the shop as its latest fetch left it, by the URL the crawl asked for."""
        rows = self.db.execute("SELECT * FROM pages WHERE shop_id = ?", (shop_id,))
        return {
            row["url"]: RememberedPage(
                row["url"], row["final_url"], row["etag"], row["last_modified"], row["lastmod"], row["fetched_at"],
                json.loads(row["skus"]), [tuple(link) for link in json.loads(row["links"])],
            )
            for row in rows
        }

    def remember_page(self, shop_id: int, run_id: int, page: RememberedPage) -> None:
        self.db.execute(
            "INSERT INTO pages (shop_id, url, final_url, etag, last_modified, lastmod, fetched_at, run_id, skus, "
            "links) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (shop_id, url) DO UPDATE SET "
            "final_url = excluded.final_url, etag = excluded.etag, last_modified = excluded.last_modified, "
            "lastmod = excluded.lastmod, fetched_at = excluded.fetched_at, run_id = excluded.run_id, "
            "skus = excluded.skus, links = excluded.links",
            (shop_id, page.url, page.final_url, page.etag, page.last_modified, page.lastmod,
             page.fetched_at or utc_now(), run_id, json.dumps(page.skus), json.dumps(page.links)),
        )

    def forget_pages_not_visited(self, shop_id: int, run_id: int, kept_urls: Iterable[str] = ()) -> None:
        """After a complete run: pages it did not reach are no longer part of the shop (`kept_urls` got no
        answer, and stay)."""
        self.db.execute(
            "DELETE FROM pages WHERE shop_id = ? AND run_id != ? AND url NOT IN (SELECT value FROM json_each(?))",
            (shop_id, run_id, json.dumps(list(kept_urls))),
        )

    def product_skus(self, shop_id: int) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT sku FROM products WHERE shop_id = ?", (shop_id,))}

    def mark_seen(self, shop_id: int, run_id: int, skus: Iterable[str]) -> int:
        """Count products as seen by this run without a new observation: their page did not change.

        What was observed of them last time stands, so `finish_run(complete=True)` settles them (and keeps
        their variants) as it does a product `upsert_product` found unchanged. Returns how many were marked.
        """
        stamp = utc_now()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            ids = [row[0] for row in self.db.execute(
                "SELECT id FROM products WHERE shop_id = ? AND last_seen_run_id != ? "
                "AND sku IN (SELECT value FROM json_each(?))", (shop_id, run_id, json.dumps(list(skus))))]
            self.db.executemany("UPDATE products SET last_seen = ?, last_seen_run_id = ? WHERE id = ?",
                                [(stamp, run_id, product_id) for product_id in ids])
            self.db.executemany("UPDATE variants SET last_seen_run_id = ? WHERE product_id = ?",
                                [(run_id, product_id) for product_id in ids])
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return len(ids)

    # --- images ---------------------------------------------------------------------------------

    def image_for_url(self, url: str) -> StoredImage | None:
        """The image already fetched from `url`, if its files are still there, so it is not downloaded again."""
        row = self.db.execute(
            "SELECT i.* FROM image_sources s JOIN images i ON i.sha256 = s.sha256 WHERE s.url = ?", (url,)
        ).fetchone()
        if row is None:
            return None
        image = StoredImage(
            row["sha256"], row["width"], row["height"], row["phash"],
            self.root / row["original"], self.root / row["normalised"],
        )
        return image if image.original.exists() and image.normalised.exists() else None

    def remember_image(self, url: str, image: StoredImage) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        self._insert_image(image)
        self.db.execute(
            "INSERT INTO image_sources (url, sha256, fetched_at) VALUES (?, ?, ?) "
            "ON CONFLICT (url) DO UPDATE SET sha256 = excluded.sha256, fetched_at = excluded.fetched_at",
            (url, image.sha256, utc_now()),
        )
        self.db.execute("COMMIT")

    def _insert_image(self, image: StoredImage) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO images (sha256, width, height, phash, original, normalised, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (image.sha256, image.width, image.height, image.phash, self._relative(image.original),
             self._relative(image.normalised), utc_now()),
        )

    def _relative(self, path: Path) -> str:
        try:
            return data_relative(path, self.root)
        except ValueError:
            return str(Path(path).resolve())

    # --- products -------------------------------------------------------------------------------

    def upsert_product(
        self, shop_id: int, run_id: int, product: ExtractedProduct, images: list[tuple[str, StoredImage]]
    ) -> str:
        """Store one observation of a product with its images, atomically.

        Returns "new", "updated", "unchanged", or "repeat" when this run already stored the same SKU
        (another URL led to the same product).
        """
        stamp = utc_now()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            row = self.db.execute(
                "SELECT * FROM products WHERE shop_id = ? AND sku = ?", (shop_id, product.sku)
            ).fetchone()
            if row is None:
                row = self._adopt(shop_id, run_id, product)
            if row is not None and row["last_seen_run_id"] == run_id:
                # another page led to a product already stored in this run; its sizes count if the first
                # sighting had none (a product first met as a teaser elsewhere)
                if product.variants and not self.db.execute(
                        "SELECT 1 FROM variants WHERE product_id = ? AND last_seen_run_id = ?", (row["id"], run_id)
                ).fetchone():
                    self._observe_variants(row["id"], run_id, product.variants)
                self.db.execute("COMMIT")
                return "repeat"
            fields = {
                "url": product.url, "designer": product.designer, "title": product.title,
                "description": product.description, "category": product.category, "color": product.color,
                "price": product.price, "currency": product.currency,
                "observed_available": int(product.available), "gtin": product.gtin, "mpn": product.mpn,
            }
            image_rows = [(position, image.sha256, url) for position, (url, image) in enumerate(images)]
            if row is None:
                outcome = "new"
                product_id = self.db.execute(
                    "INSERT INTO products (shop_id, sku, url, designer, title, description, category, color, "
                    "price, currency, observed_available, gtin, mpn, first_seen, last_seen, last_seen_run_id) "
                    "VALUES (:shop_id, :sku, :url, :designer, :title, :description, :category, :color, "
                    ":price, :currency, :observed_available, :gtin, :mpn, :stamp, :stamp, :run_id)",
                    {**fields, "shop_id": shop_id, "sku": product.sku, "stamp": stamp, "run_id": run_id},
                ).lastrowid
            else:
                product_id = row["id"]
                old_images = [
                    (r["position"], r["sha256"], r["source_url"])
                    for r in self.db.execute(
                        "SELECT position, sha256, source_url FROM product_images WHERE product_id = ? "
                        "ORDER BY position", (product_id,)
                    )
                ]
                new_sizes = bool(product.variants) and self._variant_rows(product_id) != _variant_rows(product.variants)
                changed = (any(row[key] != value for key, value in fields.items()) or old_images != image_rows
                           or new_sizes)
                outcome = "updated" if changed else "unchanged"
                assignments = ", ".join(f"{key} = :{key}" for key in fields)
                self.db.execute(
                    f"UPDATE products SET {assignments}, last_seen = :stamp, last_seen_run_id = :run_id "
                    "WHERE id = :id",
                    {**fields, "stamp": stamp, "run_id": run_id, "id": product_id},
                )
            self._record_offer(product_id, run_id, product, stamp)
            self._observe_variants(product_id, run_id, product.variants)
            for _, image in images:
                self._insert_image(image)
            self.db.execute("DELETE FROM product_images WHERE product_id = ?", (product_id,))
            self.db.executemany(
                "INSERT INTO product_images (product_id, position, sha256, source_url) VALUES (?, ?, ?, ?)",
                [(product_id, *image_row) for image_row in image_rows],
            )
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return outcome

    def _adopt(self, shop_id: int, run_id: int, product: ExtractedProduct) -> sqlite3.Row | None:
        """The product stored before under another SKU for the same page and name, now under the new SKU.

        SKUs change meaning when the rules do (sizes merged into their garment, a page's identity standing
        in for a missing SKU); the product, its history and the looks that name it stay the same.
        """
        row = self.db.execute(
            "SELECT * FROM products WHERE shop_id = ? AND url = ? AND lower(trim(title)) = lower(trim(?)) "
            "AND last_seen_run_id != ? ORDER BY id LIMIT 1",
            (shop_id, product.url, product.title, run_id),
        ).fetchone()
        if row is None:
            return None
        self.db.execute("UPDATE products SET sku = ? WHERE id = ?", (product.sku, row["id"]))
        return self.db.execute("SELECT * FROM products WHERE id = ?", (row["id"],)).fetchone()

    def _observe_variants(self, product_id: int, run_id: int, variants: list[Variant]) -> None:
        """What this crawl saw of the product's variants; their settled stock changes only in `finish_run`."""
        for position, variant in enumerate(variants):
            self.db.execute(
                "INSERT INTO variants (product_id, key, position, sku, size, color, price, currency, url, "
                "observed_available, last_seen_run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (product_id, key) DO UPDATE SET position = excluded.position, sku = excluded.sku, "
                "size = excluded.size, color = excluded.color, price = excluded.price, "
                "currency = excluded.currency, url = excluded.url, "
                "observed_available = excluded.observed_available, last_seen_run_id = excluded.last_seen_run_id",
                (product_id, variant.key(), position, variant.sku, variant.size, variant.color, variant.price,
                 variant.currency, variant.url, int(variant.available), run_id),
            )

    def _variant_rows(self, product_id: int) -> list[tuple]:
        rows = self.db.execute(
            "SELECT sku, size, color, price, currency, url, observed_available FROM variants "
            "WHERE product_id = ? ORDER BY position", (product_id,))
        return [tuple(row) for row in rows]

    def _record_offer(self, product_id: int, run_id: int, product: ExtractedProduct, stamp: str) -> None:
        """Price history: a row whenever price, currency or stock differ from the last one."""
        last = self.db.execute(
            "SELECT price, currency, available FROM offers WHERE product_id = ? ORDER BY id DESC LIMIT 1",
            (product_id,),
        ).fetchone()
        current = (product.price, product.currency, int(product.available))
        if last is None or tuple(last) != current:
            self.db.execute(
                "INSERT INTO offers (product_id, run_id, price, currency, available, observed_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (product_id, run_id, *current, stamp),
            )

    def price_history(self, product_id: int) -> list[dict]:
        rows = self.db.execute(
            "SELECT price, currency, available, observed_at FROM offers WHERE product_id = ? ORDER BY id",
            (product_id,),
        )
        return [dict(row) for row in rows]

    def products(self, *, include_unavailable: bool = False, shop: str | None = None,
                 ids: Iterable[int] | None = None) -> Iterator[StoredProduct]:
        """Purchasable products (or all with include_unavailable), newest shop first, then by id; only `ids` if given."""
        conditions = [] if include_unavailable else [PURCHASABLE]
        params: list = []
        if shop:
            conditions.append("s.host = ?")
            params.append(shop)
        if ids is not None:
            # an id merged into another product (catalog migration 2) names the product it became
            conditions.append("(p.id IN (SELECT value FROM json_each(?)) OR p.id IN (SELECT product_id "
                              "FROM product_aliases WHERE old_id IN (SELECT value FROM json_each(?))))")
            params += [json.dumps([int(id_) for id_ in ids])] * 2
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        rows = self.db.execute(
            f"SELECT p.*, s.host, ({PURCHASABLE}) AS purchasable FROM products p "
            f"JOIN shops s ON s.id = p.shop_id {where} ORDER BY p.shop_id, p.id",
            params,
        ).fetchall()
        images = self._image_files([row["id"] for row in rows])
        variants = self._variants([row["id"] for row in rows])
        for row in rows:
            yield StoredProduct(
                id=row["id"], shop=row["host"], sku=row["sku"], url=row["url"], designer=row["designer"],
                title=row["title"], description=row["description"], category=row["category"],
                color=row["color"], price=row["price"], currency=row["currency"],
                available=bool(row["purchasable"]), first_seen=row["first_seen"], last_seen=row["last_seen"],
                images=[normalised for normalised, _ in images.get(row["id"], [])],
                originals=[original for _, original in images.get(row["id"], [])],
                variants=[replace(variant, available=variant.available and bool(row["purchasable"]))
                          for variant in variants.get(row["id"], [])],
                gtin=row["gtin"], mpn=row["mpn"],
            )

    def _image_files(self, product_ids: list[int]) -> dict[int, list[tuple[Path, Path]]]:
        """Each product's pictures in the shop's order, as (normalised copy, original)."""
        # One query for all products rather than one per product; the rows are filtered here.
        found: dict[int, list[tuple[Path, Path]]] = {}
        rows = self.db.execute(
            "SELECT pi.product_id, i.normalised, i.original FROM product_images pi "
            "JOIN images i ON i.sha256 = pi.sha256 ORDER BY pi.product_id, pi.position"
        )
        wanted = set(product_ids)
        for row in rows:
            if row["product_id"] in wanted:
                found.setdefault(row["product_id"], []).append((self.root / row["normalised"],
                                                                 self.root / row["original"]))
        return found

    def same_products(self) -> Matches:
        """Which stored products are the same product in different shops (catalog/matching.py), sold out or not:
        a product's twins do not change with its stock."""
        rows = self.db.execute("SELECT p.id, s.host, p.designer, p.title, p.gtin, p.mpn, p.color FROM products p "
                               "JOIN shops s ON s.id = p.shop_id").fetchall()
        hashes: dict[int, list[str]] = {}
        for product_id, phash in self.db.execute(
                "SELECT pi.product_id, i.phash FROM product_images pi JOIN images i ON i.sha256 = pi.sha256"):
            hashes.setdefault(product_id, []).append(phash)
        return match([Listing(row["id"], row["host"], row["designer"], row["title"], tuple(row["gtin"].split()),
                              row["mpn"], tuple(hashes.get(row["id"], ())), row["color"]) for row in rows])

    def _variants(self, product_ids: list[int]) -> dict[int, list[Variant]]:
        """Each product's variants in the shop's order, with the stock the latest complete crawl settled."""
        found: dict[int, list[Variant]] = {}
        rows = self.db.execute(
            "SELECT product_id, sku, size, color, price, currency, url, available FROM variants "
            "WHERE product_id IN (SELECT value FROM json_each(?)) ORDER BY product_id, position",
            (json.dumps(product_ids),))
        for row in rows:
            found.setdefault(row["product_id"], []).append(Variant(
                sku=row["sku"], size=row["size"], color=row["color"], available=bool(row["available"]),
                price=row["price"], currency=row["currency"], url=row["url"]))
        return found

    def stats_for(self, shop_id: int) -> dict:
        row = self.db.execute(
            f"SELECT COUNT(*), COALESCE(SUM({PURCHASABLE}), 0) FROM products p JOIN shops s "
            "ON s.id = p.shop_id WHERE p.shop_id = ?",
            (shop_id,),
        ).fetchone()
        return {"products": row[0], "purchasable": row[1]}

    def stats(self) -> list[dict]:
        """Per shop: its last complete crawl, its latest crawl, how many products and how many purchasable."""
        result = []
        for shop in self.shops():
            complete = self.db.execute(
                "SELECT finished_at FROM crawl_runs WHERE id = ?", (shop.last_complete_run_id,)
            ).fetchone()
            latest = self.db.execute(
                "SELECT status, started_at, finished_at, reason FROM crawl_runs WHERE shop_id = ? "
                "ORDER BY id DESC LIMIT 1",
                (shop.id,),
            ).fetchone()
            result.append({
                "shop": shop.host,
                "url": shop.root_url,
                "adapter": shop.adapter,
                "last_complete_crawl": complete["finished_at"] if complete else None,
                "latest_crawl": dict(latest) if latest else None,
                **self.stats_for(shop.id),
            })
        return result

    def updated_at(self) -> str | None:
        row = self.db.execute("SELECT MAX(finished_at) FROM crawl_runs WHERE status = 'complete'").fetchone()
        return row[0]


def _variant_rows(variants: list[Variant]) -> list[tuple]:
    return [(v.sku, v.size, v.color, v.price, v.currency, v.url, int(v.available)) for v in variants]


def _shop(row: sqlite3.Row | None) -> ShopRecord:
    if row is None:
        raise KeyError("no such shop")
    return ShopRecord(
        row["id"], row["host"], row["root_url"], row["adapter"], json.loads(row["settings"]),
        row["last_complete_run_id"],
    )
