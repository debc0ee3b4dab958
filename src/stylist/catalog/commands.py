"""`stylist catalog ...`: crawl, refresh, stats, list, export, forget."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from urllib.parse import urlsplit

import click

from stylist.catalog.crawl import CrawlOptions, CrawlReport, crawl_shops
from stylist.catalog.crawl_lock import crawl_lock
from stylist.catalog.export import export_dataset
from stylist.catalog.images import ImageStore
from stylist.catalog.pacing import SharedHostGate
from stylist.catalog.shops import ADAPTERS
from stylist.catalog.store import CatalogStore
from stylist.catalog.urls import host_of, shop_url
from stylist.errors import StylistError
from stylist.jobs.queue import CATALOG_USER, CRAWL, open_queue
from stylist.progress import progress_bars, wants_progress
from stylist.settings import Settings

# Crawl jobs the catalog may have queued or running at once: every shop's, with room for many shops.
MAX_QUEUED_CRAWLS = 10_000


def open_store(settings: Settings) -> CatalogStore:
    return CatalogStore(settings)


@click.group()
def catalog() -> None:
    """Crawl shops and keep a catalog of products that can be bought now."""


@catalog.command()
@click.argument("urls", nargs=-1, required=True)
@click.option("--adapter", type=click.Choice(["auto", *ADAPTERS]), default="auto", show_default=True,
              help="How to read products; auto detects Shopify and Luisaviaroma, else schema.org data.")
@click.option("--max-pages", type=click.IntRange(min=1),
              help="Stop after this many pages, to try a shop: the crawl then marks nothing unavailable, and refresh does not keep the limit.")
@click.option("--concurrency", type=click.IntRange(min=1, max=64), default=8, show_default=True,
              help="Requests in flight at once (the per-host delay still applies).")
@click.option("--delay", type=click.FloatRange(min=0), default=0.5, show_default=True, help="Seconds between requests to one host.")
@click.option("--render", is_flag=True, help="Load pages in headless Chromium, for shops that build pages with JavaScript.")
@click.option("--trust-lastmod", is_flag=True,
              help="On later crawls and refreshes, do not ask pages whose sitemap lastmod has not changed "
                   "(for shops whose sitemaps are kept honest); otherwise every known page is asked conditionally.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per shop.")
@click.pass_obj
def crawl(settings: Settings, urls, adapter, max_pages, concurrency, delay, render, trust_lastmod, as_json) -> int:
    """Crawl each shop from its URL and update the catalog.

    The whole host of each URL is crawled (its robots.txt, sitemaps and links), whatever page the URL names.
    A shop crawled before is asked page by page whether anything changed, so unchanged pages cost little.
    """
    urls = [shop_url(url) for url in urls]
    options = CrawlOptions(adapter=adapter, max_pages=max_pages, concurrency=concurrency, delay=delay, render=render,
                           trust_lastmod=trust_lastmod)
    return _run_crawls(settings, [(url, options) for url in urls], as_json)


@catalog.command()
@click.option("--jobs", "as_jobs", is_flag=True,
              help="Queue one crawl job per shop for the workers, and return (never two crawls of a shop at once).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per shop.")
@click.pass_obj
def refresh(settings: Settings, as_jobs: bool, as_json: bool) -> int:
    """Re-crawl every shop crawled before, with the settings it was crawled with (for cron).

    Pages are asked conditionally (ETag, Last-Modified): each shop's line says how many were unchanged and
    how many bytes were fetched. With --jobs the crawls run on the workers instead of in this process.
    """
    with open_store(settings) as store:
        shops = store.shops()
    if not shops:
        raise StylistError("no shop has been crawled yet; run `stylist catalog crawl URL` first")
    known = set(CrawlOptions.__dataclass_fields__)
    jobs = [(shop.root_url, CrawlOptions(**{k: v for k, v in shop.settings.items() if k in known})) for shop in shops]
    if as_jobs:
        return _queue_crawls(settings, jobs, as_json)
    return _run_crawls(settings, jobs, as_json)


def crawl_shop(settings: Settings, url: str, options: CrawlOptions, on_progress=None) -> CrawlReport:
    """Crawl one shop into the settings' catalog: what `catalog crawl`, `refresh` and a crawl job run.

    Its requests to each host take their turns with every other crawl's on the same database (pacing.py),
    so crawls on several workers, and shops on one CDN host, stay as polite as one crawl. A shop another
    crawl holds (crawl_lock.py) is refused at once.
    """
    with open_store(settings) as store, crawl_lock(settings, store.engine, host_of(shop_url(url))):
        gate = SharedHostGate(store.engine, options.delay)
        images = ImageStore(settings.images_dir)
        return asyncio.run(crawl_shops([url], store, images, options, on_progress, gate))[0]


def _queue_crawls(settings: Settings, jobs: list[tuple[str, CrawlOptions]], as_json: bool) -> int:
    queue = open_queue(settings)
    try:
        for url, options in jobs:
            # One lock per shop: a shop is never crawled twice at once, fleet-wide, and a refresh asked while
            # its crawl still waits in the queue finds that job rather than queueing another.
            job = queue.submit(CRAWL, CATALOG_USER, {"url": url, "options": asdict(options)},
                               max_open=MAX_QUEUED_CRAWLS, lock=f"crawl:{urlsplit(url).netloc}")
            click.echo(json.dumps({"shop": url, "job_id": job.id, "status": job.status}) if as_json
                       else f"{url}: crawl job {job.id} {job.status}")
    finally:
        queue.close()
    return 0


def _run_crawls(settings: Settings, jobs: list[tuple[str, CrawlOptions]], as_json: bool) -> int:
    failed = 0
    for url, options in jobs:
        with progress_bars(wants_progress(as_json), url) as on_progress:
            try:
                report = crawl_shop(settings, url, options, on_progress)
            except StylistError as exc:  # this shop cannot be crawled now; the others still can
                click.echo(f"error: {exc}", err=True)
                failed += 1
                continue
        click.echo(json.dumps(report.to_json()) if as_json else report.summary())
        if not report.complete and not report.stopped_by_user_limit:
            click.echo(f"error: {report.shop}: the crawl did not complete: {report.reason}", err=True)
            failed += 1
    return 1 if failed else 0


@catalog.command()
@click.argument("shop")
@click.pass_obj
def forget(settings: Settings, shop: str) -> None:
    """Remove SHOP (its host, as `catalog stats` shows it) with its products, so refresh no longer crawls it."""
    with open_store(settings) as store:
        try:
            removed = store.forget_shop(shop)
        except KeyError:
            known = ", ".join(record.host for record in store.shops()) or "none"
            raise StylistError(f"no shop {shop!r} in the catalog (shops: {known})") from None
    click.echo(f"forgot {shop} and its {removed} products")


@catalog.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object: {\"shops\": [...]}.")
@click.pass_obj
def stats(settings: Settings, as_json: bool) -> None:
    """Per shop: the last complete crawl, products, and how many are purchasable."""
    with open_store(settings) as store:
        rows = store.stats()
    if as_json:
        click.echo(json.dumps({"shops": rows}))
        return
    if not rows:
        click.echo("no shops yet; run `stylist catalog crawl URL`")
    for row in rows:
        latest = row["latest_crawl"] or {}
        status = latest.get("status")
        if status == "running":
            note = f" (a crawl is running since {latest['started_at']})"
        elif status in ("incomplete", "aborted"):
            note = f" (latest crawl {status}: {latest.get('reason')})"
        else:
            note = ""
        click.echo(
            f"{row['shop']}: {row['purchasable']} purchasable of {row['products']} products, "
            f"last complete crawl {row['last_complete_crawl'] or 'never'}{note}"
        )


@catalog.command(name="list")
@click.option("--all", "include_all", is_flag=True, help="Also list products that are not purchasable now.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
def list_products(settings: Settings, include_all: bool, as_json: bool) -> None:
    """Purchasable products (seen in their shop's latest complete crawl, in stock), with the sizes in stock;
    with --json, each with its variants and `same_as`, the ids of the same product in other shops."""
    with open_store(settings) as store:
        twins = store.same_products() if as_json else None
        for product in store.products(include_unavailable=include_all):
            if as_json:
                record = {**product.to_json(), "same_as": twins.same_as(product.id)}
                click.echo(json.dumps(record, ensure_ascii=False))
            else:
                price = f"{product.price:.2f} {product.currency}" if product.price is not None else "no price"
                mark = "" if product.available else "  [not purchasable]"
                sizes = [variant.size for variant in product.variants if variant.size and variant.available]
                stocked = f"\tsizes {', '.join(dict.fromkeys(sizes))}" if sizes else ""
                click.echo(f"{product.id}\t{product.designer} {product.title}\t{price}\t{product.url}{stocked}{mark}")


@catalog.command()
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--max-images", type=click.IntRange(min=1), default=5, show_default=True, help="Images per product.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: out_dir, products, images.")
@click.pass_obj
def export(settings: Settings, out_dir: str, max_images: int, as_json: bool) -> None:
    """Write an image–text dataset: a folder per purchasable product and metadata.jsonl."""
    with open_store(settings) as store:
        report = export_dataset(store, out_dir, max_images)
    if as_json:
        click.echo(json.dumps({"out_dir": str(report.out_dir), "products": report.products, "images": report.images,
                               "skipped_without_images": report.skipped_without_images}))
    else:
        click.echo(report.summary())
