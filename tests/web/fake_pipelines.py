"""Quick stand-ins for the looks and video pipelines, so that API tests take seconds, not minutes.

`style` and `make_spin` have the pipelines' interfaces and write real files: flat-colour option images
with purchasable products listed as the real pipeline lists them, stored through the real look records, and
an H.264 MP4 with its GIF. API tests hand them to the job handlers; the browser test runs the real ones.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from stylist.catalog.store import CatalogStore
from stylist.looks.asked import EMPTY_CATALOG
from stylist.looks.outfits import Match
from stylist.looks.recipe import Recipe
from stylist.looks.sizing import in_your_size
from stylist.people.looks import Look, Option, product_entry, save_look
from stylist.people.sizes import get_sizes
from stylist.progress import Progress
from stylist.records import new_id, utc_now
from stylist.video.spin import Spin

# Scores out of order, as the ranker may leave them: the API must answer the options best first.
FAKE_SCORES = (0.6, 0.9, 0.7, 0.8)
NO_PRODUCTS = EMPTY_CATALOG  # the stand-in finds products only in a catalog that has some


def style(settings, user_id, prompt, *, options=4, budget=None, seed=None, out=None, recipe=None, on_progress=None):
    """A look in seconds: flat-colour option images, each with two purchasable products in the person's sizes
    (a note when none), recording its recipe as the real pipeline does."""
    with CatalogStore(settings) as catalog:
        products = [p for p in catalog.products() if p.images and (budget is None or (p.price or 0) <= budget / 2)]
    sized = in_your_size([Match(product, 0.0) for product in products], get_sizes(settings, user_id))
    products = [match.product for match in sized.matches]
    look_id = new_id()
    made, images = [], []
    for number in range(1, options + 1):
        if on_progress:
            on_progress(Progress("option", number - 1, options, fraction=(number - 1) / options))
        chosen = products[number - 1::options][:2] or products[:1]
        images.append(Image.new("RGB", (64, 64), (40 * number % 255, 120, 200)))
        made.append(Option(id=f"{look_id}-{number}", image=Path(), score=FAKE_SCORES[(number - 1) % len(FAKE_SCORES)],
                           seed=number, products=[product_entry(product, sized.sizes.get(product.id))
                                                  for product in chosen]))
    look = Look(look_id=look_id, user_id=user_id, prompt=prompt, options=made, timings={"total": 0.0},
                created_at=utc_now(), notes=[] if products else [NO_PRODUCTS],
                settings={"budget": budget, "currency": None, **(recipe or Recipe()).to_json()})
    return save_look(settings, look, images)


def make_spin(settings, image, out, *, seconds=3, fps=8, backend=None, poses_out=None, seed=0, on_progress=None):
    """The image turning round as a 64-pixel H.264 MP4, and its GIF, in a fraction of a second."""
    import av
    import numpy as np

    base = Image.open(image).convert("RGB").resize((64, 64))
    frames = [np.asarray(base.rotate(360 * n / (seconds * fps))) for n in range(seconds * fps)]
    out = Path(out)
    with av.open(str(out), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for number, frame in enumerate(frames):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
            if on_progress:
                on_progress(Progress("spin", number + 1, len(frames)))
        container.mux(stream.encode())
    gif = out.with_suffix(".gif")
    Image.fromarray(frames[0]).save(gif, save_all=True, append_images=[Image.fromarray(f) for f in frames[1:]],
                                    duration=1000 // fps, loop=0)
    return Spin(out, gif, float(seconds), fps, len(frames), "fake")
