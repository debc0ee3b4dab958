import json

import pytest
from PIL import Image

from stylist.catalog.export import export_dataset, safe_name
from stylist.catalog.images import ImageStore
from stylist.catalog.products import ExtractedProduct
from stylist.catalog.store import CatalogStore
from stylist.errors import StylistError
from stylist.settings import Settings
from tests.helpers.images import image_bytes


@pytest.fixture
def store(data_dir):
    store = CatalogStore(Settings(data_dir=data_dir))
    images = ImageStore(data_dir / "images")
    shop = store.register_shop("shop.test", "https://shop.test", "jsonld", {})
    run = store.start_run(shop.id)
    rows = [
        ("A", "Maison Nord", "Wool Coat", True, 7),
        ("B", "Maison Nord", "Wool Coat", True, 2),  # same text: the folder name must stay unique
        ("C", "Ana/Bé", 'Dress: "Night"?', True, 1),
        ("D", "Sold", "Out Skirt", False, 2),
        ("E", "No", "Pictures", True, 0),
    ]
    for sku, designer, title, available, n_images in rows:
        stored = [(f"https://cdn.test/{sku}{i}.jpg", images.put(image_bytes(color=(i * 30, 10, ord(sku)))))
                  for i in range(n_images)]
        product = ExtractedProduct(sku=sku, url=f"https://shop.test/p/{sku}", title=title, designer=designer,
                                   price=120.5, currency="EUR", available=available)
        store.upsert_product(shop.id, run, product, stored)
    store.finish_run(run, complete=True, stats={})
    return store


def read_metadata(out):
    return [json.loads(line) for line in (out / "metadata.jsonl").read_text().splitlines()]


def test_exports_purchasable_products_with_images(store, tmp_path):
    out = tmp_path / "dataset"
    report = export_dataset(store, out, max_images=5)
    assert (report.products, report.images, report.skipped_without_images) == (3, 8, 1)
    folders = sorted(path.name for path in out.iterdir() if path.is_dir())
    assert folders == ["Ana Bé Dress Night", "Maison Nord Wool Coat", "Maison Nord Wool Coat (2)"]
    assert sorted(path.name for path in (out / "Maison Nord Wool Coat").iterdir()) == [f"{i}.jpg" for i in range(1, 6)]
    records = read_metadata(out)
    assert len(records) == 8
    first = records[0]
    assert set(first) == {"file_name", "text", "product_id", "url", "price", "currency"}
    assert first["file_name"] == "Maison Nord Wool Coat/1.jpg" and first["text"] == "Maison Nord Wool Coat"
    assert first["price"] == 120.5 and first["currency"] == "EUR"
    for record in records:
        with Image.open(out / record["file_name"]) as image:
            assert image.size == (512, 512)


def test_a_second_export_replaces_the_first(store, tmp_path):
    out = tmp_path / "dataset"
    export_dataset(store, out)
    (out / "stale").mkdir()
    export_dataset(store, out, max_images=1)
    assert not (out / "stale").exists()
    assert len(read_metadata(out)) == 3


def test_refuses_a_folder_that_is_not_an_export(store, tmp_path):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "thesis.tex").write_text("keep me")
    with pytest.raises(StylistError, match="not a stylist export"):
        export_dataset(store, out)
    assert (out / "thesis.tex").read_text() == "keep me"


@pytest.mark.parametrize("text, expected", [
    ("A/B\\C:D", "A B C D"),
    ("  dots... ", "dots"),
    ("CON", "product CON"),
    ("é" * 200, "é" * 60),
])
def test_safe_names(text, expected):
    assert safe_name(text) == expected
