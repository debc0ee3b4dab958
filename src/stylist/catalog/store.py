"""The catalog database: shops, crawl runs, products with their offers' history, and their images.

A product is *purchasable* when its offer was in stock in the latest complete crawl of its shop and it
was seen in that crawl. Crawls write what they observe as they go (each product in its own transaction),
and only `finish_run(complete=True)` turns observations into availability, so a crawl that dies half way
makes nothing less available.

The records live in catalog.db in the data dir, or in the PostgreSQL database of `--database`
(stylist.databases); the statements are SQLAlchemy Core on the tables of tables.py and run on both. Image
files stay on disk in the data dir, their paths stored relative to it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import Connection, Row, and_, case, delete, exc, func, insert, or_, select, update

from stylist.catalog import vocabulary
from stylist.catalog.images import StoredImage
from stylist.catalog.matching import Listing, Matches, match
from stylist.catalog.products import ExtractedProduct, RememberedPage, StoredProduct, Variant
from stylist.catalog.schema import MIGRATIONS, statements
from stylist.catalog.tables import (
    crawl_runs,
    image_sources,
    images,
    offers,
    pages,
    product_aliases,
    product_images,
    products,
    shops,
    variants,
)
from stylist.catalog.urls import canonical
from stylist.databases import engine_for, insert_or_update, migrate, reading, writing
from stylist.errors import StylistError
from stylist.files import data_relative
from stylist.records import utc_now
from stylist.settings import Settings, redacted

# The Alembic revision that matches a catalog.db brought to the last of schema.py's migrations.
BASELINE = "catalog_0001"
# Values bound in one IN (...) at most: SQLite's older builds allow 999 variables in a statement.
CHUNK = 900

PURCHASABLE = and_(products.c.available == 1, products.c.complete_run_id.is_not(None),
                   products.c.complete_run_id == shops.c.last_complete_run_id)


def has_catalog(settings: Settings) -> bool:
    """Whether there is a catalog to read: a PostgreSQL database always is one, a data dir once catalog.db is there."""
    return settings.on_postgres or settings.catalog_db.exists()


@dataclass
class ShopRecord:
    id: int
    host: str
    root_url: str
    adapter: str
    settings: dict
    last_complete_run_id: int | None


class CatalogStore:
    def __init__(self, settings: Settings):
        # Image paths are stored relative to the data directory so the directory can be moved.
        self.root = settings.data_dir
        self.images_root = settings.images_dir
        where = redacted(settings.database) if settings.database else str(settings.catalog_db)
        try:
            self.engine = engine_for(settings, "catalog")
            migrate(self.engine, "catalog", adopt=_adopt_sqlite_catalog)
        except exc.DBAPIError as error:
            raise StylistError(f"cannot use the catalog database {where}: {error.orig}") from error

    def close(self) -> None:
        """Nothing to release: each call takes a connection from the process's pool and gives it back."""

    def __enter__(self) -> CatalogStore:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- shops and runs -------------------------------------------------------------------------

    def register_shop(self, host: str, root_url: str, adapter: str, settings: dict) -> ShopRecord:
        """Create or update the shop's record with the settings of its latest crawl (refresh reuses them)."""
        with writing(self.engine) as db:
            statement = insert_or_update(db, shops).values(
                host=host, root_url=root_url, adapter=adapter, settings=json.dumps(settings, sort_keys=True),
                created_at=utc_now())
            db.execute(statement.on_conflict_do_update(index_elements=[shops.c.host], set_={
                "root_url": statement.excluded.root_url, "adapter": statement.excluded.adapter,
                "settings": statement.excluded.settings}))
        return self.shop(host)

    def shop(self, host: str) -> ShopRecord:
        return _shop(self._shop_row(host))

    def find_shop(self, host: str) -> ShopRecord | None:
        row = self._shop_row(host)
        return _shop(row) if row else None

    def _shop_row(self, host: str) -> Row | None:
        with reading(self.engine) as db:
            return db.execute(select(shops).where(shops.c.host == host)).first()

    def forget_shop(self, host: str) -> int:
        """Remove a shop with its crawl runs, products and price history; returns how many products went.

        Image files stay: they are shared by content and cost nothing to keep for another shop.
        """
        shop = self.find_shop(host)
        if shop is None:
            raise KeyError(host)
        with writing(self.engine) as db:
            count = db.execute(select(func.count()).select_from(products).where(products.c.shop_id == shop.id)).scalar_one()
            db.execute(delete(shops).where(shops.c.id == shop.id))
        return count

    def shops(self) -> list[ShopRecord]:
        with reading(self.engine) as db:
            return [_shop(row) for row in db.execute(select(shops).order_by(shops.c.id))]

    def start_run(self, shop_id: int) -> int:
        with writing(self.engine) as db:
            # A run still 'running' belongs to a process that died: it never completed, so it marks nothing.
            db.execute(update(crawl_runs).where(crawl_runs.c.shop_id == shop_id, crawl_runs.c.status == "running")
                       .values(status="aborted", finished_at=utc_now(), reason="the crawl process stopped"))
            return db.execute(insert(crawl_runs).values(shop_id=shop_id, started_at=utc_now(), status="running")
                              .returning(crawl_runs.c.id)).scalar_one()

    def finish_run(
        self, run_id: int, *, complete: bool, stats: dict, reason: str = "", kept_urls: Sequence[str] = ()
    ) -> int:
        """Close the run. A complete run settles availability; returns how many products stopped being purchasable.

        `kept_urls` are the pages that got no answer in a run tolerated as complete: the products behind
        them keep their state rather than being taken for gone.
        """
        with writing(self.engine) as db:
            shop_id, previous = db.execute(
                select(crawl_runs.c.shop_id, shops.c.last_complete_run_id)
                .join(shops, shops.c.id == crawl_runs.c.shop_id).where(crawl_runs.c.id == run_id)).one()
            now_unavailable = 0
            if complete:
                before = _purchasable_ids(db, shop_id)
                db.execute(update(products)
                           .where(products.c.shop_id == shop_id, products.c.last_seen_run_id == run_id)
                           .values(available=products.c.observed_available, complete_run_id=run_id))
                # Sizes this run saw settle, and a product whose sizes it saw loses those it no longer lists. A
                # sighting without sizes (a teaser of the product on another page, a page whose picker did not
                # load) says nothing about them, so its product keeps the sizes it had.
                listed = select(variants.c.product_id).where(variants.c.last_seen_run_id == run_id).distinct()
                db.execute(delete(variants).where(variants.c.product_id.in_(listed),
                                                  variants.c.last_seen_run_id != run_id))
                db.execute(update(variants).where(variants.c.last_seen_run_id == run_id)
                           .values(available=variants.c.observed_available))
                kept = set(kept_urls)
                unseen = db.execute(select(products.c.id, products.c.url).where(
                    products.c.shop_id == shop_id, products.c.last_seen_run_id != run_id,
                    products.c.complete_run_id.is_not_distinct_from(previous))).all()
                kept_ids = [row.id for row in unseen if canonical(row.url) in kept]
                for chunk in _chunks(kept_ids):
                    db.execute(update(products).where(products.c.id.in_(chunk)).values(complete_run_id=run_id))
                db.execute(update(shops).where(shops.c.id == shop_id).values(last_complete_run_id=run_id))
                now_unavailable = len(before - _purchasable_ids(db, shop_id))
                stats = {**stats, "unavailable": now_unavailable}
            db.execute(update(crawl_runs).where(crawl_runs.c.id == run_id).values(
                status="complete" if complete else "incomplete", finished_at=utc_now(), reason=reason,
                stats=json.dumps(stats)))
        # The words a query's typos are matched against follow what the crawl stored (on PostgreSQL; FTS5
        # keeps SQLite's itself), apart from its transaction so that availability is settled first.
        with writing(self.engine) as db:
            vocabulary.refresh(db)
        return now_unavailable

    # --- pages, for conditional refreshes --------------------------------------------------------

    def remembered_pages(self, shop_id: int) -> dict[str, RememberedPage]:
        """Every page of the shop as its latest fetch left it, by the URL the crawl asked for."""
        with reading(self.engine) as db:
            rows = db.execute(select(pages).where(pages.c.shop_id == shop_id)).all()
        return {
            row.url: RememberedPage(
                row.url, row.final_url, row.etag, row.last_modified, row.lastmod, row.fetched_at,
                json.loads(row.skus), [tuple(link) for link in json.loads(row.links)],
            )
            for row in rows
        }

    def remember_page(self, shop_id: int, run_id: int, page: RememberedPage) -> None:
        changed = ("final_url", "etag", "last_modified", "lastmod", "fetched_at", "run_id", "skus", "links")
        with writing(self.engine) as db:
            statement = insert_or_update(db, pages).values(
                shop_id=shop_id, url=page.url, final_url=page.final_url, etag=page.etag,
                last_modified=page.last_modified, lastmod=page.lastmod, fetched_at=page.fetched_at or utc_now(),
                run_id=run_id, skus=json.dumps(page.skus), links=json.dumps(page.links))
            db.execute(statement.on_conflict_do_update(
                index_elements=[pages.c.shop_id, pages.c.url],
                set_={name: statement.excluded[name] for name in changed}))

    def forget_pages_not_visited(self, shop_id: int, run_id: int, kept_urls: Iterable[str] = ()) -> None:
        """After a complete run: pages it did not reach are no longer part of the shop (`kept_urls` got no
        answer, and stay)."""
        kept = set(kept_urls)
        with writing(self.engine) as db:
            stale = [url for url in db.scalars(select(pages.c.url).where(
                pages.c.shop_id == shop_id, pages.c.run_id != run_id)) if url not in kept]
            for chunk in _chunks(stale):
                db.execute(delete(pages).where(pages.c.shop_id == shop_id, pages.c.url.in_(chunk)))

    def product_skus(self, shop_id: int) -> set[str]:
        with reading(self.engine) as db:
            return set(db.scalars(select(products.c.sku).where(products.c.shop_id == shop_id)))

    def mark_seen(self, shop_id: int, run_id: int, skus: Iterable[str]) -> int:
        """Count products as seen by this run without a new observation: their page did not change.

        What was observed of them last time stands, so `finish_run(complete=True)` settles them (and keeps
        their variants) as it does a product `upsert_product` found unchanged. Returns how many were marked.
        """
        stamp = utc_now()
        marked = 0
        with writing(self.engine) as db:
            for chunk in _chunks(list(skus)):
                ids = list(db.scalars(select(products.c.id).where(
                    products.c.shop_id == shop_id, products.c.last_seen_run_id != run_id, products.c.sku.in_(chunk))))
                if ids:
                    db.execute(update(products).where(products.c.id.in_(ids))
                               .values(last_seen=stamp, last_seen_run_id=run_id))
                    db.execute(update(variants).where(variants.c.product_id.in_(ids)).values(last_seen_run_id=run_id))
                marked += len(ids)
        return marked

    # --- images ---------------------------------------------------------------------------------

    def image_for_url(self, url: str) -> StoredImage | None:
        """The image already fetched from `url`, if its files are still there, so it is not downloaded again."""
        with reading(self.engine) as db:
            row = db.execute(select(images).join(image_sources, image_sources.c.sha256 == images.c.sha256)
                             .where(image_sources.c.url == url)).first()
        if row is None:
            return None
        image = StoredImage(row.sha256, row.width, row.height, row.phash, self.root / row.original,
                            self.root / row.normalised)
        return image if image.original.exists() and image.normalised.exists() else None

    def remember_image(self, url: str, image: StoredImage) -> None:
        with writing(self.engine) as db:
            self._insert_image(db, image)
            statement = insert_or_update(db, image_sources).values(url=url, sha256=image.sha256,
                                                                   fetched_at=utc_now())
            db.execute(statement.on_conflict_do_update(index_elements=[image_sources.c.url], set_={
                "sha256": statement.excluded.sha256, "fetched_at": statement.excluded.fetched_at}))

    def _insert_image(self, db: Connection, image: StoredImage) -> None:
        db.execute(insert_or_update(db, images).values(
            sha256=image.sha256, width=image.width, height=image.height, phash=image.phash,
            original=self._relative(image.original), normalised=self._relative(image.normalised),
            created_at=utc_now()).on_conflict_do_nothing(index_elements=[images.c.sha256]))

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
        with writing(self.engine) as db:
            row = db.execute(select(products).where(products.c.shop_id == shop_id,
                                                    products.c.sku == product.sku)).first()
            if row is None:
                row = _adopt(db, shop_id, run_id, product)
            if row is not None and row.last_seen_run_id == run_id:
                # another page led to a product already stored in this run; its sizes count if the first
                # sighting had none (a product first met as a teaser elsewhere)
                if product.variants and not db.execute(select(variants.c.key).where(
    variants.c.product_id == row.id, variants.c.last_seen_run_id == run_id)).first():
                    self._observe_variants(db, row.id, run_id, product.variants)
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
                product_id = db.execute(insert(products).values(
                    **fields, shop_id=shop_id, sku=product.sku, first_seen=stamp, last_seen=stamp,
                    last_seen_run_id=run_id).returning(products.c.id)).scalar_one()
            else:
                product_id = row.id
                old_images = [tuple(r) for r in db.execute(
                    select(product_images.c.position, product_images.c.sha256, product_images.c.source_url)
                    .where(product_images.c.product_id == product_id).order_by(product_images.c.position))]
                new_sizes = bool(product.variants) and _variant_rows_of(db, product_id) != _variant_rows(product.variants)
                changed = (any(getattr(row, key) != value for key, value in fields.items())
                           or old_images != image_rows or new_sizes)
                outcome = "updated" if changed else "unchanged"
                db.execute(update(products).where(products.c.id == product_id)
                           .values(**fields, last_seen=stamp, last_seen_run_id=run_id))
            _record_offer(db, product_id, run_id, product, stamp)
            self._observe_variants(db, product_id, run_id, product.variants)
            # In one order for every crawl: two storing the same images (resellers of one brand's photos) in
            # their pages' orders would each hold a row the other waits for, which PostgreSQL ends as a deadlock.
            for image in sorted((image for _, image in images), key=lambda image: image.sha256):
                self._insert_image(db, image)
            db.execute(delete(product_images).where(product_images.c.product_id == product_id))
            if image_rows:
                db.execute(insert(product_images), [
                    {"product_id": product_id, "position": position, "sha256": sha256, "source_url": url}
                    for position, sha256, url in image_rows])
        return outcome

    def _observe_variants(self, db: Connection, product_id: int, run_id: int, observed: list[Variant]) -> None:
        """What this crawl saw of the product's variants; their settled stock changes only in `finish_run`."""
        for position, variant in enumerate(observed):
            statement = insert_or_update(db, variants).values(
                product_id=product_id, key=variant.key(), position=position, sku=variant.sku, size=variant.size,
                color=variant.color, price=variant.price, currency=variant.currency, url=variant.url,
                observed_available=int(variant.available), last_seen_run_id=run_id)
            changed = ("position", "sku", "size", "color", "price", "currency", "url", "observed_available",
                       "last_seen_run_id")
            db.execute(statement.on_conflict_do_update(
                index_elements=[variants.c.product_id, variants.c.key],
                set_={name: statement.excluded[name] for name in changed}))

    def price_history(self, product_id: int) -> list[dict]:
        with reading(self.engine) as db:
            rows = db.execute(select(offers.c.price, offers.c.currency, offers.c.available, offers.c.observed_at)
                              .where(offers.c.product_id == product_id).order_by(offers.c.id))
            return [dict(row._mapping) for row in rows]

    def products(self, *, include_unavailable: bool = False, shop: str | None = None,
                 ids: Iterable[int] | None = None) -> Iterator[StoredProduct]:
        """Purchasable products (or all with include_unavailable), newest shop first, then by id; only `ids` if given."""
        query = (select(products, shops.c.host, case((PURCHASABLE, 1), else_=0).label("purchasable"))
                 .join(shops, shops.c.id == products.c.shop_id).order_by(products.c.shop_id, products.c.id))
        if not include_unavailable:
            query = query.where(PURCHASABLE)
        if shop:
            query = query.where(shops.c.host == shop)
        with reading(self.engine) as db:
            if ids is None:
                rows = db.execute(query).all()
            else:
                # an id merged into another product (schema.py's migration 2) names the product it became
                rows = []
                for chunk in _chunks(sorted({int(id_) for id_ in ids})):
                    aliased = select(product_aliases.c.product_id).where(product_aliases.c.old_id.in_(chunk))
                    rows += db.execute(query.where(or_(products.c.id.in_(chunk), products.c.id.in_(aliased)))).all()
                rows = sorted({row.id: row for row in rows}.values(), key=lambda row: (row.shop_id, row.id))
            product_ids = [row.id for row in rows]
            pictures = self._image_files(db, product_ids)
            sizes = _variants(db, product_ids)
        for row in rows:
            yield StoredProduct(
                id=row.id, shop=row.host, sku=row.sku, url=row.url, designer=row.designer,
                title=row.title, description=row.description, category=row.category,
                color=row.color, price=row.price, currency=row.currency,
                available=bool(row.purchasable), first_seen=row.first_seen, last_seen=row.last_seen,
                images=[normalised for normalised, _ in pictures.get(row.id, [])],
                originals=[original for _, original in pictures.get(row.id, [])],
                variants=[replace(variant, available=variant.available and bool(row.purchasable))
                          for variant in sizes.get(row.id, [])],
                gtin=row.gtin, mpn=row.mpn,
            )

    def _image_files(self, db: Connection, product_ids: list[int]) -> dict[int, list[tuple[Path, Path]]]:
        """Each product's pictures in the shop's order, as (normalised copy, original)."""
        # One query for all products rather than one per product; the rows are filtered here.
        found: dict[int, list[tuple[Path, Path]]] = {}
        rows = db.execute(select(product_images.c.product_id, images.c.normalised, images.c.original)
                          .join(images, images.c.sha256 == product_images.c.sha256)
                          .order_by(product_images.c.product_id, product_images.c.position))
        wanted = set(product_ids)
        for row in rows:
            if row.product_id in wanted:
                found.setdefault(row.product_id, []).append((self.root / row.normalised, self.root / row.original))
        return found

    def same_products(self) -> Matches:
        """Which stored products are the same product in different shops (catalog/matching.py), sold out or not:
        a product's twins do not change with its stock."""
        with reading(self.engine) as db:
            rows = db.execute(select(products.c.id, shops.c.host, products.c.designer, products.c.title,
                                     products.c.gtin, products.c.mpn, products.c.color)
                              .join(shops, shops.c.id == products.c.shop_id)).all()
            hashes: dict[int, list[str]] = {}
            for product_id, phash in db.execute(select(product_images.c.product_id, images.c.phash)
                                                .join(images, images.c.sha256 == product_images.c.sha256)):
                hashes.setdefault(product_id, []).append(phash)
        return match([Listing(row.id, row.host, row.designer, row.title, tuple(row.gtin.split()),
                              row.mpn, tuple(hashes.get(row.id, ())), row.color) for row in rows])

    def stats_for(self, shop_id: int) -> dict:
        with reading(self.engine) as db:
            return _stats_for(db, shop_id)

    def stats(self) -> list[dict]:
        """Per shop: its last complete crawl, its latest crawl, how many products and how many purchasable."""
        result = []
        with reading(self.engine) as db:
            for shop in self.shops():
                complete = db.scalar(select(crawl_runs.c.finished_at)
                                     .where(crawl_runs.c.id == shop.last_complete_run_id))
                latest = db.execute(select(crawl_runs.c.status, crawl_runs.c.started_at, crawl_runs.c.finished_at,
                                           crawl_runs.c.reason).where(crawl_runs.c.shop_id == shop.id)
                                    .order_by(crawl_runs.c.id.desc()).limit(1)).first()
                result.append({
                    "shop": shop.host,
                    "url": shop.root_url,
                    "adapter": shop.adapter,
                    "last_complete_crawl": complete,
                    "latest_crawl": dict(latest._mapping) if latest else None,
                    **_stats_for(db, shop.id),
                })
        return result

    def updated_at(self) -> str | None:
        with reading(self.engine) as db:
            return db.scalar(select(func.max(crawl_runs.c.finished_at)).where(crawl_runs.c.status == "complete"))


def _adopt(db: Connection, shop_id: int, run_id: int, product: ExtractedProduct) -> Row | None:
    """The product stored before under another SKU for the same page and name, now under the new SKU.

    SKUs change meaning when the rules do (sizes merged into their garment, a page's identity standing
    in for a missing SKU); the product, its history and the looks that name it stay the same.
    """
    found = db.scalar(select(products.c.id).where(
        products.c.shop_id == shop_id, products.c.url == product.url,
        func.lower(func.trim(products.c.title)) == func.lower(func.trim(product.title)),
        products.c.last_seen_run_id != run_id).order_by(products.c.id).limit(1))
    if found is None:
        return None
    db.execute(update(products).where(products.c.id == found).values(sku=product.sku))
    return db.execute(select(products).where(products.c.id == found)).one()


def _record_offer(db: Connection, product_id: int, run_id: int, product: ExtractedProduct, stamp: str) -> None:
    """Price history: a row whenever price, currency or stock differ from the last one."""
    last = db.execute(select(offers.c.price, offers.c.currency, offers.c.available)
                      .where(offers.c.product_id == product_id).order_by(offers.c.id.desc()).limit(1)).first()
    current = (product.price, product.currency, int(product.available))
    if last is None or tuple(last) != current:
        db.execute(insert(offers).values(product_id=product_id, run_id=run_id, price=product.price,
                                         currency=product.currency, available=int(product.available),
                                         observed_at=stamp))


def _variant_rows_of(db: Connection, product_id: int) -> list[tuple]:
    rows = db.execute(select(variants.c.sku, variants.c.size, variants.c.color, variants.c.price, variants.c.currency,
                             variants.c.url, variants.c.observed_available)
                      .where(variants.c.product_id == product_id).order_by(variants.c.position))
    return [tuple(row) for row in rows]


def _variant_rows(observed: list[Variant]) -> list[tuple]:
    return [(v.sku, v.size, v.color, v.price, v.currency, v.url, int(v.available)) for v in observed]


def _variants(db: Connection, product_ids: list[int]) -> dict[int, list[Variant]]:
    """Each product's variants in the shop's order, with the stock the latest complete crawl settled."""
    found: dict[int, list[Variant]] = {}
    for chunk in _chunks(product_ids):
        rows = db.execute(select(variants).where(variants.c.product_id.in_(chunk))
                          .order_by(variants.c.product_id, variants.c.position))
        for row in rows:
            found.setdefault(row.product_id, []).append(Variant(
                sku=row.sku, size=row.size, color=row.color, available=bool(row.available),
                price=row.price, currency=row.currency, url=row.url))
    return found


def _purchasable_ids(db: Connection, shop_id: int) -> set[int]:
    return set(db.scalars(select(products.c.id).join(shops, shops.c.id == products.c.shop_id)
                          .where(products.c.shop_id == shop_id, PURCHASABLE)))


def _stats_for(db: Connection, shop_id: int) -> dict:
    count, purchasable = db.execute(
        select(func.count(), func.coalesce(func.sum(case((PURCHASABLE, 1), else_=0)), 0))
        .select_from(products).join(shops, shops.c.id == products.c.shop_id)
        .where(products.c.shop_id == shop_id)).one()
    return {"products": count, "purchasable": purchasable}


def _chunks(values: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _shop(row: Row | None) -> ShopRecord:
    if row is None:
        raise KeyError("no such shop")
    return ShopRecord(row.id, row.host, row.root_url, row.adapter, json.loads(row.settings), row.last_complete_run_id)


def _adopt_sqlite_catalog(db: Connection) -> str | None:
    """A catalog.db from before Alembic (its version in PRAGMA user_version) is brought to the last of schema.py's
    migrations as it always was, then stamped with the baseline it now matches; None for a new database."""
    if db.dialect.name != "sqlite":
        return None
    version = db.exec_driver_sql("PRAGMA user_version").scalar()
    if not version:
        return None
    for script in MIGRATIONS[version:]:
        for statement in statements(script):
            db.exec_driver_sql(statement)
    db.exec_driver_sql(f"PRAGMA user_version = {len(MIGRATIONS)}")
    return BASELINE
