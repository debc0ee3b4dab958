"""The product index: every purchasable product's fused (image + text) embedding in FAISS, in step with the catalog.

One file per preset, `<data_dir>/models/index/<preset>/products.npz`, replaced atomically: the vectors,
their product ids and content keys, the FAISS index, and which catalog state and which model it was built
from. `search` keeps it in step by itself:
- products are re-read from catalog.db for every answer, so a product that stopped being purchasable (or
  whose price went over the budget) is never returned, however old the index file is;
- the index is rebuilt, lazily, when the catalog's purchasable set may have changed (a complete crawl
  finished, a shop was forgotten) or the model changed (a training): only new or changed products are
  embedded again. So nothing has to run after a crawl; `rebuild_index` does the work up front.
Small catalogs get an exact inner-product index; from APPROXIMATE_FROM products on, IVF-Flat. Both the
threshold and the kind come from benchmarks/index_bench.py (benchmarks/results/index-cpu-2core.json): exact
search takes about 1 ms at 10k products and 30 ms at 100k; at 1M, IVF with √N lists kept p99 under 10 ms
at recall@10 1.0, where HNSW (M 32) built 3× slower and stayed under 0.9 recall at efSearch 512.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
from PIL import Image

from stylist.catalog.export import product_text
from stylist.catalog.products import StoredProduct
from stylist.catalog.store import CatalogStore
from stylist.errors import StylistError
from stylist.files import replacing
from stylist.grounding.fashion_clip import FashionClip
from stylist.models.residency import RESIDENCY
from stylist.settings import Settings

INDEX_FILE = "products.npz"
# Below this many products an exact search is fast enough: under 10 ms a query on 2 busy cores.
APPROXIMATE_FROM = 20_000
# Lists probed per query, of √N: the benchmark needed 4 for recall@10 1.0 on clustered vectors; 16 leaves
# a margin for real embeddings, whose clusters overlap more (p99 8 ms at 1M on 2 busy cores).
IVF_NPROBE = 16
EMBED_CHUNK = 512  # products embedded at a time while rebuilding


@dataclass
class Hit:
    product: StoredProduct
    score: float  # higher is better: the cosine of query and product here, the fused rank score in hybrid search

    def to_json(self) -> dict:
        return {**self.product.to_json(), "score": self.score}


@dataclass
class IndexReport:
    products: int
    embedded: int  # products embedded now
    reused: int  # products whose embedding was kept from the previous index
    kind: str  # "exact" or "ivf"
    seconds: float
    path: Path

    def summary(self) -> str:
        return (f"indexed {self.products} purchasable products in an {self.kind} index ({self.embedded} embedded, "
                f"{self.reused} unchanged) in {self.seconds:.1f} s: {self.path}")


@dataclass
class _Index:
    faiss: faiss.Index
    ids: np.ndarray  # product id of each row
    catalog: str  # catalog_version when built
    model: str  # FashionClip.signature when built


def index_path(settings: Settings) -> Path:
    return settings.data_dir / "models" / "index" / settings.preset / INDEX_FILE


def catalog_version(store: CatalogStore) -> str:
    """Changes whenever the purchasable set can: a complete crawl settles availability, forgetting drops a shop."""
    return json.dumps([store.updated_at(), [(shop.host, shop.last_complete_run_id) for shop in store.shops()]])


def rebuild_index(settings: Settings, clip: FashionClip | None = None) -> IndexReport:
    """Embed the purchasable products (only those new or changed since the last index) and write the index."""
    started = time.perf_counter()
    clip = clip or FashionClip.load(settings)
    path = index_path(settings)
    with CatalogStore(settings) as store:
        version = catalog_version(store)
        products = list(store.products())
    keys = [_content_key(product) for product in products]
    known = _previous_vectors(path, clip.signature)
    missing = [row for row, key in enumerate(keys) if key not in known]
    for start in range(0, len(missing), EMBED_CHUNK):
        rows = missing[start : start + EMBED_CHUNK]
        for row, vector in zip(rows, clip.embed_products([products[row] for row in rows]).numpy()):
            known[keys[row]] = vector
    vectors = np.stack([known[key] for key in keys]) if keys else np.zeros((0, clip.dim), np.float32)
    index = build_faiss(vectors)
    meta = {"catalog": version, "model": clip.signature, "kind": _kind(len(vectors))}
    path.parent.mkdir(parents=True, exist_ok=True)

    with replacing(path) as partial, open(partial, "wb") as file:
        np.savez(file, vectors=vectors.astype(np.float32), ids=np.array([p.id for p in products], np.int64),
                 keys=np.array(keys, dtype=str), faiss=faiss.serialize_index(index), meta=json.dumps(meta))
    return IndexReport(len(products), len(missing), len(products) - len(missing), meta["kind"],
                       time.perf_counter() - started, path)


def build_faiss(vectors: np.ndarray) -> faiss.Index:
    """Inner product on unit vectors (cosine): exact for small catalogs, IVF-Flat with √N lists for large ones."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = vectors.shape[1]
    if _kind(len(vectors)) == "exact":
        index = faiss.IndexFlatIP(dim)
    else:
        lists = int(np.sqrt(len(vectors)))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
        # k-means on a sample: 64 vectors a list is plenty, and keeps training about a minute at 1M.
        sample = np.random.default_rng(0).choice(len(vectors), min(len(vectors), 64 * lists), replace=False)
        index.train(vectors[np.sort(sample)])
    index.add(vectors)
    return index


def search(settings: Settings, query: str | Image.Image, k: int = 10, *, budget: float | None = None,
           shops: Sequence[str] | None = None, category: str | None = None,
           clip: FashionClip | None = None) -> list[Hit]:
    """Purchasable products nearest to a text or an image, best first, within budget, shops and category."""
    if k < 1:
        raise StylistError("k must be at least 1")
    if isinstance(query, str) and not query.strip():
        raise StylistError("the search text is empty: say what to look for")
    clip = clip or FashionClip.load(settings)
    index = current_index(settings, clip)
    size = index.faiss.ntotal
    if size == 0:
        raise StylistError("the catalog has no purchasable products: crawl a shop first (stylist catalog crawl URL)")
    vector = (clip.embed_texts([query]) if isinstance(query, str) else clip.embed_images([query])).numpy()
    wanted_shops = {shop.casefold() for shop in shops} if shops else None
    wanted_category = category.strip().casefold() if category else None
    fetch = min(size, max(4 * k, 32))
    with CatalogStore(settings) as store:
        while True:
            # The filters run after the search, so ask for more until k pass or the whole index was seen.
            scores, rows = _nearest(index.faiss, vector, fetch)
            candidates = [(int(index.ids[row]), float(score)) for row, score in zip(rows, scores) if row >= 0]
            fresh = {product.id: product for product in store.products(ids=[id_ for id_, _ in candidates])}
            hits = [Hit(fresh[id_], score) for id_, score in candidates
                    if id_ in fresh and passes(fresh[id_], budget, wanted_shops, wanted_category)]
            if len(hits) >= k or fetch >= size:
                return hits[:k]
            fetch = min(size, fetch * 4)


def current_index(settings: Settings, clip: FashionClip) -> _Index:
    """The index for this catalog state and this model, rebuilt first if either changed since it was written."""
    path = index_path(settings)
    with CatalogStore(settings) as store:
        version = catalog_version(store)
    index = _load(path)
    if index is None or index.catalog != version or index.model != clip.signature:
        rebuild_index(settings, clip)
        index = _load(path)
    return index


def _nearest(index: faiss.Index, vector: np.ndarray, fetch: int) -> tuple[np.ndarray, np.ndarray]:
    params = None
    if hasattr(index, "nlist"):
        # Probe more lists as more answers are wanted (narrow filters), all of them for the whole index.
        # Per-call parameters: setting index.nprobe would race between the worker's threads.
        share = math.ceil(2 * index.nlist * fetch / index.ntotal)
        params = faiss.SearchParametersIVF(nprobe=min(index.nlist, max(IVF_NPROBE, share)))
    scores, rows = index.search(vector, fetch, params=params)
    return scores[0], rows[0]


def passes(product: StoredProduct, budget: float | None, shops: set[str] | None, category: str | None) -> bool:
    if budget is not None and (product.price is None or product.price > budget):
        return False
    if shops is not None and product.shop.casefold() not in shops:
        return False
    return category is None or product.category.strip().casefold() == category


def _kind(count: int) -> str:
    return "exact" if count < APPROXIMATE_FROM else "ivf"


def _content_key(product: StoredProduct) -> str:
    """What a product's embedding depends on: its text and its images (content-addressed file names)."""
    parts = [str(product.id), product_text(product), *(path.name for path in product.images)]
    return hashlib.sha1("\0".join(parts).encode()).hexdigest()


def _previous_vectors(path: Path, model: str) -> dict[str, np.ndarray]:
    """The previous index's vectors by content key, if the same model made them."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if json.loads(str(data["meta"]))["model"] != model:
                return {}
            return dict(zip(data["keys"].tolist(), data["vectors"]))
    except (OSError, KeyError, ValueError):
        return {}


class _Unreadable(Exception):
    pass


def _load(path: Path) -> _Index | None:
    """The index file, read once per process (held by the residency manager) and again whenever it is replaced;
    None when there is none or it cannot be read (an older format, a crash while copying): the caller rebuilds."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    stamp = f"{status.st_mtime_ns}:{status.st_size}:{status.st_ino}"

    def read() -> _Index:
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                return _Index(faiss.deserialize_index(data["faiss"]), data["ids"], meta["catalog"], meta["model"])
        except (OSError, KeyError, ValueError) as error:
            raise _Unreadable from error

    try:
        return RESIDENCY.load(("product index", path), read, device="cpu", stamp=stamp)
    except _Unreadable:
        return None
