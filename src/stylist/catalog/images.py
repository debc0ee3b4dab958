"""The catalog's image store: content-addressed originals and their 512×512 normalised copies."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from stylist.files import write_atomic
from stylist.imaging import load_image, pad_to_square, perceptual_hash

NORMALISED_SIZE = 512

@dataclass(frozen=True)
class StoredImage:
    sha256: str  # of the downloaded bytes, so the same file fetched again is recognised
    width: int
    height: int
    phash: str
    original: Path  # upright RGB at full size
    normalised: Path  # 512×512, padded on a neutral background


class ImageStore:
    """Files under `root/<aa>/<sha256>.jpg` and `.512.jpg`; writes are atomic, so a kill leaves no half file."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def paths(self, sha256: str) -> tuple[Path, Path]:
        folder = self.root / sha256[:2]
        return folder / f"{sha256}.jpg", folder / f"{sha256}.{NORMALISED_SIZE}.jpg"

    def put(self, data: bytes) -> StoredImage:
        """Validate, orient and store `data`; raises ImageRejected for anything that is not a good image."""
        sha256 = hashlib.sha256(data).hexdigest()
        image = load_image(data)
        square = pad_to_square(image, NORMALISED_SIZE)
        original, normalised = self.paths(sha256)
        if not (original.exists() and normalised.exists()):
            original.parent.mkdir(parents=True, exist_ok=True)
            # The original is what an editing model reads: full chroma (4:4:4), since halving it smears the
            # thin prints and trims that tell one product from the next.
            _write_jpeg(image, original, quality=95, subsampling=0)
            _write_jpeg(square, normalised, quality=92)
        # Hashed after normalising, so the same picture at another size or crop ratio lines up pixel for pixel.
        return StoredImage(sha256, image.width, image.height, perceptual_hash(square), original, normalised)


def _write_jpeg(image: Image.Image, path: Path, quality: int, subsampling: int = 2) -> None:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality, optimize=True, subsampling=subsampling)
    write_atomic(path, buffer.getvalue())
