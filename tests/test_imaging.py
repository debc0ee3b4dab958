import io

import pytest
from PIL import Image

from stylist.imaging import NEUTRAL_BACKGROUND, ImageRejected, load_image, pad_to_square
from tests.conftest import image_bytes, png_bomb


def test_loads_rgb():
    image = load_image(image_bytes(fmt="PNG"))
    assert image.mode == "RGB" and image.size == (64, 48)


def test_transparency_is_flattened_on_the_neutral_background():
    image = load_image(image_bytes(fmt="PNG", alpha=True))
    assert image.getpixel((0, 0)) == NEUTRAL_BACKGROUND


def test_exif_orientation_is_applied():
    source = Image.new("RGB", (80, 40), (0, 0, 255))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    buffer = io.BytesIO()
    source.save(buffer, format="JPEG", exif=exif)
    assert load_image(buffer.getvalue()).size == (40, 80)


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty"),
        (b"this is not an image at all", "not a readable image"),
        (image_bytes(size=(300, 300))[:1036], "truncated"),
        (png_bomb(30000, 30000), "too many pixels"),
        (image_bytes(fmt="BMP"), "BMP is not accepted"),
    ],
)
def test_bad_images_are_rejected_with_a_reason(data, reason):
    with pytest.raises(ImageRejected, match=reason):
        load_image(data)


def test_byte_limit():
    with pytest.raises(ImageRejected, match="over the"):
        load_image(image_bytes(), max_bytes=100)


def test_pad_to_square_keeps_the_whole_image():
    tall = Image.new("RGB", (100, 400), (10, 200, 10))
    square = pad_to_square(tall, 512)
    assert square.size == (512, 512)
    assert square.getpixel((5, 256)) == NEUTRAL_BACKGROUND  # padding at the sides
    assert square.getpixel((256, 2))[1] > 150  # the garment reaches top and bottom: nothing cropped
    assert square.getpixel((256, 509))[1] > 150
