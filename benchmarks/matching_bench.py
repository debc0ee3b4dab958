"""Matcher benchmark: how well the catalog finds the same product in two shops (catalog/matching.py).

    .venv/bin/python benchmarks/matching_bench.py --out benchmarks/results/matching-<machine>.json

Two measurements, in one run:

1. **Demo shops, crawled for real.** A maker's shop of `--products` products and a reseller with half as
   many of its own plus `--share` of the maker's under its own titles ("Women's black striped cotton
   jacket"), prices and page formats, with the maker's photos; the maker's barcode on half of the copies,
   its part number on a quarter, neither on the rest. Both are crawled into one catalog; every cross-shop
   pair the matcher groups is checked against the truth (which reseller SKU copies which maker SKU), and
   recall is given per kind of evidence the copy carries.
2. **Real pages.** Each product read from ../shared/real-pages (in place) is listed again by an invented
   second shop under a retitled name, with the identifiers the page published: recall shows how often a
   real page carries a barcode or part number to match on, precision how often two different real
   products would be taken for one. Pictures cannot be fetched here, so the picture rule is not measured
   on real pages.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from itertools import combinations
from pathlib import Path

from catalog_bench import machine

from stylist.catalog.crawl import CrawlOptions, crawl_shops
from stylist.catalog.images import ImageStore
from stylist.catalog.matching import Listing, match
from stylist.catalog.products import Page
from stylist.catalog.store import CatalogStore
from stylist.demo.shop import DemoShop, serve
from stylist.files import recorded_path
from stylist.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
REAL_PAGES = ROOT.parent / "shared" / "real-pages"


def scores(found: set[frozenset], truth: set[frozenset]) -> dict:
    right = len(found & truth)
    precision = right / len(found) if found else 1.0
    recall = right / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"pairs_found": len(found), "pairs_true": len(truth), "right": right, "precision": round(precision, 4),
            "recall": round(recall, 4), "f1": round(f1, 4)}


def demo_shops(products: int, share: float) -> dict:
    maker = DemoShop(n_products=products, seed=11, traps=False)
    reseller = DemoShop(n_products=products // 2, seed=12, traps=False, resold_from=maker, resold_share=share)
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        with serve(maker) as maker_url, serve(reseller) as reseller_url, \
                CatalogStore(Settings(data_dir=data)) as store:
            started = time.perf_counter()
            reports = asyncio.run(crawl_shops([maker_url, reseller_url], store, ImageStore(data / "images"),
                                              CrawlOptions(delay=0.0, concurrency=8, max_images=2)))
            crawl_seconds = time.perf_counter() - started
            assert all(report.complete for report in reports), [report.reason for report in reports]
            started = time.perf_counter()
            found = store.same_products()
            match_seconds = time.perf_counter() - started
            listed = {product.id: product for product in store.products(include_unavailable=True)}
    key = {product_id: product.sku for product_id, product in listed.items()}
    copies = [p for p in reseller.products(1) if p.drawn_as]
    truth = {frozenset((copy.drawn_as, copy.sku)) for copy in copies}
    pairs = {frozenset((key[one], key[other])) for group in found.groups for one, other in combinations(group, 2)
             if listed[one].shop != listed[other].shop}
    evidence = {"barcode": {c.sku for c in copies if c.gtin}, "part number": {c.sku for c in copies if c.mpn},
                "title and picture only": {c.sku for c in copies if not c.gtin and not c.mpn}}
    by_evidence = {name: scores({pair for pair in pairs if pair & skus}, {pair for pair in truth if pair & skus})
                   ["recall"] for name, skus in evidence.items()}
    return {"maker_products": products, "reseller_products": len(reseller.products(1)), "copies": len(copies),
            **scores(pairs, truth), "recall_by_evidence": by_evidence,
            "seconds": {"crawl": round(crawl_seconds, 2), "match": round(match_seconds, 3)},
            "products_in_catalog": len(listed)}


def real_pages() -> dict:
    from stylist.catalog.shops import make_adapter

    manifest = json.loads((REAL_PAGES / "manifest.json").read_text())
    listings, truth = [], set()
    for number, (name, entry) in enumerate(sorted(manifest["pages"].items())):
        if not entry.get("expect_product"):
            continue
        text = (REAL_PAGES / entry["file"]).read_text(encoding="utf-8", errors="replace")
        url = entry.get("original_url") or f"https://{entry.get('shop') or 'shop.example'}/{name}"
        page = Page(url=url, status=200, content_type="text/html", text=text)
        for product in make_adapter("jsonld").extract(page).products[:1]:
            original = Listing(2 * number, f"{entry['shop']}", product.designer, product.title,
                               tuple(product.gtin.split()), product.mpn)
            resold = Listing(2 * number + 1, "reseller.test", product.designer.upper(),
                             f"Women's {product.title.lower()}", original.gtins, original.mpn.replace("-", " "))
            listings += [original, resold]
            truth.add(frozenset((original.id, resold.id)))
    found = match(listings)
    pairs = {frozenset(pair) for group in found.groups for pair in combinations(group, 2)}
    return {"pages": len(truth), **scores(pairs, truth),
            "with_barcode": sum(bool(listing.gtins) for listing in listings[::2]),
            "with_part_number": sum(bool(listing.mpn) for listing in listings[::2])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=400, help="products in the maker's demo shop")
    parser.add_argument("--share", type=float, default=0.3, help="share of them the reseller sells too")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    result = {"benchmark": "matching", "machine": machine(), "settings": {"products": args.products,
                                                                         "share": args.share},
              "demo_shops": demo_shops(args.products, args.share)}
    if (REAL_PAGES / "manifest.json").exists():
        result["real_pages"] = real_pages()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"written to {recorded_path(args.out)}", file=sys.stderr)


if __name__ == "__main__":
    main()
