import io

from PIL import Image, ImageDraw

from stylist.catalog.images import ImageStore
from stylist.imaging import is_near_duplicate
from tests.helpers.images import image_bytes


def pattern(size=(320, 240), quality=90) -> bytes:
    """A smooth shape like a product shot (a garment on a plain background), resized and re-encoded."""
    image = Image.new("RGB", (320, 240), (240, 240, 240))
    draw = ImageDraw.Draw(image)
    draw.ellipse((60, 30, 200, 220), fill=(20, 20, 120))
    draw.rectangle((180, 60, 300, 120), fill=(160, 40, 40))
    image = image.resize(size)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def test_put_stores_original_and_normalised(tmp_path):
    store = ImageStore(tmp_path)
    stored = store.put(image_bytes(size=(300, 200)))
    assert Image.open(stored.original).size == (300, 200)
    normalised = Image.open(stored.normalised)
    assert normalised.size == (512, 512) and normalised.mode == "RGB"
    again = store.put(image_bytes(size=(300, 200)))
    assert again == stored  # content-addressed: the same bytes are one image


def test_near_duplicates_are_recognised(tmp_path):
    store = ImageStore(tmp_path)
    first = store.put(pattern(quality=95))
    reencoded = store.put(pattern(size=(300, 225), quality=60))
    different = store.put(image_bytes(size=(320, 240), color=(250, 10, 10)))
    assert first.sha256 != reencoded.sha256
    assert is_near_duplicate(reencoded.phash, [first.phash])
    assert not is_near_duplicate(different.phash, [first.phash])
