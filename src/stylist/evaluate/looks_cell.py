"""One ablation cell, for real: personalise a system on a person's photos, make a look, and measure it.

Cells run in the data directory the CLI was given, so looks come from its catalog, fashion CLIP and index.
Each (preset, identity, person, swept setting) gets its own stylist user there, so a DreamBooth identity and
a face-adapter run of the same preset never share weights, each identity is trained once however many
prompts, seeds and product scales use it, and the reference-editing systems train nothing. Those users
are listed in OUT/users.json, reused by a resumed run, and deleted by `close` when the grid is done. The
metrics come from evaluate/metrics.py and evaluate/fidelity.py, with an evaluation CLIP that is not the
ranker; product fidelity is also given under the fashion CLIP itself, the model that knows the catalog
best, which in the "rank" mode is inflated by the ranking it did.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import replace
from pathlib import Path

from PIL import Image

from stylist.errors import StylistError
from stylist.evaluate.ablation import Cell
from stylist.evaluate.fidelity import LOOK_MIN_FACE_PX, copy_paste, product_fidelity
from stylist.evaluate.metrics import (
    Costs,
    ImageEmbedder,
    dino_embedder,
    evaluation_clip,
    identity_similarity,
    prompt_fidelity,
    sface_embedder,
    subject_fidelity,
)
from stylist.settings import Settings

# The CLIP-guidance scale of the "guidance" mode: strong enough to move a 30-step sample.
GUIDANCE_SCALE = 50.0
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


class LooksCells:
    """`run_cell` for the ablation runner; keeps users, identities and metric models between cells."""

    def __init__(self, data_dir: Path, out_dir: Path, device: str = "auto", options: int = 4,
                 steps: int | None = None, train_steps: int | None = None,
                 face_embedder: ImageEmbedder | None = None):
        self.data_dir, self.device, self.options, self.steps = data_dir, device, options, steps
        self.train_steps = train_steps  # identity training steps for every system; None keeps each recipe's
        self.users_file = out_dir / "users.json"
        self.users: dict[str, str] = json.loads(self.users_file.read_text()) if self.users_file.exists() else {}
        self.metric_models: dict[str, tuple] = {}
        self.face_embedder = face_embedder
        self.warnings: list[str] = []

    def __call__(self, cell: Cell) -> dict[str, float]:
        from stylist.looks.pipeline import style
        from stylist.looks.recipe import Recipe

        settings = Settings(self.data_dir, preset=cell.system.preset, device=self.device)
        user_id = self._personalised_user(settings, cell)
        costs = Costs()
        with costs.measure("look"):
            recipe = Recipe(steps=self.steps, candidates=1 if cell.clip == "none" else None,
                            clip_guidance=GUIDANCE_SCALE if cell.clip == "guidance" else 0.0)
            if cell.system.product_scale is not None:
                recipe = replace(recipe, product_scale=cell.system.product_scale)
            look = style(settings, user_id, cell.prompt, options=self.options, seed=cell.seed, recipe=recipe)
        return self._measure(settings, cell, look, user_id, costs.stages["look"])

    def close(self) -> None:
        """Delete the users the grid made: their photos and weights were only needed to measure."""
        from stylist.people.users import delete_user

        for user_id in self.users.values():
            with contextlib.suppress(StylistError):  # already gone
                delete_user(Settings(self.data_dir), user_id)
        self.users_file.unlink(missing_ok=True)

    def _personalised_user(self, settings: Settings, cell: Cell) -> str:
        from stylist.people.users import add_user, get_user
        from stylist.presets import get_preset

        key = f"{cell.system.preset}|{cell.system.identity}|{cell.user}|{cell.setting}={cell.value}"
        if key in self.users:
            try:
                return get_user(settings, self.users[key]).id
            except StylistError:
                pass  # deleted since: personalise again

        photos = sorted(path for path in Path(cell.user).iterdir() if path.suffix.lower() in PHOTO_SUFFIXES)
        preset = get_preset(settings.preset)
        user = add_user(settings, f"{Path(cell.user).name} · {cell.system.name}", photos, crop_size=preset.resolution)
        if cell.system.identity in ("dreambooth", "lora"):
            from stylist.identity.dreambooth import train_identity
            from stylist.identity.dreambooth_config import default_config

            config = default_config(preset)
            config = replace(config, unet="full" if cell.system.identity == "dreambooth" else "lora")
            if self.train_steps:
                config = replace(config, steps=self.train_steps)
            if cell.setting:
                value = int(cell.value) if cell.setting in ("rank", "steps") else cell.value
                config = replace(config, **{cell.setting: value})
            train_identity(settings, user.id, config)
        self.users[key] = user.id
        self.users_file.write_text(json.dumps(self.users, indent=2))
        return user.id

    def _measure(self, settings: Settings, cell: Cell, look, user_id: str, cost: dict) -> dict[str, float]:
        from stylist.people.users import get_user

        clip, dino, fashion = self._metric_models(settings)
        images = [Image.open(option.image).convert("RGB") for option in look.options]
        faces = [Image.open(path).convert("RGB") for path in get_user(settings, user_id).crops]
        metrics = {
            "clip_t": prompt_fidelity(clip.embed_images, clip.embed_texts, images, [cell.prompt] * len(images)),
            "clip_i_person": subject_fidelity(clip.embed_images, images, faces),
            "dino_person": subject_fidelity(dino, images, faces),
            "seconds": cost["seconds"],
            "peak_memory_mb": cost.get("peak_gpu_mb", cost.get("peak_rss_mb")),
        }
        metrics |= self._product_fidelity(settings, look, images, {"clip_i": clip.embed_images, "dino": dino,
                                                                   "fashion_clip": fashion.embed_images})
        pasted = copy_paste(images, faces)
        metrics["face_copy"], metrics["copy_paste"] = pasted.similarity, pasted.copied
        face_embedder = self._face_embedder()
        if face_embedder is not None:
            scores = identity_similarity(face_embedder, images, faces, min_face_px=LOOK_MIN_FACE_PX)
            metrics["identity"], metrics["faces_found"] = scores.similarity, scores.faces_found
        return metrics

    def _product_fidelity(self, settings: Settings, look, images: list[Image.Image],
                          embedders: dict[str, ImageEmbedder]) -> dict[str, float]:
        """Each embedder's similarity of every option to the pictures of the products it lists, whole and by
        garment region, averaged over options; and the share of those products drawn from their own photos.

        The listed products are measured, not only the referenced ones, so that a system that names the products
        in its prompt alone (no references) is scored against the same garments as one that drew from them.
        """
        from stylist.catalog.store import CatalogStore
        from stylist.looks.outfits import slot_of
        from stylist.people.photos import find_faces

        listed = [int(product["id"]) for option in look.options for product in option.products]
        with CatalogStore(settings) as store:
            slots = {product.id: slot_of(product) for product in store.products(ids=listed, include_unavailable=True)}
        by_metric: dict[str, list[float]] = {}
        referenced = []
        for image, option in zip(images, look.options, strict=True):
            pictures = [(slots.get(int(p["id"]), "accessory"), Image.open(p["image"]).convert("RGB"))
                        for p in option.products if Path(p["image"]).is_file()]
            if not pictures:
                continue
            referenced.append(len(option.references) / len(option.products))
            face = next(iter(find_faces(image, LOOK_MIN_FACE_PX)), None)
            for name, embed in embedders.items():
                scores = product_fidelity(embed, image, pictures, face)
                by_metric.setdefault(f"{name}_products", []).append(scores.whole)
                by_metric.setdefault(f"{name}_products_region", []).append(scores.region)
        metrics = {name: sum(values) / len(values) for name, values in by_metric.items()}
        if referenced:
            metrics["products_referenced"] = sum(referenced) / len(referenced)
        return metrics

    def _metric_models(self, settings: Settings) -> tuple:
        """The evaluation CLIP, DINO and the data directory's fashion CLIP, for the cell's preset."""
        if settings.preset not in self.metric_models:
            from stylist.grounding.fashion_clip import FashionClip
            from stylist.presets import get_preset

            preset = get_preset(settings.preset)
            self.metric_models[settings.preset] = (
                evaluation_clip(settings.preset, ranker=(preset.clip_model, preset.clip_pretrained)),
                dino_embedder(settings.preset),
                FashionClip.load(settings),
            )
        return self.metric_models[settings.preset]

    def _face_embedder(self) -> ImageEmbedder | None:
        """SFace when its file is there; without it identity similarity is left out, and the report says so."""
        if self.face_embedder is None and not self.warnings:
            try:
                self.face_embedder = sface_embedder()
            except StylistError as error:
                self.warnings.append(f"identity similarity left out: {error}")
        return self.face_embedder
