import io

import numpy as np
import pytest
from PIL import Image

from stylist.imaging import NEUTRAL_BACKGROUND, ImageRejected, load_image, pad_to_square
from tests.helpers.images import image_bytes, png_bomb


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


def test_fit_within_keeps_the_aspect_shrinks_to_the_limit_and_never_pads():
    from stylist.imaging import fit_within

    big = Image.new("RGB", (3000, 4500), (200, 30, 40))  # a shop's 13.5 MP photo
    fitted = fit_within(big, 1024 * 1024)
    width, height = fitted.size
    assert width % 16 == 0 and height % 16 == 0 and width * height <= 1024 * 1024
    assert abs(width / height - 2 / 3) < 0.02 and width >= 816  # within a multiple of the 1 MP frame
    assert np.asarray(fitted).reshape(-1, 3).min(axis=0).tolist()[0] > 150  # no grey border anywhere

    small = Image.new("RGB", (400, 600))
    assert fit_within(small, 1024 * 1024).size == (400, 592)  # never enlarged; trimmed to the multiple
    assert fit_within(Image.new("RGB", (40, 60)), 1024 * 1024, min_side=64).size == (64, 96)
