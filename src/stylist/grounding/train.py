"""The fashion CLIP's trainer, behind `stylist clip train`: contrastive fine-tuning on the catalog's image–text pairs.

Reads top to bottom: config, data, model, optimiser, loop, checkpoint, output. Training counts optimiser
steps, not epochs: on a small catalog an "epoch" of `len(train) // batch_size` steps is one step or none,
so a recipe in epochs would hardly train there. Each step draws a batch of distinct training products
(two copies would be each other's false negatives), with one of each one's texts and images at random.
Every `eval_every` steps the validation products are scored (text→image MRR, then the contrastive loss);
the best check is what gets saved, and training stops when `patience` checks in a row bring nothing better. Step 0 is the
starting model: if nothing beats it, the saved model is the starting model. The held-out products take no
part in these choices: they are scored before and after, for the report (and `clip eval`) alone.
`epochs`, when given, is a number of passes over the training products, turned into steps.

CPU recipe (`tiny`): the whole small ViT trains from scratch at 32 px, batch 64, lr 5e-3, 300 steps. GPU
recipe (real presets): adapters and the last 2 blocks of each ViT-B-32 tower, batch 128, lr 1e-5 for the
backbone and 1e-4 for the adapters, bf16 autocast, 1,000 steps.

    <data_dir>/models/clip/<preset>/training/checkpoint.pt     the latest check, for `resume`
    <data_dir>/models/clip/<preset>/training/best.safetensors  the best check so far
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
from stylist.catalog.products import StoredProduct
from stylist.errors import StylistError
from stylist.files import replacing
from stylist.grounding.data import Split, catalog_pairs, product_texts
from stylist.grounding.fashion_clip import ClipConfig, FashionClip, catalog_image, model_dir
from stylist.grounding.retrieval_metrics import Retrieval, retrieval
from stylist.models.device import resolve_device
from stylist.presets import Preset, get_preset
from stylist.progress import Progress, ProgressCallback, ignore
from stylist.settings import Settings

MAX_LOGIT_SCALE = math.log(100)  # CLIP's clamp: a temperature below 0.01 makes the loss unstable
CHECK_LOGIT_SCALE = 1 / 0.07  # CLIP's starting temperature, at which validation losses are compared
MAX_IMAGES = 5  # per product, as the catalog exports them
MAX_EARLY_STOP_QUERIES = 1000  # validation products scored at each check
CACHE_BYTES = 1 << 30  # preprocessed images kept in memory; beyond this they are read again each step


@dataclass(frozen=True)
class TrainConfig:
    steps: int  # optimiser steps, each one batch of distinct training products
    batch_size: int  # at most; a catalog with fewer training products uses them all in each batch
    learning_rate: float  # of the backbone's trained blocks
    adapter_learning_rate: float  # of the adapters and the temperature
    unfreeze: int  # trained blocks at the end of each tower; -1 trains the whole backbone
    patience: int  # validation checks without a better validation R@5 before stopping
    eval_every: int  # steps between validation checks
    epochs: int | None = None  # when given: passes over the training products, in place of `steps`
    loss: str = "clip"  # "clip" (symmetric InfoNCE) or "siglip"
    weight_decay: float = 0.1
    warmup: float = 0.05  # share of the steps spent warming the learning rate up
    seed: int = 0
    held_out: float = 0.2  # share of products held out, never trained on, reported on only
    validation: float = 0.1  # share of products never trained on that choose the checkpoint
    augment: bool = True  # horizontal flips

    def total_steps(self, train_products: int) -> int:
        if self.epochs is None:
            return self.steps
        return self.epochs * math.ceil(train_products / min(self.batch_size, train_products))

    def with_overrides(self, **changes) -> TrainConfig:
        return replace(self, **{key: value for key, value in changes.items() if value is not None})


def default_config(preset: Preset | str) -> TrainConfig:
    preset = get_preset(preset) if isinstance(preset, str) else preset
    if preset.clip_pretrained is None:  # random weights: learn everything, fast, from scratch
        return TrainConfig(steps=300, batch_size=64, learning_rate=5e-3, adapter_learning_rate=5e-3, unfreeze=-1,
                           patience=8, eval_every=25)
    return TrainConfig(steps=1000, batch_size=128, learning_rate=1e-5, adapter_learning_rate=1e-4, unfreeze=2,
                       patience=3, eval_every=100)


@dataclass
class TrainingResult:
    preset: str
    steps: int  # run
    best_step: int  # 0: nothing beat the starting model
    stopped_early: bool
    train_products: int
    validation_products: int
    held_out_products: int
    start: Retrieval  # held-out scores of the starting model
    best: Retrieval  # and of the saved one
    validation: Retrieval  # validation scores of the saved one, which chose it
    losses: list[float]  # every step's loss, across resumes
    seconds: float
    weights: Path
    epochs: float  # passes over the training products the steps made

    def to_json(self) -> dict:
        return {
            "preset": self.preset, "steps": self.steps, "best_step": self.best_step, "epochs": round(self.epochs, 2),
            "stopped_early": self.stopped_early, "train_products": self.train_products,
            "validation_products": self.validation_products, "held_out_products": self.held_out_products,
            "start": self.start.to_json(), "best": self.best.to_json(), "validation": self.validation.to_json(),
            "final_loss": self.losses[-1] if self.losses else None, "seconds": round(self.seconds, 2),
            "weights": str(self.weights),
        }


def train_clip(settings: Settings, config: TrainConfig | None = None, *, resume: bool = False,
               on_progress: ProgressCallback | None = None) -> TrainingResult:
    """Fine-tune the preset's CLIP on the purchasable catalog and save the best check to models/clip/<preset>/."""
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
    split = Split(config.seed, config.held_out, config.validation)
    pairs = catalog_pairs(settings, split)
    train, validation, held_out = pairs.train, pairs.validation[:MAX_EARLY_STOP_QUERIES], pairs.held_out
    checkpoint = _read_checkpoint(run, config, train) if resume else None
    if checkpoint is None:
        shutil.rmtree(run, ignore_errors=True)  # a fresh run never resumes an older run's checkpoint

    # Model: the preset's base, with the chosen part of it trainable.
    model = FashionClip.base(preset, ClipConfig(preset.clip_model, preset.clip_pretrained, 0, config.loss))
    model.to(device)
    set_trainable(model, config.unfreeze)
    images = ImageBank(model, train)
    texts = [model.tokenizer(product_texts(product)) for product in train]
    # Validation texts look for their image among the training products' images too: a handful of validation
    # products alone are soon all found first, and a larger gallery keeps telling checks apart.
    galleries = {"validation": validation + train[:MAX_EARLY_STOP_QUERIES], "held_out": held_out}
    queries = {name: (model.tokenizer([product_text(product) for product in products]),
                      torch.stack([images.preprocess(product.images[0]) for product in galleries[name]]))
               for name, products in (("validation", validation), ("held_out", held_out))}

    # Optimiser: AdamW without decay on gains, biases, embeddings and the temperature; warm-up, cosine decay.
    optimizer = make_optimizer(model, config)
    batch_size = min(config.batch_size, len(train))
    total_steps = config.total_steps(len(train))
    eval_every = max(1, min(config.eval_every, total_steps))
    warmup = max(1, round(config.warmup * total_steps))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: _schedule(step, warmup, total_steps))
    loss_function = SigLipLoss() if config.loss == "siglip" else ClipLoss()

    def score(which: str) -> tuple[Retrieval, tuple[float, float]]:
        """Text→image retrieval of the validation or held-out products, and the key a check is judged by:
        MRR, then the text→image loss, which still tells models apart when every query is found first."""
        tokens, pixels = queries[which]
        model.eval()
        with torch.no_grad(), model._autocast():
            text_vectors = model.encode_tokens(tokens.to(device)).float()
            image_vectors = model.encode_pixels(pixels.to(device)).float()
            # At CLIP's starting temperature, not the learned one: a sharper temperature alone would raise the loss.
            logits = CHECK_LOGIT_SCALE * text_vectors @ image_vectors.T
            loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(logits), device=logits.device))
        scores = retrieval(text_vectors.cpu(), image_vectors.cpu())
        return scores, (round(scores.mrr, 6), -loss.item())

    if checkpoint is None:
        checked, key = score("validation")
        state = {"step": 0, "best_step": 0, "best_key": key, "bad_checks": 0, "losses": [],
                 "start": asdict(score("held_out")[0]), "validation": asdict(checked)}
        run.mkdir(parents=True, exist_ok=True)
        save_file(_cpu_state(model), str(run / "best.safetensors"))
    else:
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        scheduler.load_state_dict(checkpoint["scheduler"])
        state = checkpoint["state"]

    # Loop: a batch of distinct products per step, checked on the validation products every `eval_every` steps.
    stopped_early = False
    for step in range(state["step"] + 1, total_steps + 1):
        if state["bad_checks"] >= config.patience:
            stopped_early = True
            break
        model.train()
        generator = torch.Generator().manual_seed(config.seed * 1_000_003 + step)  # resumable: one per step
        rows = torch.randperm(len(train), generator=generator)[:batch_size].tolist()
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
        report(Progress("training", step, total_steps, loss=loss.item(), details={"step": step}))
        if step % eval_every and step != total_steps:
            continue
        checked, key = score("validation")
        state["step"] = step
        if key > tuple(state["best_key"]):
            state.update(best_step=step, best_key=key, bad_checks=0, validation=asdict(checked))
            with replacing(run / "best.safetensors") as partial:
                save_file(_cpu_state(model), str(partial))
        else:
            state["bad_checks"] += 1
        _write_checkpoint(run, model, optimizer, scheduler, state, config, train)
        # The check: its validation score, which decides the best step and early stopping.
        report(Progress("training", step, total_steps, loss=loss.item(),
                        details={"step": step, "validation_r5": round(checked.r5, 4)}))

    # Output: the best check, scored on the held-out products, with what it was trained on; the checkpoints go.
    model.load_state_dict(load_file(str(run / "best.safetensors")))
    best = score("held_out")[0]
    info = {
        "preset": preset.name, "train": asdict(config), "split": asdict(split), "train_products": len(train),
        "validation_products": len(pairs.validation), "held_out_products": len(held_out), "steps": state["step"],
        "best_step": state["best_step"], "start": state["start"], "best": asdict(best),
        "validation": state["validation"], "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    weights = model.save(folder, info)
    shutil.rmtree(run, ignore_errors=True)
    return TrainingResult(
        preset=preset.name, steps=state["step"], best_step=state["best_step"], stopped_early=stopped_early,
        train_products=len(train), validation_products=len(pairs.validation), held_out_products=len(held_out),
        start=Retrieval(**state["start"]), best=best, validation=Retrieval(**state["validation"]),
        losses=state["losses"], seconds=time.perf_counter() - started, weights=weights,
        epochs=state["step"] * batch_size / len(train),
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
