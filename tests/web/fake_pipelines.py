"""Quick stand-ins for the looks and video pipelines, so that API tests take seconds, not minutes.

`style` and `make_spin` have the pipelines' interfaces and write real files (flat-colour option images with
purchasable products, stored through the looks store; an H.264 MP4 and a GIF). API tests put them in place
of the real ones; the browser test runs the real pipelines. Where the looks or video package is missing
(before it lands in this branch), `install()` adds stand-in modules, a small looks store included.
"""

from __future__ import annotations

import importlib.util
import json
import secrets
import sys
import types
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image

from stylist.catalog.store import CatalogStore
from stylist.errors import StylistError


@dataclass
class Option:
    id: str
    image: Path
    score: float
    seed: int
    products: list[dict] = field(default_factory=list)
    candidates: list[dict] = field(default_factory=list)


@dataclass
class Look:
    look_id: str
    user_id: str
    prompt: str
    options: list[Option]
    timings: dict
    created_at: str
    notes: list[str] = field(default_factory=list)


@dataclass
class Spin:
    mp4: Path
    gif: Path
    seconds: float
    fps: int
    frames: int
    backend: str


def style(settings, user_id, prompt, *, options=4, budget=None, seed=None, out=None, fast=False, on_progress=None):
    """A look in seconds: flat-colour option images, each with two purchasable products, stored by the looks store."""
    from stylist.looks import store

    with CatalogStore(settings.catalog_db, settings.images_dir) as catalog:
        products = [p for p in catalog.products() if p.images and (budget is None or (p.price or 0) <= budget)]
    look_id = secrets.token_hex(8)
    made, images = [], []
    for number in range(1, options + 1):
        if on_progress:
            on_progress((number - 1) / options, f"option {number} of {options}")
        chosen = products[number - 1::options][:2] or products[:1]
        images.append(Image.new("RGB", (64, 64), (40 * number % 255, 120, 200)))
        made.append(store.Option(id=f"{look_id}-{number}", image=Path(), score=round(1.0 - number / 10, 3), seed=number,
                                 products=[{"id": p.id, "designer": p.designer, "title": p.title, "price": p.price,
                                            "currency": p.currency, "url": p.url, "image": str(p.images[0])}
                                           for p in chosen]))
    look = store.Look(look_id=look_id, user_id=user_id, prompt=prompt, options=made, timings={"total": 0.0},
                      created_at=datetime.now(UTC).isoformat(timespec="seconds"), notes=[])
    return store.save_look(settings, look, images)


def save_look(settings, look, images):
    folder = settings.data_dir / "users" / look.user_id / "looks" / look.look_id
    if not folder.parent.parent.is_dir():
        raise StylistError(f"no user {look.user_id}")
    folder.mkdir(parents=True)
    for option, image in zip(look.options, images, strict=True):
        option.image = folder / f"{option.id}.png"
        image.save(option.image)
    record = {"look_id": look.look_id, "user_id": look.user_id, "prompt": look.prompt, "created_at": look.created_at,
              "options": [{**option.__dict__, "image": str(option.image)} for option in look.options]}
    (folder / "look.json").write_text(json.dumps(record))
    return look


def _read(folder: Path) -> Look:
    record = json.loads((folder / "look.json").read_text())
    options = [Option(**{**o, "image": Path(o["image"])}) for o in record["options"]]
    return Look(record["look_id"], record["user_id"], record["prompt"], options, {}, record["created_at"])


def get_look(settings, look_id):
    for folder in (settings.data_dir / "users").glob(f"*/looks/{look_id}"):
        return _read(folder)
    raise StylistError(f"no look {look_id}")


def find_option(settings, option_id):
    look = get_look(settings, option_id.rsplit("-", 1)[0])
    for option in look.options:
        if option.id == option_id:
            return look, option
    raise StylistError(f"no option {option_id}")


def list_looks(settings, user_id):
    folders = sorted((settings.data_dir / "users" / user_id / "looks").glob("*/look.json"),
                     key=lambda path: path.stat().st_mtime)
    return [_read(path.parent) for path in folders]


def make_spin(settings, image, out, *, seconds=3, fps=8, backend=None, poses_out=None, seed=0, on_progress=None):
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
                on_progress((number + 1) / len(frames))
        container.mux(stream.encode())
    gif = out.with_suffix(".gif")
    Image.fromarray(frames[0]).save(gif, save_all=True, append_images=[Image.fromarray(f) for f in frames[1:]],
                                    duration=1000 // fps, loop=0)
    return Spin(out, gif, float(seconds), fps, len(frames), "fake")


def install() -> bool:
    """Put the stand-ins in sys.modules where the real modules are missing; whether any was installed."""
    installed = False
    for name, members in (("stylist.looks", {}), ("stylist.looks.pipeline", {"style": style}),
                          ("stylist.looks.store", {"Look": Look, "Option": Option, "save_look": save_look,
                                                   "get_look": get_look, "find_option": find_option,
                                                   "list_looks": list_looks}),
                          ("stylist.video", {}), ("stylist.video.spin", {"make_spin": make_spin})):
        if name in sys.modules or _exists(name):
            continue
        module = types.ModuleType(name)
        module.__dict__.update(members)
        parent, _, child = name.rpartition(".")
        setattr(sys.modules[parent], child, module)
        sys.modules[name] = module
        installed = True
    return installed


def _exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False
