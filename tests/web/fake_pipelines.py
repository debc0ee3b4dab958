"""Stand-ins for the looks and video pipelines, used only while those packages have not landed in this branch.

They have the documented interfaces (stylist.looks.pipeline.style, stylist.looks.store.get_look /
find_option / list_looks, stylist.video.spin.make_spin) and write real files: option images from the
catalog's product images, and an H.264 MP4 plus a GIF. `install()` adds them to sys.modules only when the
real modules are missing, so the same tests run the real pipelines once they exist.
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
from stylist.settings import Settings


@dataclass
class Option:
    id: str
    image: Path
    score: float
    seed: int
    products: list[dict] = field(default_factory=list)


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


def _looks_dir(settings: Settings, user_id: str) -> Path:
    return settings.data_dir / "users" / user_id / "looks"


def style(settings, user_id, prompt, *, options=4, budget=None, seed=None, out=None, fast=False, on_progress=None):
    from stylist.identity.users import get_user

    get_user(settings, user_id)
    with CatalogStore(settings.catalog_db, settings.images_dir) as store:
        products = [p for p in store.products() if budget is None or (p.price or 0) <= budget]
    look_id = secrets.token_hex(8)
    folder = _looks_dir(settings, user_id) / look_id
    folder.mkdir(parents=True)
    made = []
    for number in range(options):
        if on_progress:
            on_progress(number / options, f"option {number + 1} of {options}")
        chosen = products[number::options][:2] or products[:1]
        image = folder / f"option-{number + 1}.png"
        Image.new("RGB", (64, 64), (40 * number % 255, 120, 200)).save(image)
        made.append(Option(id=f"{look_id}-{number + 1}", image=image, score=1.0 - number / 10, seed=number,
                           products=[{"id": p.id, "designer": p.designer, "title": p.title, "price": p.price,
                                      "currency": p.currency, "url": p.url, "image": str(p.images[0]) if p.images else None}
                                     for p in chosen]))
    look = Look(look_id, user_id, prompt, made, {"total": 0.0}, datetime.now(UTC).isoformat(timespec="seconds"))
    record = {"look_id": look_id, "user_id": user_id, "prompt": prompt, "created_at": look.created_at,
              "options": [{**o.__dict__, "image": str(o.image)} for o in made]}
    (folder / "look.json").write_text(json.dumps(record))
    if on_progress:
        on_progress(1.0, "done")
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
    folders = sorted(_looks_dir(settings, user_id).glob("*/look.json"), key=lambda path: path.stat().st_mtime)
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
                          ("stylist.looks.store", {"get_look": get_look, "find_option": find_option,
                                                   "list_looks": list_looks}),
                          ("stylist.video", {}), ("stylist.video.spin", {"make_spin": make_spin})):
        if name in sys.modules or _exists(name):
            continue
        module = types.ModuleType(name)
        module.__dict__.update(members)
        if "." in name.removeprefix("stylist."):
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
