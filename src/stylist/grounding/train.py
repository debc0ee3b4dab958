"""The fashion CLIP's trainer, behind `stylist clip train`: contrastive fine-tuning on the catalog's image–text pairs.

Reads top to bottom: config, data, model, optimiser, loop, checkpoint, output. Each epoch visits every
training product once, with one of its texts and one of its images drawn at random, so a batch never
holds the same product twice (two copies would be each other's false negatives). After each epoch the
held-out products are scored (text→image R@5, then MRR); the best epoch is what gets saved, and training
stops when `patience` epochs in a row bring nothing better. Epoch 0 is the starting model: if nothing
beats it, the saved model is the starting model.

CPU recipe (`tiny`): the whole small ViT trains from scratch at 32 px, batch 64, lr 5e-3. GPU recipe
(real presets): adapters and the last 2 blocks of each ViT-B-32 tower, batch 128, lr 1e-5 for the
backbone and 1e-4 for the adapters, bf16 autocast.

    <data_dir>/models/clip/<preset>/training/checkpoint.pt     the latest epoch, for `resume`
    <data_dir>/models/clip/<preset>/training/best.safetensors  the best epoch so far
"""

from __future__ import annotations

import math
import shutil
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
from open_clip.loss import ClipLoss, SigLipLoss
from safetensors.torch import load_file, save_file

from stylist.catalog.export import product_text
from stylist.catalog.store import StoredProduct
from stylist.errors import StylistError
from stylist.files import replacing
from stylist.grounding.data import Split, catalog_pairs, product_texts
from stylist.grounding.evaluate import Retrieval, retrieval
from stylist.grounding.fashion_clip import ClipConfig, FashionClip, catalog_image, model_dir
from stylist.models.device import resolve_device
from stylist.models.presets import Preset, get_preset
from stylist.progress import Progress, ProgressCallback, ignore
from stylist.settings import Settings

MAX_LOGIT_SCALE = math.log(100)  # CLIP's clamp: a temperature below 0.01 makes the loss unstable
MAX_IMAGES = 5  # per product, as the catalog exports them
MAX_EARLY_STOP_QUERIES = 1000  # held-out products scored after each epoch (all of them in `stylist clip eval`)
CACHE_BYTES = 1 << 30  # preprocessed images kept in memory; beyond this they are read again each epoch


@dataclass(frozen=True)
class TrainConfig:
    epochs: int
    batch_size: int
    learning_rate: float  # of the backbone's trained blocks
    adapter_learning_rate: float  # of the adapters and the temperature
    unfreeze: int  # trained blocks at the end of each tower; -1 trains the whole backbone
    patience: int  # epochs without a better held-out R@5 before stopping
    loss: str = "clip"  # "clip" (symmetric InfoNCE) or "siglip"
    weight_decay: float = 0.1
    warmup: float = 0.05  # share of the steps spent warming the learning rate up
    seed: int = 0
    held_out: float = 0.2  # share of products held out, never trained on
    augment: bool = True  # horizontal flips

    def with_overrides(self, **changes) -> TrainConfig:
        return replace(self, **{key: value for key, value in changes.items() if value is not None})


def default_config(preset: Preset | str) -> TrainConfig:
    preset = get_preset(preset) if isinstance(preset, str) else preset
    if preset.clip_pretrained is None:  # random weights: learn everything, fast, from scratch
        return TrainConfig(epochs=60, batch_size=64, learning_rate=5e-3, adapter_learning_rate=5e-3, unfreeze=-1,
                           patience=15)
    return TrainConfig(epochs=10, batch_size=128, learning_rate=1e-5, adapter_learning_rate=1e-4, unfreeze=2,
                       patience=3)


@dataclass
class TrainingResult:
    preset: str
    epochs: int  # run, the starting model not counted
    best_epoch: int  # 0: nothing beat the starting model
    stopped_early: bool
    train_products: int
    held_out_products: int
    start: Retrieval  # held-out scores of the starting model
    best: Retrieval  # and of the saved one
    losses: list[float]  # every step's loss, across resumes
    seconds: float
    weights: Path

    def to_json(self) -> dict:
        return {
            "preset": self.preset, "epochs": self.epochs, "best_epoch": self.best_epoch,
            "stopped_early": self.stopped_early, "train_products": self.train_products,
            "held_out_products": self.held_out_products, "start": self.start.to_json(), "best": self.best.to_json(),
            "final_loss": self.losses[-1] if self.losses else None, "seconds": round(self.seconds, 2),
            "weights": str(self.weights),
        }


def train_clip(settings: Settings, config: TrainConfig | None = None, *, resume: bool = False,
               on_progress: ProgressCallback | None = None) -> TrainingResult:
    """Fine-tune the preset's CLIP on the purchasable catalog and save the best epoch to models/clip/<preset>/."""
    started = time.perf_counter()
    preset = get_preset(settings.preset)
    config = config or default_config(preset)
    if config.loss not in ("clip", "siglip"):
        raise StylistError(f"unknown loss {config.loss!r}: choose clip or siglip")
    report = on_progress or ignore
    device = resolve_device(settings.device)
    folder = model_dir(settings)
    run = folder / "training"

    # Data: products split by seed; texts tokenised once; images preprocessed once while they fit in memory.
    pairs = catalog_pairs(settings, Split(config.seed, config.held_out))
    train, held_out = pairs.train, pairs.held_out[:MAX_EARLY_STOP_QUERIES]
    checkpoint = _read_checkpoint(run, config, train) if resume else None
    if checkpoint is None:
        shutil.rmtree(run, ignore_errors=True)  # a fresh run never resumes an older run's checkpoint

    # Model: the preset's base, with the chosen part of it trainable.
    model = FashionClip.base(preset, ClipConfig(preset.clip_model, preset.clip_pretrained, 0, config.loss))
    model.to(device)
    set_trainable(model, config.unfreeze)
    images = ImageBank(model, train)
    texts = [model.tokenizer(product_texts(product)) for product in train]
    held_out_pixels = torch.stack([images.preprocess(product.images[0]) for product in held_out])
    held_out_tokens = model.tokenizer([product_text(product) for product in held_out])

    # Optimiser: AdamW without decay on gains, biases, embeddings and the temperature; warm-up, cosine decay.
    optimizer = make_optimizer(model, config)
    steps_per_epoch = max(1, len(train) // config.batch_size)
    total_steps = config.epochs * steps_per_epoch
    warmup = max(1, round(config.warmup * total_steps))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: _schedule(step, warmup, total_steps))
    loss_function = SigLipLoss() if config.loss == "siglip" else ClipLoss()

    def score() -> tuple[Retrieval, tuple[float, float]]:
        model.eval()
        with torch.no_grad(), model._autocast():
            scores = retrieval(model.encode_tokens(held_out_tokens.to(device)).cpu(),
                               model.encode_pixels(held_out_pixels.to(device)).cpu())
        return scores, (scores.r5, scores.mrr)

    if checkpoint is None:
        start, best_key = score()
        state = {"epoch": 0, "best_epoch": 0, "best_key": best_key, "bad_epochs": 0, "losses": [],
                 "start": asdict(start), "best": asdict(start)}
        run.mkdir(parents=True, exist_ok=True)
        save_file(_cpu_state(model), str(run / "best.safetensors"))
    else:
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        scheduler.load_state_dict(checkpoint["scheduler"])
        state = checkpoint["state"]

    # Loop.
    stopped_early = False
    for epoch in range(state["epoch"] + 1, config.epochs + 1):
        if state["bad_epochs"] >= config.patience:
            stopped_early = True
            break
        model.train()
        generator = torch.Generator().manual_seed(config.seed * 1_000_003 + epoch)  # resumable: one per epoch
        order = torch.randperm(len(train), generator=generator)
        for step in range(steps_per_epoch):
            rows = order[step * config.batch_size : (step + 1) * config.batch_size].tolist()
            pixels, tokens = _batch(rows, train, texts, images, generator, config.augment)
            with model._autocast():
                image_vectors = model.encode_pixels(pixels.to(device))
                text_vectors = model.encode_tokens(tokens.to(device))
            scale = model.logit_scale.exp()
            if model.logit_bias is not None:
                loss = loss_function(image_vectors, text_vectors, scale, model.logit_bias)
            else:
                loss = loss_function(image_vectors, text_vectors, scale)
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            with torch.no_grad():
                model.logit_scale.clamp_(max=MAX_LOGIT_SCALE)
            state["losses"].append(loss.item())
            report(Progress("training", (epoch - 1) * steps_per_epoch + step + 1, total_steps, loss=loss.item(),
                            details={"epoch": epoch}))
        scores, key = score()
        state["epoch"] = epoch
        if key > tuple(state["best_key"]):
            state.update(best_epoch=epoch, best_key=key, bad_epochs=0, best=asdict(scores))
            with replacing(run / "best.safetensors") as partial:
                save_file(_cpu_state(model), str(partial))
        else:
            state["bad_epochs"] += 1
        _write_checkpoint(run, model, optimizer, scheduler, state, config, train)
        # The epoch's end: its held-out score, which decides the best epoch and early stopping.
        report(Progress("training", epoch * steps_per_epoch, total_steps,
                        loss=state["losses"][-1] if state["losses"] else None,
                        details={"epoch": epoch, "held_out_r5": round(scores.r5, 4)}))

    # Output: the best epoch, with what it was trained on; the checkpoints go.
    model.load_state_dict(load_file(str(run / "best.safetensors")))
    info = {
        "preset": preset.name, "train": asdict(config), "split": asdict(Split(config.seed, config.held_out)),
        "train_products": len(train), "held_out_products": len(pairs.held_out), "epochs": state["epoch"],
        "best_epoch": state["best_epoch"], "start": state["start"], "best": state["best"],
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    weights = model.save(folder, info)
    shutil.rmtree(run, ignore_errors=True)
    return TrainingResult(
        preset=preset.name, epochs=state["epoch"], best_epoch=state["best_epoch"], stopped_early=stopped_early,
        train_products=len(train), held_out_products=len(pairs.held_out), start=Retrieval(**state["start"]),
        best=Retrieval(**state["best"]), losses=state["losses"], seconds=time.perf_counter() - started,
        weights=weights,
    )


def set_trainable(model: FashionClip, unfreeze: int) -> None:
    """Adapters and temperature always train; of the backbone, all (-1), nothing (0) or the last N blocks of each tower."""
    backbone = model.backbone
    model.requires_grad_(True)
    if unfreeze < 0:
        return
    backbone.requires_grad_(False)
    if unfreeze == 0:
        return
    visual = backbone.visual
    for block in visual.transformer.resblocks[-unfreeze:]:
        block.requires_grad_(True)
    for block in backbone.transformer.resblocks[-unfreeze:]:
        block.requires_grad_(True)
    # The layers after the last block belong to it: its norm and each tower's projection.
    visual.ln_post.requires_grad_(True)
    backbone.ln_final.requires_grad_(True)
    for projection in (visual.proj, backbone.text_projection):
        if projection is not None:
            projection.requires_grad_(True)


def make_optimizer(model: FashionClip, config: TrainConfig) -> torch.optim.AdamW:
    groups: dict[tuple[bool, bool], list[torch.nn.Parameter]] = {}
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        new = not name.startswith("backbone.")
        decay = parameter.ndim >= 2 and "embedding" not in name
        groups.setdefault((new, decay), []).append(parameter)
    return torch.optim.AdamW(
        [{"params": parameters, "weight_decay": config.weight_decay if decay else 0.0,
          "lr": config.adapter_learning_rate if new else config.learning_rate}
         for (new, decay), parameters in groups.items()],
        betas=(0.9, 0.98), eps=1e-6,  # CLIP's: a lower beta2 keeps large-batch contrastive training stable
    )


class ImageBank:
    """Each training product's images, preprocessed for the model, kept in memory while they fit."""

    def __init__(self, model: FashionClip, products: list[StoredProduct]):
        self.preprocess_image = model.preprocess
        size = model.image_size
        count = sum(min(len(product.images), MAX_IMAGES) for product in products)
        self.cached = count * 3 * size * size * 4 <= CACHE_BYTES
        self.memory: dict[Path, torch.Tensor] = {}

    def preprocess(self, path: Path) -> torch.Tensor:
        pixels = self.memory.get(path)
        if pixels is None:
            image = catalog_image(path)
            if image is None:
                raise StylistError(f"the catalog image {path} cannot be read any more: run `stylist catalog refresh`")
            pixels = self.preprocess_image(image)
            if self.cached:
                self.memory[path] = pixels
        return pixels


def _batch(rows, products, texts, images: ImageBank, generator: torch.Generator,
           augment: bool) -> tuple[torch.Tensor, torch.Tensor]:
    pixels, tokens = [], []
    for row in rows:
        product, choices = products[row], texts[row]
        paths = product.images[:MAX_IMAGES]
        image = images.preprocess(paths[int(torch.randint(len(paths), (1,), generator=generator))])
        if augment and torch.rand((), generator=generator) < 0.5:
            image = image.flip(-1)
        pixels.append(image)
        tokens.append(choices[int(torch.randint(len(choices), (1,), generator=generator))])
    return torch.stack(pixels), torch.stack(tokens)


def _schedule(step: int, warmup: int, total: int) -> float:
    if step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return 0.5 * (1 + math.cos(math.pi * progress))


def _cpu_state(model: FashionClip) -> dict[str, torch.Tensor]:
    return {name: tensor.detach().to("cpu", torch.float32).contiguous().clone()
            for name, tensor in model.state_dict().items()}


def _write_checkpoint(run: Path, model, optimizer, scheduler, state: dict, config: TrainConfig,
                      train: list[StoredProduct]) -> None:
    checkpoint = {"model": _cpu_state(model), "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                  "state": state, "config": asdict(config), "products": [product.id for product in train]}
    with replacing(run / "checkpoint.pt") as partial:
        torch.save(checkpoint, partial)


def _read_checkpoint(run: Path, config: TrainConfig, train: list[StoredProduct]) -> dict:
    path = run / "checkpoint.pt"
    if not path.exists():
        raise StylistError("there is no interrupted CLIP training to resume: train without --resume")
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    if checkpoint["config"] != asdict(config):
        changed = sorted(key for key, value in asdict(config).items() if checkpoint["config"].get(key) != value)
        raise StylistError(f"the interrupted CLIP training ran with other settings ({', '.join(changed)}): resume "
                           "with the same flags, or train without --resume")
    if checkpoint["products"] != [product.id for product in train]:
        raise StylistError("the catalog changed since the CLIP training was interrupted: train without --resume")
    return checkpoint
