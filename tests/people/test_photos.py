"""Photo intake: what is accepted, what is refused and why, and how faces are found and cropped."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from skimage import data

from stylist.people.photos import Box, PhotosRefused, Rejection, Upload, crop_box, find_faces, intake_photos
from tests.helpers.photos import BAD_PHOTOS, SIDEWAYS_UPRIGHT, save, variant


def test_good_photos_are_accepted_upright_and_cropped(good_photos):
    result = intake_photos(good_photos, 256)

    assert result.rejected == [] and result.warnings == []
    assert [photo.name for photo in result.photos] == [str(path) for path in good_photos]
    for photo in result.photos:
        assert photo.crop.size == (256, 256) and photo.crop.mode == "RGB"
        assert photo.face.w >= 80
    sideways = result.photos[3]
    assert sideways.image.size == SIDEWAYS_UPRIGHT.size
    difference = np.abs(np.asarray(sideways.image, dtype=float) - np.asarray(SIDEWAYS_UPRIGHT, dtype=float))
    assert difference.mean() < 4  # the same picture, up to JPEG loss


def test_a_sideways_photo_without_its_exif_tag_has_no_face_found(good_photos, tmp_path):
    # Shows the orientation is what made the sideways photo usable: the cascades only find upright faces.
    turned = save(SIDEWAYS_UPRIGHT.transpose(Image.Transpose.ROTATE_90), tmp_path / "turned.jpg")
    result = intake_photos([*good_photos[:3], turned], 64)
    assert result.rejected == [Rejection(str(turned), result.rejected[0].reason)]
    assert "no face" in result.rejected[0].reason


@pytest.mark.parametrize("name", BAD_PHOTOS)
def test_each_bad_photo_is_refused_by_name_with_its_reason(name, good_photos, bad_photos):
    bad = bad_photos / name
    result = intake_photos([*good_photos[:3], bad], 64)

    assert len(result.photos) == 3
    (rejection,) = result.rejected
    assert rejection.name == str(bad) and BAD_PHOTOS[name] in rejection.reason
    assert result.warnings == [f"{bad} was not used: {rejection.reason}"]


def test_fewer_than_three_usable_photos_refuse_the_request_with_every_reason(good_photos, bad_photos):
    with pytest.raises(PhotosRefused) as refused:
        intake_photos([good_photos[0], bad_photos / "missing.jpg", good_photos[1], bad_photos / "notes.jpg"], 64)

    message = str(refused.value)
    assert message.startswith("only 2 of 4 photos are usable (at least 3 are needed): ")
    assert f"{bad_photos / 'missing.jpg'}: the file does not exist" in message
    assert f"{bad_photos / 'notes.jpg'}: the file is not a readable image" in message
    assert "\n" not in message
    assert [rejection.name for rejection in refused.value.rejected] == [
        str(bad_photos / "missing.jpg"), str(bad_photos / "notes.jpg")]


@pytest.mark.parametrize("count", [0, 2, 5])
def test_three_or_four_photos_are_needed(count, good_photos):
    with pytest.raises(PhotosRefused, match=f"3 or 4 photos of yourself are needed, got {count}"):
        intake_photos((good_photos * 2)[:count], 64)


def test_uploaded_bytes_are_taken_like_files(good_photos):
    uploads = [Upload(f"upload-{number}", path.read_bytes()) for number, path in enumerate(good_photos)]
    uploads.append(Upload("bad\nname.jpg", b"not an image"))
    result = intake_photos(uploads[:2] + uploads[3:], 64)

    assert [photo.name for photo in result.photos] == ["upload-0", "upload-1", "upload-3"]
    # A newline in an upload's name must not split the one-line messages it appears in.
    assert result.rejected[0].name == "'bad\\nname.jpg'"


def test_a_near_duplicate_counts_once(good_photos, tmp_path):
    copy = save(Image.open(good_photos[0]).resize((400, 400)), tmp_path / "copy.png")
    result = intake_photos([good_photos[0], copy, *good_photos[1:3]], 64)

    assert [photo.name for photo in result.photos] == [str(good_photos[0]), *map(str, good_photos[1:3])]
    assert result.warnings == [(f"{copy} was not used: it looks like a near-duplicate of {good_photos[0]}, so it "
                                "counts once; varied photos (angle, light, clothes) teach a better likeness")]
    # Three photos of which two are one: refused, naming the duplicate.
    with pytest.raises(PhotosRefused, match="near-duplicate") as refused:
        intake_photos([good_photos[0], copy, good_photos[1]], 64)
    assert [rejection.name for rejection in refused.value.rejected] == [str(copy)]


def test_several_faces_are_a_warning(good_photos, tmp_path):
    person = variant((60, 0, 400, 400))
    pair = Image.new("RGB", (800, 420))
    pair.paste(person, (0, 10))
    pair.paste(person.transpose(Image.Transpose.FLIP_LEFT_RIGHT), (420, 10))
    path = save(pair, tmp_path / "pair.jpg")
    result = intake_photos([*good_photos[:3], path], 64)

    assert len(result.photos) == 4
    assert result.warnings == [f"{path} shows 2 faces; the largest is taken to be you"]


def test_a_small_face_for_the_training_resolution_is_a_warning(good_photos):
    assert intake_photos(good_photos[:3], 512).warnings == []
    warnings = intake_photos(good_photos[:3], 1024).warnings
    assert any(warning.startswith(f"{good_photos[0]}: the face is small") and "enlarged" in warning
               for warning in warnings)


def test_metadata_is_stripped(good_photos, tmp_path):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS position
    tagged = save(variant((0, 0, 480, 480)), tmp_path / "tagged.jpg", exif=exif, icc_profile=b"\0" * 128)
    assert Image.open(tagged).getexif()
    photo = intake_photos([tagged, *good_photos[1:3]], 64).photos[0]

    buffer = io.BytesIO()
    photo.image.save(buffer, format="JPEG")
    stored = Image.open(buffer)
    assert photo.image.info == {} and not stored.getexif() and "icc_profile" not in stored.info


def test_the_largest_face_is_hers_not_the_false_face_on_her_suit():
    # The default frontal cascade finds a face larger than hers on this crop (see shared/NOTES.md).
    image = variant((50, 0, 512, 420), 2.0)
    faces = find_faces(image)
    truth = Box((177 - 50) * 2, 67 * 2, 188, 188)
    assert len(faces) == 1
    assert abs(faces[0].x - truth.x) < 30 and abs(faces[0].y - truth.y) < 30 and abs(faces[0].w - truth.w) < 30


def test_the_crop_is_head_and_shoulders_centred_on_the_face(good_photos):
    photo = intake_photos(good_photos, 512).photos[2]  # framed so that no edge shifts the crop
    (face,) = find_faces(photo.crop)

    assert abs((face.x + face.w / 2) / 512 - 0.5) < 0.05
    assert abs((face.y + face.h / 2) / 512 - 0.4) < 0.05
    assert abs(face.w / 512 - 1 / 3) < 0.05


@pytest.mark.parametrize("face", [Box(0, 0, 100, 100), Box(300, 200, 100, 100), Box(150, 20, 300, 300)])
def test_a_crop_that_would_run_off_the_image_is_shifted_inside(face):
    left, top, right, bottom = crop_box((400, 300), face)

    assert 0 <= left and 0 <= top and right <= 400 and bottom <= 300
    assert right - left == pytest.approx(bottom - top)
    assert right - left == pytest.approx(min(3 * face.w, 300))
    assert left <= face.x + face.w / 2 <= right and top <= face.y + face.h / 2 <= bottom


@pytest.mark.parametrize("mirror", [False, True])
def test_a_face_turned_to_either_side_is_found(mirror):
    # skimage's cameraman looks to the right in three-quarter profile, where the frontal cascade finds nothing.
    image = Image.fromarray(data.camera()).convert("RGB").resize((640, 640), Image.Resampling.LANCZOS)
    if mirror:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    face = find_faces(image)[0]
    centre_x = 215 * 1.25 if not mirror else 640 - 215 * 1.25  # his face's centre, measured by eye
    assert abs(face.x + face.w / 2 - centre_x) < 40 and abs(face.y + face.h / 2 - 150 * 1.25) < 40
