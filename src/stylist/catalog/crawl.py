"""Crawl one shop: robots.txt, sitemaps, links within the host, adapters to read products, images, the store.

Fetching (fetch.py), extracting (shops/) and storing (store.py, images.py) are separate stages; this
module only decides what to visit and when a crawl counts as complete.

A crawl of a shop crawled before is a refresh, and costs little where nothing changed. Every page the
store remembers (products.RememberedPage) is asked conditionally, with the ETag and Last-Modified of its
last answer. A 304 Not Modified counts as seen: the products the page yielded last time are marked seen
by this run with what was observed of them then, and the links it yielded are followed, so the products
behind an unchanged listing page are still reached. A page is asked in full, without validators, when
the store lost a product it yielded (never trust a 304 for what is not there), when its product data was
broken or one of its products' images could not be fetched (so the report counts them again and the
images are tried again), and when it is one of the adapter's seeds (the adapter learns from those). A
304 to a request that carried no validators says nothing; the page is asked once more, past caches.
With `trust_lastmod`, a page whose sitemap lastmod is the one it had when the page was last fetched is
not asked at all and counts as unchanged: off by default, because shops' lastmod is not always kept
honest and a product's stock is what a refresh is for. Images already stored are never fetched again.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import re
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from protego import Protego

from stylist.catalog.fetch import ROBOTS_TOKEN, Fetcher, FetchFailed, HostGate, Response, user_agent
from stylist.catalog.image_fetch import ImageFetcher
from stylist.catalog.images import ImageStore, StoredImage
from stylist.catalog.products import ExtractedProduct, Extraction, Page, RememberedPage
from stylist.catalog.render import Renderer
from stylist.catalog.shops import detect_adapter, make_adapter
from stylist.catalog.shops.base import Adapter
from stylist.catalog.sitemaps import parse_sitemap
from stylist.catalog.store import CatalogStore
from stylist.catalog.urls import canonical, host_of, in_scope, page_links, shop_url
from stylist.errors import StylistError
from stylist.imaging import is_near_duplicate
from stylist.progress import Progress, ProgressCallback, ignore
from stylist.records import utc_now

HTML_TYPES = ("text/html", "application/xhtml+xml")
JSON_TYPES = ("application/json", "application/ld+json", "text/json")


@dataclass
class CrawlOptions:
    adapter: str = "auto"
    max_pages: int | None = None
    concurrency: int = 8
    delay: float = 0.5  # seconds between two requests to the same host
    render: bool = False
    retries: int = 3
    timeout: float = 20.0
    max_images: int = 8  # per product; shops list a dozen zooms of the same picture
    # Images have their own request slots and shorter limits than pages (see image_fetch.py).
    image_concurrency: int = 8
    image_retries: int = 1
    image_timeout: float = 8.0
    image_workers: bool = True  # normalise in a process pool (False: in a thread, for small crawls and tests)
    # Do not ask pages whose sitemap lastmod has not moved since they were fetched (see the module's docstring).
    trust_lastmod: bool = False

    def settings(self) -> dict:
        """What `catalog refresh` needs to crawl the shop the same way again.

        A page limit is left out: it is a one-off for trying a shop, and a refresh must be able to complete.
        """
        return {key: value for key, value in asdict(self).items() if key != "max_pages"}


@dataclass
class CrawlReport:
    shop: str
    url: str
    adapter: str = ""
    complete: bool = False
    reason: str = ""
    pages: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    unavailable: int = 0
    images: int = 0  # newly stored image files
    dead_links: int = 0  # 4xx answers
    failed_pages: int = 0  # no definite answer after retries
    broken: int = 0  # product data found but unusable
    not_products: int = 0  # pages without product data (category pages, about pages)
    images_rejected: int = 0  # failed downloads and files that are not good images
    images_skipped: int = 0  # not asked again: the URL failed before, or its host stopped answering
    unchanged_pages: int = 0  # answered 304 Not Modified, or not asked because their sitemap lastmod stood still
    not_asked: int = 0  # of the unchanged pages, those not asked (trust_lastmod)
    requests: int = 0  # HTTP requests, pages and images, retries included
    bytes_fetched: int = 0  # received over the wire (status lines, headers, bodies), pages and images
    image_hosts_down: list[str] = field(default_factory=list)  # hosts whose circuit breaker opened
    profile: dict[str, float] = field(default_factory=dict)  # seconds spent per stage: fetch, parse, images, store
    missing: dict[str, int] = field(default_factory=dict)  # what broken product records lacked, by field
    failed_urls: list[str] = field(default_factory=list, repr=False)

    @property
    def errors(self) -> int:
        return self.dead_links + self.failed_pages + self.broken + self.images_rejected

    @property
    def stopped_by_user_limit(self) -> bool:
        return not self.complete and self.reason.startswith("stopped at --max-pages")

    def summary(self) -> str:
        state = "complete crawl" if self.complete else f"INCOMPLETE crawl ({self.reason})"
        return (
            f"{self.shop}: {state}: {self.pages} pages, products {self.new} new / {self.updated} updated / "
            f"{self.unchanged} unchanged / {self.unavailable} now unavailable, {self.images} images stored, "
            f"errors: {self.errors} (dead links {self.dead_links}, unanswered pages {self.failed_pages}, "
            f"broken product data {self.broken}, rejected images {self.images_rejected}), "
            f"pages without product data: {self.not_products}; {self.unchanged_pages} pages unchanged"
            f"{f' ({self.not_asked} not asked)' if self.not_asked else ''}, {self.requests} requests, "
            f"{_size(self.bytes_fetched)} fetched"
        )

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("failed_urls")
        data["errors"] = self.errors
        return data


def _size(count: int) -> str:
    for unit in ("bytes", "kB", "MB"):
        if count < 1000:
            return f"{count} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} GB"


def tolerated_failures(attempted: int) -> int:
    """How many pages may stay unanswered in a complete crawl: a few, never a large share."""
    return max(min(3, attempted // 4), attempted // 20)


class ShopCrawl:
    def __init__(
        self,
        root_url: str,
        store: CatalogStore,
        images: ImageStore,
        options: CrawlOptions,
        on_progress: ProgressCallback | None = None,
        gate: HostGate | None = None,
    ):
        self.root_url = shop_url(root_url)
        # Spaces the requests to each host; one shared through the database (pacing.py) holds across crawls.
        self.gate = gate
        self.host = host_of(self.root_url)
        self.origin = f"{urlsplit(self.root_url).scheme}://{self.host}"
        self.store = store
        self.images = images
        self.options = options
        self.on_progress = on_progress or ignore
        self.report = CrawlReport(shop=self.host, url=self.root_url)
        # Sitemaps go ahead of pages: their lastmods are known before the pages they list are asked.
        self.queue: asyncio.PriorityQueue[tuple[bool, int, str, str]] = asyncio.PriorityQueue()
        self.seen_urls: set[str] = set()
        self.seen_skus: set[str] = set()
        self.robots: Protego | None = None
        self.adapter: Adapter | None = None
        self.cut_short = False
        self.known = 0
        self.memory: dict[str, RememberedPage] = {}  # the shop's pages as the store remembers them
        self.stored_skus: set[str] = set()  # the shop's products in the store when this crawl began
        self.lastmods: dict[str, str] = {}  # canonical URL -> its lastmod in the sitemaps read so far

    async def run(self) -> CrawlReport:
        renderer = Renderer(user_agent(), timeout=self.options.timeout) if self.options.render else None
        fetcher = Fetcher(
            concurrency=self.options.concurrency, delay=self.options.delay, retries=self.options.retries,
            timeout=self.options.timeout, renderer=renderer, gate=self.gate,
        )
        self.fetcher = fetcher
        options = self.options
        self.image_fetcher = ImageFetcher(
            self.images,
            Fetcher(concurrency=options.image_concurrency, delay=options.delay, retries=options.image_retries,
                    timeout=options.image_timeout, gate=fetcher.gate),
            workers=options.image_workers,
        )
        run_id = None
        try:
            if renderer:
                await renderer.__aenter__()
            self._recall(self.store.find_shop(self.host))
            robots_problem = await self._read_robots()
            if not robots_problem and await self._follow_root_redirect():
                robots_problem = await self._read_robots()  # the rules of the host we now crawl
            if robots_problem and self.store.find_shop(self.host) is None:
                # A shop that never answered is not registered, so a typo does not haunt every refresh.
                self.report.reason = robots_problem
                return self.report
            with shop_lock(self.store.root / "locks", self.host):
                self.adapter = await self._choose_adapter()
                self.report.adapter = self.adapter.name
                shop = self.store.register_shop(self.host, self.root_url, self.adapter.name, self.options.settings())
                had = self.store.stats_for(shop.id)
                self._recall(shop)  # the host may be the one the start URL redirected to
                run_id = self.store.start_run(shop.id)
                self.shop_id, self.run_id = shop.id, run_id
                if not robots_problem:
                    await self._traverse()
                self._count_fetches()
                complete, reason = self._verdict(robots_problem, had["purchasable"], had["products"])
                kept_urls = [canonical(url) for url in self.report.failed_urls]
                self.report.unavailable = self.store.finish_run(
                    run_id, complete=complete, stats=self.report.to_json(), reason=reason, kept_urls=kept_urls,
                )
                if complete:
                    self.store.forget_pages_not_visited(shop.id, run_id, kept_urls)
                self.report.complete, self.report.reason = complete, reason
                if self.store.stats_for(shop.id)["products"] == 0:
                    self.store.forget_shop(self.host)  # nothing to keep, nothing for refresh to retry
            return self.report
        except BaseException:
            if run_id is not None:
                self.store.finish_run(run_id, complete=False, stats=self.report.to_json(), reason="interrupted")
            raise
        finally:
            self._count_fetches()
            await fetcher.aclose()
            await self.image_fetcher.aclose()
            if renderer:
                await renderer.__aexit__(None, None, None)

    # --- setup ----------------------------------------------------------------------------------

    def _recall(self, shop) -> None:
        """Load what the store remembers of the shop's pages and products (nothing for a shop never crawled)."""
        if shop is None:
            self.memory, self.stored_skus = {}, set()
        else:
            self.memory, self.stored_skus = self.store.remembered_pages(shop.id), self.store.product_skus(shop.id)

    async def _follow_root_redirect(self) -> bool:
        """Adopt the host the start URL redirects to (shop.example → www.shop.example), or every link is off-site."""
        if not self.allowed(self.root_url):
            return False
        memory = self.memory.get(canonical(self.root_url))
        try:
            # asked conditionally too: only where the answer came from matters here, not its body
            response = await self.fetcher.get(self.root_url, accept="text/html",
                                              headers=memory.validators() if memory else None)
        except FetchFailed:
            return False  # the traversal will meet the same failure and count it
        final = urlsplit(response.url)
        if not final.netloc or final.netloc.lower() == self.host:
            return False
        self.root_url = response.url
        self.host = final.netloc.lower()
        self.origin = f"{final.scheme}://{self.host}"
        self.report.shop, self.report.url = self.host, self.root_url
        return True

    async def _read_robots(self) -> str:
        """Parse robots.txt; returns a reason to stop when it cannot be read (RFC 9309: then crawl nothing)."""
        try:
            response = await self.fetcher.get(f"{self.origin}/robots.txt", accept="text/plain")
        except FetchFailed as exc:
            self.report.failed_pages += 1
            return f"robots.txt got no answer ({exc}); the shop may be down"
        if 200 <= response.status < 300:
            self.robots = Protego.parse(response.text)
            crawl_delay = self.robots.crawl_delay(ROBOTS_TOKEN)
            if crawl_delay and crawl_delay > self.options.delay:
                self.fetcher.gate.delay = min(float(crawl_delay), 60.0)
        elif response.status >= 500:
            return f"robots.txt answered HTTP {response.status}; the shop may be down"
        else:
            self.robots = Protego.parse("")  # no robots.txt: everything is allowed
        return ""

    def allowed(self, url: str) -> bool:
        return self.robots is None or self.robots.can_fetch(url, ROBOTS_TOKEN)

    async def _choose_adapter(self) -> Adapter:
        name = self.options.adapter
        if name == "auto":
            probe = None
            probe_url = f"{self.origin}/products.json?limit=1"
            if self.robots is not None and self.allowed(probe_url):
                try:
                    response = await self.fetcher.get(probe_url, accept="application/json")
                    probe = _page(response)
                except FetchFailed:
                    probe = None
            name = detect_adapter(self.root_url, probe)
        return make_adapter(name)

    # --- traversal ------------------------------------------------------------------------------

    async def _traverse(self) -> None:
        # Seeds run first and in order: an adapter may learn shop-wide facts from them (a currency).
        for seed in map(canonical, self.adapter.seeds(self.origin)):
            if seed not in self.seen_urls and self.allowed(seed):
                self.seen_urls.add(seed)
                await self._visit(seed, "page", conditional=False)
        if self.adapter.follow_html_links:
            self._enqueue(self.root_url, "page")
        if self.adapter.use_sitemaps:
            declared = list(self.robots.sitemaps)
            for sitemap in declared:
                self._enqueue(sitemap, "sitemap")
            if not declared:
                self._enqueue(f"{self.origin}/sitemap.xml", "sitemap-guess")
        workers = [asyncio.create_task(self._worker()) for _ in range(max(1, self.options.concurrency))]
        try:
            await self.queue.join()
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    def _enqueue(self, url: str, kind: str) -> None:
        url = canonical(url)
        if url in self.seen_urls:
            return
        if kind == "page" and not in_scope(url, self.host):
            return
        if not self.allowed(url):
            return
        self.seen_urls.add(url)
        self.known += 1
        self.queue.put_nowait((kind == "page", self.known, url, kind))

    async def _worker(self) -> None:
        while True:
            _, _, url, kind = await self.queue.get()
            try:
                await self._visit(url, kind)
            finally:
                self.queue.task_done()
                self.on_progress(Progress("crawl", self.report.pages, self.known, unit="page",
                                          details={"products": len(self.seen_skus)}))

    async def _visit(self, url: str, kind: str, conditional: bool = True) -> None:
        limit = self.options.max_pages
        if limit is not None and self.report.pages >= limit:
            self.cut_short = True
            return
        self.report.pages += 1
        render = self.options.render and kind == "page" and self.adapter.follow_html_links
        memory = self._askable(url) if conditional and not render else None
        if memory is not None and self._unmoved_lastmod(url, memory):
            self.report.not_asked += 1
            self._replay(url, kind, memory)
            return
        try:
            with self._timed("fetch"):
                response = await self.fetcher.get(url, render=render,
                                                  headers=memory.validators() if memory else None)
                if response.status == 304 and memory is None:
                    # Not modified since a version we never named: a confused cache. Ask past it, once.
                    response = await self.fetcher.get(url, render=render, headers={"Cache-Control": "no-cache"})
        except FetchFailed:
            self._failed(url)
            return
        if response.status == 304:
            if memory is None:
                self._failed(url)  # still no page: its products keep their state, as for an unanswered one
            else:
                self._replay(url, kind, memory, response)
            return
        if response.status >= 400:
            if kind != "sitemap-guess":
                self.report.dead_links += 1
            return
        if kind != "page":
            links = await self._read_sitemap(response, guessed=kind == "sitemap-guess")
            if links is not None:
                self._remember(url, response, [], links, validators=True)
            return
        final = canonical(response.url)
        self.seen_urls.add(final)
        if not in_scope(final, self.host):
            return  # redirected off the shop
        page = _page(response)
        links = []
        if page.content_type in HTML_TYPES and self.adapter.follow_html_links:
            links += page_links(page.text, page.url)
        if page.content_type not in HTML_TYPES + JSON_TYPES:
            self.report.not_products += 1
            self._remember(url, response, [], [], validators=True)
            return
        with self._timed("parse"):
            extraction = self.adapter.extract(page)
        links += extraction.links
        for link in links:
            self._enqueue(link, "page")
        complete = await self._store_products(extraction)
        within = [(link, "page", "") for link in dict.fromkeys(map(canonical, links)) if in_scope(link, self.host)]
        self._remember(url, response, [product.sku for product in extraction.products], within,
                       validators=complete and not extraction.broken)

    def _failed(self, url: str) -> None:
        self.report.failed_pages += 1
        self.report.failed_urls.append(url)

    async def _read_sitemap(self, response: Response, guessed: bool) -> list[tuple[str, str, str]] | None:
        """Follow the sitemap's children and pages; returns them as (URL, kind, lastmod), None if unreadable."""
        try:
            sitemap = parse_sitemap(response.content)
        except ValueError:
            # A guessed /sitemap.xml that turns out to be an HTML page is the shop's business, not an error.
            if not guessed:
                self.report.broken += 1
            return None
        entries = [(url, "sitemap") for url in sitemap.sitemaps] + [(url, "page") for url in sitemap.pages]
        links = [(canonical(url), kind, sitemap.lastmod.get(url, "")) for url, kind in entries]
        self._enqueue_remembered(links)
        return links

    # --- pages seen before ----------------------------------------------------------------------

    def _askable(self, url: str) -> RememberedPage | None:
        """The remembered page to ask `url` conditionally with, or None where it must be read in full."""
        memory = self.memory.get(url)
        if memory is None or not memory.validators():
            return None
        if not self.stored_skus.issuperset(memory.skus):
            return None  # a product it yielded is gone from the store: a 304 would not bring it back
        return memory

    def _unmoved_lastmod(self, url: str, memory: RememberedPage) -> bool:
        lastmod = self.lastmods.get(url, "")
        return self.options.trust_lastmod and bool(lastmod) and lastmod == memory.lastmod

    def _replay(self, url: str, kind: str, memory: RememberedPage, response: Response | None = None) -> None:
        """A page that did not change: what it yielded last time is seen again in this run."""
        self.report.unchanged_pages += 1
        self.seen_urls.add(memory.final_url)
        self._enqueue_remembered(memory.links)
        fresh = [sku for sku in dict.fromkeys(memory.skus) if sku not in self.seen_skus]
        self.seen_skus.update(fresh)
        with self._timed("store"):
            self.report.unchanged += self.store.mark_seen(self.shop_id, self.run_id, fresh)
        if kind == "page" and not memory.skus:
            self.report.not_products += 1
        if response is not None:  # a 304 may carry newer validators; the page is as fetched now
            memory = replace(memory, etag=response.headers.get("etag", memory.etag),
                             last_modified=response.headers.get("last-modified", memory.last_modified),
                             lastmod=self.lastmods.get(url, memory.lastmod), fetched_at=utc_now())
        self.store.remember_page(self.shop_id, self.run_id, memory)

    def _enqueue_remembered(self, links: list[tuple[str, str, str]]) -> None:
        for url, kind, lastmod in links:
            if lastmod:
                self.lastmods[url] = lastmod
            self._enqueue(url, kind)

    def _remember(self, url: str, response: Response, skus: list[str], links: list[tuple[str, str, str]],
                  validators: bool) -> None:
        """Keep what the page answered for the next crawl; without validators it will be read in full again."""
        self.store.remember_page(self.shop_id, self.run_id, RememberedPage(
            url=url, final_url=canonical(response.url),
            etag=response.headers.get("etag", "") if validators else "",
            last_modified=response.headers.get("last-modified", "") if validators else "",
            lastmod=self.lastmods.get(url, ""), fetched_at=utc_now(), skus=list(dict.fromkeys(skus)), links=links,
        ))

    # --- products and images --------------------------------------------------------------------

    async def _store_products(self, extraction: Extraction) -> bool:
        """Store the page's products; False when an image of theirs could not be had (worth asking again)."""
        self.report.broken += extraction.broken
        for name, count in extraction.missing.items():
            self.report.missing[name] = self.report.missing.get(name, 0) + count
        if not extraction.products:
            if not extraction.broken and not extraction.links:
                self.report.not_products += 1
            return True
        complete = True
        for product in extraction.products:
            if product.sku in self.seen_skus:
                continue  # another URL of a product this crawl already stored
            self.seen_skus.add(product.sku)
            with self._timed("images"):
                images, all_images = await self._product_images(product)
            complete = complete and all_images
            with self._timed("store"):
                outcome = self.store.upsert_product(self.shop_id, self.run_id, product, images)
            if outcome in ("new", "updated", "unchanged"):
                setattr(self.report, outcome, getattr(self.report, outcome) + 1)
        return complete

    async def _product_images(self, product: ExtractedProduct) -> tuple[list[tuple[str, StoredImage]], bool]:
        """The product's distinct images, and whether every one of its image URLs gave an image."""
        urls = list(dict.fromkeys(product.image_urls))[: self.options.max_images]
        fetched = await asyncio.gather(*(self._image(url) for url in urls))
        kept: list[tuple[str, StoredImage]] = []
        for url, image in zip(urls, fetched):
            if image is None or is_near_duplicate(image.phash, [other.phash for _, other in kept]):
                continue
            kept.append((url, image))
        return kept, all(image is not None for image in fetched)

    async def _image(self, url: str) -> StoredImage | None:
        known = self.store.image_for_url(url)
        if known is not None:
            return known
        image = await self.image_fetcher.get(url)
        if image is not None:
            self.store.remember_image(url, image)
        return image

    def _count_fetches(self) -> None:
        outcome = self.image_fetcher.outcome
        self.report.images, self.report.images_rejected = outcome.stored, outcome.failed
        self.report.images_skipped, self.report.image_hosts_down = outcome.skipped, list(outcome.broken_hosts)
        fetchers = (self.fetcher, self.image_fetcher.fetcher)
        self.report.requests = sum(fetcher.requests for fetcher in fetchers)
        self.report.bytes_fetched = sum(fetcher.bytes_received for fetcher in fetchers)

    @contextlib.contextmanager
    def _timed(self, stage: str) -> Iterator[None]:
        # wall time of concurrent work: the stages overlap, so they add up to more than the crawl took
        start = time.perf_counter()
        try:
            yield
        finally:
            self.report.profile[stage] = self.report.profile.get(stage, 0.0) + time.perf_counter() - start

    # --- verdict --------------------------------------------------------------------------------

    def _verdict(self, robots_problem: str, had_purchasable: int, had_products: int) -> tuple[bool, str]:
        report = self.report
        if robots_problem:
            return False, robots_problem
        if self.cut_short:
            return False, f"stopped at --max-pages {self.options.max_pages}; nothing was marked unavailable"
        allowed = tolerated_failures(report.pages)
        if report.failed_pages > allowed:
            return False, (
                f"{report.failed_pages} of {report.pages} pages got no answer (server errors or network "
                "failures); nothing was marked unavailable"
            )
        if not self.seen_skus and report.broken:
            lacking = ", ".join(f"{name} ({count})" for name, count in sorted(report.missing.items()))
            return False, (
                f"{report.broken} product records were found but none could be stored"
                + (f"; they lack: {lacking}" if lacking else " (malformed data)")
                + ("; the shop names no currency (no /meta.json, none on its storefront)"
                   if "currency" in report.missing and self.adapter.name == "shopify" else "")
            )
        if not self.seen_skus and had_purchasable:
            return False, (
                "no product data was found on any page although the shop had products before; its pages "
                "may have changed, so nothing was marked unavailable"
            )
        if not self.seen_skus and not had_products:
            hint = "choose another --adapter" if self.options.render else "if its pages are built with JavaScript, try --render"
            return False, f"no product data was found on any of its {report.pages} pages; {hint}"
        return True, ""


@contextlib.contextmanager
def shop_lock(folder: Path, host: str) -> Iterator[None]:
    """One crawl per shop at a time: two would each take the other's products for gone.

    An OS file lock, so a crawl killed with -9 releases it with its process.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (re.sub(r"[^A-Za-z0-9.-]", "_", host) + ".lock")
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StylistError(f"another crawl of {host} is running; try again when it has finished") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _page(response: Response) -> Page:
    return Page(
        url=response.url, status=response.status, content_type=response.content_type,
        text=response.text, headers=dict(response.headers),
    )


async def crawl_shops(
    urls: list[str],
    store: CatalogStore,
    images: ImageStore,
    options: CrawlOptions,
    on_progress: ProgressCallback | None = None,
    gate: HostGate | None = None,
) -> list[CrawlReport]:
    """Crawl each shop in turn (shops are independent; politeness applies within each, and across crawls
    through `gate` when one is shared)."""
    reports = []
    for url in urls:
        reports.append(await ShopCrawl(url, store, images, options, on_progress, gate).run())
    return reports
