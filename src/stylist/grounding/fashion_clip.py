"""The fashion CLIP: an OpenCLIP backbone with residual adapters on both towers, loaded once per process.

Importable without the trainer (train.py): the looks pipeline and the worker only embed. Files of a
fine-tuned model, per preset:

    <data_dir>/models/clip/<preset>/model.safetensors   every weight, with the config in its metadata
    <data_dir>/models/clip/<preset>/clip.json           the same config, what it was trained on and its scores

The base model is the preset's backbone with identity adapters: `tiny` is built from a fixed seed (random
weights, offline); real presets read open_clip's checkpoint through models.loading, and every weight of
the architecture must be in it (open_clip's `pretrained=None` would silently start from random weights).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import open_clip
import torch
import torch.nn.functional as F
from PIL import Image
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import nn

from stylist.catalog.export import product_text
from stylist.catalog.products import StoredProduct
from stylist.errors import StylistError
from stylist.files import replacing, write_atomic
from stylist.imaging import ImageRejected, load_image
from stylist.models.device import resolve_device
from stylist.models.locate import model_folder
from stylist.models.residency import RESIDENCY
from stylist.models.weights import OPEN_CLIP_FILE, clip_weights
from stylist.presets import TINY_CLIP_MODEL, Preset, get_preset
from stylist.settings import Settings

TINY_SEED = 0  # the tiny base model's weights are drawn from this seed, so every process builds the same one
WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "clip.json"
BATCH = 128  # images or texts embedded per forward pass
# The part of a fused product embedding that comes from its images; the rest comes from its text.
IMAGE_SHARE = 0.5


@dataclass(frozen=True)
class ClipConfig:
    """What a FashionClip is built from: the backbone, its adapters and the loss it was trained with."""

    backbone: str  # open_clip model name
    pretrained: str | None  # open_clip pretrained tag of the base weights; None: random from TINY_SEED
    adapter_hidden: int  # width of the residual MLP adapters on each tower's output (0: none)
    loss: str = "clip"  # "clip" (symmetric InfoNCE) or "siglip" (pairwise sigmoid)

    @classmethod
    def for_preset(cls, preset: Preset, loss: str = "clip") -> ClipConfig:
        return cls(preset.clip_model, preset.clip_pretrained, adapter_hidden=0, loss=loss)


class ResidualAdapter(nn.Module):
    """x + MLP(LayerNorm(x)); the last layer starts at zero, so a new adapter leaves the backbone's output as is."""

    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.up = nn.Linear(dim, hidden)
        self.down = nn.Linear(hidden, dim)
        nn.init.zeros_(self.down.weight)
        nn.init.zeros_(self.down.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.down(F.gelu(self.up(self.norm(x))))


class FashionClip(nn.Module):
    """Embeds texts, images and products into one space; `dim` is its width."""

    def __init__(self, config: ClipConfig):
        super().__init__()
        self.config = config
        if config.backbone == TINY_CLIP_MODEL:
            from stylist.models.tiny import register_tiny_clip  # imports diffusers: only tiny needs it

            register_tiny_clip()
        with _quiet_open_clip():  # it warns that weights are random; they are filled below or on purpose (tiny)
            self.backbone, _, self.preprocess = open_clip.create_model_and_transforms(config.backbone, pretrained=None)
        self.tokenizer = open_clip.get_tokenizer(config.backbone)
        self.dim = self.backbone.text_projection.shape[1]
        hidden = config.adapter_hidden or 2 * self.dim
        self.image_adapter = ResidualAdapter(self.dim, hidden)
        self.text_adapter = ResidualAdapter(self.dim, hidden)
        # Own temperature (and SigLIP bias) so both losses start from their papers' values.
        if config.loss == "siglip":
            self.logit_scale = nn.Parameter(torch.tensor(math.log(10.0)))
            self.logit_bias = nn.Parameter(torch.tensor(-10.0))
        else:
            self.logit_scale = nn.Parameter(self.backbone.logit_scale.detach().clone().reshape(()))
            self.logit_bias = None
        self.source = "base"  # "base", or the path of the fine-tuned weights it was loaded from
        self.signature = "base"  # changes whenever the weights do: indexes built with another model are stale

    # --- loading ------------------------------------------------------------------------------------------

    @classmethod
    def load(cls, settings: Settings, *, which: str = "best") -> FashionClip:
        """The fine-tuned model of the settings' preset ("best", when one was trained) or its base ("base").

        Cached per process and device; a model saved again on disk since is read again.
        """
        if which not in ("best", "base"):
            raise ValueError(f"which must be 'best' or 'base', not {which!r}")
        preset = get_preset(settings.preset)
        device = resolve_device(settings.device)
        weights = model_dir(settings) / WEIGHTS_FILE
        fine_tuned = which == "best" and weights.exists()
        stamp = _file_stamp(weights) if fine_tuned else "base"
        key = ("fashion CLIP", preset.name, str(settings.data_dir), "best" if fine_tuned else "base", str(device))

        def build() -> FashionClip:
            model = cls.from_file(weights) if fine_tuned else cls.base(preset)
            model.signature = _signature(preset, stamp)
            return model.to(device).eval()

        return RESIDENCY.load(key, build, device=str(device), stamp=_signature(preset, stamp))

    @classmethod
    def base(cls, preset: Preset, config: ClipConfig | None = None) -> FashionClip:
        """The preset's backbone with identity adapters: the model before any fine-tuning."""
        config = config or ClipConfig.for_preset(preset)
        # Adapters and tiny backbones are drawn from a fixed seed without disturbing the caller's random state.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(TINY_SEED)
            model = cls(config)
        if config.pretrained is not None:
            model._load_pretrained(preset)
        return model.eval()

    def _load_pretrained(self, preset: Preset) -> None:
        weights = clip_weights(preset)
        checkpoint = model_folder(weights, preset) / OPEN_CLIP_FILE
        if not checkpoint.is_file():
            raise StylistError(f"the {preset.name} preset's CLIP ({self.config.backbone} {self.config.pretrained}) "
                               f"has no {checkpoint.name} in {checkpoint.parent}: {weights.how_to_get()}")
        incompatible = open_clip.load_checkpoint(self.backbone, str(checkpoint), strict=False)
        if incompatible.missing_keys:
            missing = incompatible.missing_keys
            raise StylistError(f"the copy of {weights.repo} in {checkpoint.parent} is incomplete (it lacks "
                               f"{len(missing)} weights, such as {missing[0]}): {weights.how_to_get()}")
        self.logit_scale.data.copy_(self.backbone.logit_scale.detach().reshape(()))

    @classmethod
    def from_file(cls, path: Path) -> FashionClip:
        """A saved model; every weight its architecture has must be in the file."""
        path = Path(path)
        try:
            with safe_open(str(path), framework="pt") as file:
                config = ClipConfig(**json.loads(file.metadata()["config"]))
                state = {name: file.get_tensor(name) for name in file.keys()}  # noqa: SIM118 — safe_open has keys() but cannot be iterated
        except (OSError, KeyError, ValueError, TypeError, SafetensorError) as error:
            raise StylistError(f"the fine-tuned CLIP {path} cannot be read ({error}): train it again with "
                               "`stylist clip train`") from error
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(TINY_SEED)
            model = cls(config)
        missing = sorted(set(model.state_dict()) - set(state))
        wrong = [name for name, tensor in model.state_dict().items()
                 if name in state and state[name].shape != tensor.shape]
        if missing or wrong:
            example = (missing or wrong)[0]
            raise StylistError(f"the fine-tuned CLIP {path} is incomplete or of another architecture "
                               f"({len(missing) + len(wrong)} weights missing or mis-shaped, such as {example}): "
                               "train it again with `stylist clip train`")
        model.load_state_dict(state, strict=False)  # extra tensors in the file are tolerated, missing ones are not
        model.source = str(path)
        return model.eval()

    def save(self, folder: Path, info: dict | None = None) -> Path:
        """Write model.safetensors (atomically) and clip.json into `folder`; returns the weights' path."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        config = json.dumps(asdict(self.config))
        state = {name: tensor.detach().to("cpu", torch.float32).contiguous() for name, tensor in self.state_dict().items()}
        weights = folder / WEIGHTS_FILE
        with replacing(weights) as partial:
            save_file(state, str(partial), metadata={"config": config})
        description = {"config": asdict(self.config), **(info or {})}
        write_atomic(folder / CONFIG_FILE, json.dumps(description, indent=2) + "\n")
        return weights

    # --- embedding ----------------------------------------------------------------------------------------

    @property
    def device(self) -> torch.device:
        return self.logit_scale.device

    @property
    def image_size(self) -> int:
        size = self.backbone.visual.image_size
        return size[0] if isinstance(size, tuple) else size

    def encode_pixels(self, pixels: torch.Tensor) -> torch.Tensor:
        """Preprocessed images (N, 3, H, W) → L2-normalised embeddings, with gradients (for training)."""
        return F.normalize(self.image_adapter(self.backbone.encode_image(pixels)).float(), dim=-1)

    def encode_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        """Token ids (N, context) → L2-normalised embeddings, with gradients (for training)."""
        return F.normalize(self.text_adapter(self.backbone.encode_text(tokens)).float(), dim=-1)

    def pixels(self, images: Sequence[Image.Image]) -> torch.Tensor:
        return torch.stack([self.preprocess(image.convert("RGB")) for image in images])

    @torch.no_grad()
    def embed_texts(self, texts: Sequence[str]) -> torch.Tensor:
        """(N, dim) float32, L2-normalised, on the CPU."""
        parts = [torch.empty(0, self.dim)]
        for start in range(0, len(texts), BATCH):
            tokens = self.tokenizer(list(texts[start : start + BATCH])).to(self.device)
            with self._autocast():
                parts.append(self.encode_tokens(tokens).float().cpu())
        return torch.cat(parts)

    @torch.no_grad()
    def embed_images(self, images: Sequence[Image.Image]) -> torch.Tensor:
        """(N, dim) float32, L2-normalised, on the CPU."""
        parts = [torch.empty(0, self.dim)]
        for start in range(0, len(images), BATCH):
            pixels = self.pixels(images[start : start + BATCH]).to(self.device)
            with self._autocast():
                parts.append(self.encode_pixels(pixels).float().cpu())
        return torch.cat(parts)

    @torch.no_grad()
    def embed_products(self, products: Sequence[StoredProduct], max_images: int = 3) -> torch.Tensor:
        """(N, dim): each product's text and mean image embedding, fused; text alone when it has no readable image."""
        texts = self.embed_texts([product_text(product) for product in products])
        images, owners = [], []
        for row, product in enumerate(products):
            for path in product.images[:max_images]:
                image = catalog_image(path)
                if image is not None:
                    images.append(image)
                    owners.append(row)
        sums = torch.zeros(len(products), self.dim)
        if images:
            sums.index_add_(0, torch.tensor(owners), self.embed_images(images))
        has_image = sums.norm(dim=-1, keepdim=True) > 0
        visual = F.normalize(sums, dim=-1)
        fused = torch.where(has_image, IMAGE_SHARE * visual + (1 - IMAGE_SHARE) * texts, texts)
        return F.normalize(fused, dim=-1)

    def _autocast(self):
        # bf16 on GPUs for throughput; the CPU stays in fp32, as everywhere in stylist.
        return torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.device.type == "cuda")


def model_dir(settings: Settings) -> Path:
    """Where the preset's fine-tuned CLIP lives."""
    return settings.data_dir / "models" / "clip" / settings.preset


def catalog_image(path: Path) -> Image.Image | None:
    """One of the catalog's normalised images, or None when its file is gone or unreadable."""
    try:
        return load_image(Path(path).read_bytes())
    except (OSError, ImageRejected):
        return None


def _signature(preset: Preset, stamp: str) -> str:
    return f"{preset.name}:{stamp}"


def _file_stamp(path: Path) -> str:
    status = path.stat()
    return f"{status.st_mtime_ns}:{status.st_size}"


@contextmanager
def _quiet_open_clip():
    logger = logging.getLogger()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
