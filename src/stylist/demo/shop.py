"""The demo shop and its server: an offline shop on 127.0.0.1 for the crawler's tests, `stylist demo` and the
crawl benchmark.

Garments are drawn procedurally from a seed and published in the formats real shops use; with
`traps=True` the shop also throws at a crawler what real shops throw (see `DemoShop.trap_urls`).
`DemoShop` and `serve` are the entry points; `stylist demo shop` serves one until Ctrl-C.

Like real shops and CDNs, every 200 answer carries validators (an ETag that is a hash of its body, and a
Last-Modified: a product page's own date, else the day's latest change) and a conditional request that
matches them is answered 304 Not Modified, so crawls can refresh cheaply.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

from stylist.demo import pages, shopify, storefront
from stylist.demo.catalogue import (
    NOT_STORED,
    SHOPIFY_TRAP_ROLES,
    TRAP_ROLES,
    Day,
    ImageSpec,
    Product,
    make_catalogue,
    resold,
    second_day,
    with_role,
)
from stylist.demo.pages import Response
from stylist.errors import cannot_listen


@dataclass(frozen=True)
class ExpectedProduct:
    """What a correct, polite crawler must store for one product.

    `n_images_valid` counts the decodable images the product's data names (near-duplicates
    included); `n_images_distinct` leaves the near-duplicate out too.
    """

    sku: str
    title: str
    designer: str
    price: float
    currency: str
    available: bool
    canonical_url: str
    n_images_valid: int
    n_images_distinct: int
    sizes: tuple[tuple[str, bool], ...] = ()  # (size, in stock), as its page's size picker or feed lists them


class LoggedRequest(NamedTuple):
    host: str  # the Host header, e.g. "localhost:8123"
    path: str  # path with query, as requested
    status: int
    if_none_match: str = ""  # the request's conditional headers, "" when it sent none
    if_modified_since: str = ""
    size: int = 0  # bytes of the answer's body


class RequestLog:
    """Every request the shop answered, in order; safe to read while the server is writing."""

    def __init__(self) -> None:
        self._items: list[LoggedRequest] = []
        self._lock = threading.Lock()

    def append(self, item: LoggedRequest) -> None:
        with self._lock:
            self._items.append(item)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __iter__(self) -> Iterator[LoggedRequest]:
        with self._lock:
            return iter(list(self._items))

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


class DemoShop:
    """A shop's catalogue on one of two days, its pages, and the ground truth a crawler should store.

    Serve it with `serve(shop)`. Settable while serving: `day` (1 or 2, or one `add_day` made),
    `fail_all` (every request but robots.txt answers 503, as when the shop is down), `latency` (seconds
    each answer waits before it starts, as a real shop's time to first byte; 0 by default) and
    `blind_304` (the first request for each product page is answered 304 Not Modified whatever it
    carries, as a cache that lost track of what its client holds). `resold_from` makes it a reseller that
    also sells `resold_share` of that shop's products under its own titles and prices (catalogue.resold).
    """

    def __init__(
        self, n_products: int = 60, seed: int = 0, day: int = 1, traps: bool = True, shopify: bool = False,
        resold_from: DemoShop | None = None, resold_share: float = 0.3,
    ) -> None:
        roles = SHOPIFY_TRAP_ROLES if shopify else TRAP_ROLES
        if traps and n_products < len(roles) + 10:
            raise ValueError(f"a shop with traps needs at least {len(roles) + 10} products, not {n_products}")
        self.n_products, self.seed, self.traps, self.shopify = n_products, seed, traps, shopify
        first = make_catalogue(n_products, seed)
        if traps:
            first[: len(roles)] = [with_role(p, role) for p, role in zip(first, roles)]
        if resold_from is not None:  # a reseller: its own products and its copies of another shop's
            first += resold(resold_from.products(1), seed, resold_share)
        self._days = {1: Day(first), 2: Day(second_day(first, seed))}
        self._changed = {day: max(p.updated for p in d.products) for day, d in self._days.items()}
        # Images outlive their pages, as on a CDN: every product of either day keeps its pictures.
        self.pictures = {p.sku: p for d in self._days.values() for p in d.products}
        self.base_url = ""  # pages, e.g. http://127.0.0.1:8123; set by serve()
        self.image_base_url = ""  # images: the same server under another host name, e.g. http://localhost:8123
        self.fail_all = False
        self.latency = 0.0
        self.blind_304 = False
        self.requests = RequestLog()
        self._failed_once: set[str] = set()
        self._lock = threading.Lock()
        self.day = day

    @property
    def day(self) -> int:
        return self._day

    @day.setter
    def day(self, day: int) -> None:
        if day not in self._days:
            raise ValueError(f"the demo shop has days {', '.join(map(str, self._days))}, not {day}")
        self._day = day

    def changed_on(self, day: int | None = None) -> str:
        """The date of the day's latest change (default: today), as its sitemap index and pages give it."""
        return self._changed[day or self.day]

    def add_day(self, products: list[Product]) -> int:
        """Another day of the shop with these products (a benchmark's own changes); returns its number."""
        day = max(self._days) + 1
        self._days[day] = Day(products)
        self._changed[day] = max(p.updated for p in products)
        self.pictures.update({p.sku: p for p in products if p.sku not in self.pictures})
        return day

    # Ground truth.

    def products(self, day: int | None = None) -> list[Product]:
        """Every product of the day, traps included (see `Product.role`)."""
        return list(self._days[day or self.day].products)

    def expected(self, day: int | None = None) -> dict[str, ExpectedProduct]:
        """What a correct, polite crawler must store after crawling the shop on `day` (default: today)."""
        found = {}
        for p in self._days[day or self.day].products:
            if p.role in NOT_STORED:
                continue
            images = p.images if self.shopify else p.published_images  # products.json lists every image
            sku = str(shopify.PRODUCT_ID + p.index) if self.shopify else p.sku
            found[sku] = ExpectedProduct(
                sku=sku,
                title=p.title,
                designer=p.designer,
                price=p.price,
                currency=p.currency,
                available=p.available,
                canonical_url=self.canonical_url(p),
                n_images_valid=sum(spec.valid for spec in images),
                n_images_distinct=sum(spec.valid and spec.flaw != "near_duplicate" for spec in images),
                sizes=tuple(zip(p.sizes, p.in_stock, strict=True)),
            )
        return found

    def canonical_url(self, p: Product) -> str:
        folder = "private" if p.role == "private" else "products"
        return f"{self.base_url}/{folder}/{p.slug}"

    def image_url(self, p: Product, spec: ImageSpec) -> str:
        return f"{self.image_base_url}/img/{p.sku}/{spec.file_name}"

    def trap_urls(self) -> dict[str, str]:
        """Where each trap of day 1 lives, by name (absolute URLs, so call it while serving)."""
        if not self.traps:
            return {}
        base = self.base_url
        by_role: dict[str, list[Product]] = {}
        for p in self._days[1].products:
            by_role.setdefault(p.role, []).append(p)
        if self.shopify:
            return {
                "products_json_429": f"{base}/products.json?page=1",
                "cart": f"{base}/cart",
                "sorted_collection": f"{base}/collections/all?sort_by=price-ascending",
                "group_sold_out": self.canonical_url(by_role["group_sold_out"][0]),
                "group_one_left": self.canonical_url(by_role["group_one_left"][0]),
            }
        urls = {role: self.canonical_url(found[0]) for role, found in by_role.items() if role}
        del urls["sitemap_only"]
        for k, p in enumerate(by_role["sitemap_only"], 1):
            urls[f"sitemap_only_{k}"] = self.canonical_url(p)
        duplicate = by_role["duplicate"][0]
        urls["duplicate_utm"] = f"{base}/products/{duplicate.slug}?utm_source=newsletter"
        urls["duplicate_sku"] = f"{base}/p/{duplicate.sku}"
        for role in ("truncated_image", "bomb_image"):  # the bad image itself, not its product's page
            p = by_role[role][0]
            urls[role] = self.image_url(p, next(s for s in p.images if s.flaw))
        twins = by_role["near_duplicate_images"][0]
        urls["near_duplicate_a"] = self.image_url(twins, twins.images[0])
        urls["near_duplicate_b"] = self.image_url(twins, next(s for s in twins.images if s.flaw))
        rotated = next(p for p in self._days[1].listed if not p.role and any(s.exif_rotated for s in p.images))
        urls["exif_image"] = self.image_url(rotated, next(s for s in rotated.images if s.exif_rotated))
        urls["about"] = f"{base}/about"
        urls["dead_link"] = f"{base}/products/gone-forever"
        return urls

    # Answering requests.

    def handle(self, host: str, target: str, headers: Mapping[str, str] | Message | None = None) -> Response:
        """The answer to GET `target` (path and query) sent to `host` with the request's `headers`;
        logged in `requests`."""
        headers = headers or {}
        parts = urlsplit(target)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        if self.fail_all and parts.path != "/robots.txt":
            response = pages.page(503, "Service unavailable", "<p>We are down for maintenance.</p>")
        else:
            route = shopify.route if self.shopify else storefront.route
            response = route(self, self._days[self.day], parts.path.strip("/").split("/"), query)
        if response.status == 200:
            response = self._with_validators(response)
            product_page = parts.path.startswith(("/products/", "/p/"))
            if _not_modified(response, headers) or (
                    self.blind_304 and product_page and self.first_time(f"blind-304:{parts.path}")):
                response = Response(304, response.content_type, b"", response.headers)
        self.requests.append(LoggedRequest(host, target, response.status, headers.get("If-None-Match") or "",
                                           headers.get("If-Modified-Since") or "", len(response.body)))
        return response

    def _with_validators(self, response: Response) -> Response:
        given = {name.lower() for name, _ in response.headers}
        added = [("ETag", f'"{hashlib.sha256(response.body).hexdigest()[:24]}"')]
        if "last-modified" not in given:
            added.append(("Last-Modified", pages.http_date(self.changed_on())))
        return response._replace(headers=(*response.headers, *added))

    def first_time(self, key: str) -> bool:
        """Whether `key` is asked for the first time: a flaky URL fails once, then answers."""
        with self._lock:
            first_time = key not in self._failed_once
            self._failed_once.add(key)
        return first_time


def _not_modified(response: Response, request: Mapping[str, str] | Message) -> bool:
    """Whether the request's validators match the answer (RFC 9110: If-None-Match, when sent, decides)."""
    answer = {name.lower(): value for name, value in response.headers}
    if_none_match = request.get("If-None-Match")
    if if_none_match:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or answer["etag"] in tags
    if_modified_since = request.get("If-Modified-Since")
    if not if_modified_since:
        return False
    try:
        since = email.utils.parsedate_to_datetime(if_modified_since)
        modified = email.utils.parsedate_to_datetime(answer["last-modified"])
    except (TypeError, ValueError):
        return False
    return modified <= since


# --- serving -----------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops connections when a crawler opens 16 at once
    shop: DemoShop


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: every answer carries Content-Length
    timeout = 30  # an idle keep-alive connection gives its thread back
    disable_nagle_algorithm = True  # headers and body go out in two writes; Nagle would hold the second
    server: _Server

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        if self.server.shop.latency:
            time.sleep(self.server.shop.latency)
        response = self.server.shop.handle(self.headers.get("Host", ""), self.path, self.headers)
        self.send_response(response.status)
        if response.status != 304:  # a 304 has no body, and describes none
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # `shop.requests` is the log


@contextlib.contextmanager
def serve(shop: DemoShop, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve `shop` from a daemon thread on `host`:`port` (0: a free port); yield its base URL."""
    try:
        server = _Server((host, port), _Handler)
    except OSError as error:
        raise cannot_listen(host, port, error) from error
    server.shop = shop
    port = server.server_address[1]
    page_host = "127.0.0.1" if host in ("", "0.0.0.0") else host
    # Images come from the same server under the other name of this machine, as shops use CDNs.
    image_host = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}.get(page_host, page_host)
    shop.base_url, shop.image_base_url = f"http://{page_host}:{port}", f"http://{image_host}:{port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield shop.base_url
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
