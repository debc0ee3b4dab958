"""A trained identity on disk: where it lives, how `train_identity` writes it and how a pipeline loads it.

Looks import this, not the trainer, so making a look loads no training code.

    users/<id>/identity/<preset>/identity.json                     what was trained, for how long, final loss
    users/<id>/identity/<preset>/pytorch_lora_weights.safetensors  LoRA weights, as `load_lora_weights` reads them
    users/<id>/identity/<preset>/identifier_embeddings.safetensors  the identifier's trained embedding (pivotal tuning only)
    users/<id>/identity/<preset>/unet/                             the fine-tuned UNet (full fine-tune only)
"""

from __future__ import annotations

import json
import secrets
import shutil
from pathlib import Path
from typing import Any

import torch
from diffusers import DiffusionPipeline
from diffusers.utils import convert_state_dict_to_diffusers, convert_state_dict_to_peft
from diffusers.utils.peft_utils import recurse_remove_peft_layers
from peft import LoraConfig, inject_adapter_in_model, set_peft_model_state_dict
from peft.utils import get_peft_model_state_dict
from safetensors.torch import load_file

from stylist.errors import StylistError
from stylist.identity.dreambooth_config import DreamBoothConfig
from stylist.identity.identifier import detach_identifiers, load_identifiers, save_identifiers
from stylist.people.users import User
from stylist.presets import Preset

# The attention projections of every UNet transformer block (self- and cross-attention), as diffusers'
# train_dreambooth_lora_sdxl.py targets them, and the same projections in the CLIP text encoders.
UNET_LORA_TARGETS = ["to_q", "to_k", "to_v", "to_out.0"]
TEXT_LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "out_proj"]
TEXT_ENCODERS = ("text_encoder", "text_encoder_2")
LORA_WEIGHTS = "pytorch_lora_weights.safetensors"  # the file name `load_lora_weights` looks for


def identity_folder(user: User, preset: Preset) -> Path:
    return user.folder / "identity" / preset.name


def training_folder(user: User, preset: Preset) -> Path:
    return user.folder / "training" / preset.name


def lora_config(rank: int, targets: list[str]) -> LoraConfig:
    # Alpha equal to the rank applies the LoRA at scale 1; B starts at zero, so training starts from the base model.
    return LoraConfig(r=rank, lora_alpha=rank, init_lora_weights="gaussian", target_modules=targets)


def save_identity(pipeline: DiffusionPipeline, trained: dict[str, torch.nn.Module], config: DreamBoothConfig,
                  record: dict[str, Any], folder: Path) -> None:
    """Write the trained weights and identity.json, replacing the user's previous identity for the preset whole.

    LoRA weights go through the pipeline class's `save_lora_weights`, converted to diffusers' key names as
    diffusers' own training scripts do, so `pipeline.load_lora_weights(folder)` reads them as it reads any
    published LoRA. A fully fine-tuned UNet is saved as a diffusers model folder in safetensors.
    """
    staging = folder.with_name(f".{folder.name}-{secrets.token_hex(4)}")
    staging.mkdir()  # not its parents: a deleted user's folder must not come back
    lora_layers = {}
    for name, module in trained.items():
        if name == "unet" and config.unet == "full":
            module.save_pretrained(staging / "unet")
        elif name == "unet" or config.train_text_encoder:  # an encoder may train only its identifier vector
            lora_layers[f"{name}_lora_layers"] = convert_state_dict_to_diffusers(get_peft_model_state_dict(module))
            # The LoRA's rank and alpha, so that it loads at the scale it was trained at.
            lora_layers[f"{name}_lora_adapter_metadata"] = module.peft_config["default"].to_dict()
    if lora_layers:
        type(pipeline).save_lora_weights(staging, weight_name=LORA_WEIGHTS, **lora_layers)
    record = {**record, "lora_weights": LORA_WEIGHTS if lora_layers else None,
              "identifier_weights": save_identifiers(pipeline, staging)}
    (staging / "identity.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    # The old identity is renamed away and the new one renamed in: readers see one or the other, whole.
    old = folder.with_name(f".{folder.name}-old-{secrets.token_hex(4)}")
    if folder.exists():
        folder.rename(old)
    staging.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


def unload_identity(pipeline: DiffusionPipeline, adapter: str) -> None:
    """Take a LoRA identity (`identity-<user id>`) out of every model `load_identity` put it in, so that the
    next person's looks carry nothing of it: the UNet's LoRA, each text encoder's LoRA and the identifier.

    diffusers' `delete_adapters` reaches only the UNet's: the text encoders' LoRA went in through peft
    itself (see load_identity), and stays unless its layers are taken out here. Only identities go into the
    text encoders, so their LoRA layers are removed whole.
    """
    pipeline.delete_adapters(adapter)
    for name in TEXT_ENCODERS:
        encoder = getattr(pipeline, name, None)
        if encoder is not None and adapter in getattr(encoder, "peft_config", {}):
            recurse_remove_peft_layers(encoder)
            del encoder.peft_config
            encoder._hf_peft_config_loaded = False
    detach_identifiers(pipeline)


def load_identity(pipeline: DiffusionPipeline, user: User, preset: Preset) -> None:
    """Apply what `train_identity` made for `user` and `preset` to `pipeline`, a fresh copy of the preset's model.

    LoRA weights become an adapter named after the user (loading it again is a no-op). A fine-tuned UNet
    overwrites the pipeline's UNet weights, so the pipeline must not be shared
    (`load_image_pipeline(..., cached=False)`). A pipeline carries one person: loading a second person's
    identity raises. Load the identity before attaching a face adapter, which changes the UNet's attention.
    """
    folder = identity_folder(user, preset)
    try:
        record = json.loads((folder / "identity.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StylistError(f"user {user.id} has no identity trained for the {preset.name} preset: run "
                           f"`stylist --preset {preset.name} user train {user.id}`") from None
    adapter = f"identity-{user.id}"
    loaded = {name for names in pipeline.get_list_adapters().values() for name in names}
    if adapter in loaded:
        return  # loaded before, and the only identity this pipeline carries (see below)
    others = sorted(name for name in loaded if name.startswith("identity-"))
    if others or getattr(pipeline, "_stylist_full_identity", None):
        # Adapters stay loaded side by side and a fine-tuned UNet cannot be taken back out, so a second
        # person's identity would mix with the first: every person gets a pipeline of their own.
        raise ValueError(f"this pipeline already carries {(others or [pipeline._stylist_full_identity])[0]}; "
                         "load each user's identity into a fresh pipeline")
    if record["unet"] == "full":
        if getattr(pipeline, "_stylist_full_identity", None) == adapter:
            return
        try:
            unet_weights = load_file(folder / "unet" / "diffusion_pytorch_model.safetensors", device=str(pipeline.device))
        except FileNotFoundError:
            raise StylistError(f"the identity of user {user.id} in {folder} is incomplete: train it again") from None
        pipeline.unet.load_state_dict(unet_weights)  # strict: every UNet weight must be in the file
        pipeline._stylist_full_identity = adapter
    if record.get("identifier_weights"):  # identities trained before pivotal tuning have no such entry
        load_identifiers(pipeline, folder / record["identifier_weights"], record["config"]["identifier"])
    if not record["lora_weights"]:
        return
    weights = load_file(folder / record["lora_weights"])
    text_lora = lora_config(record["config"]["rank"], TEXT_LORA_TARGETS)
    for name in TEXT_ENCODERS:
        prefix = f"{name}."
        encoder_weights = {key.removeprefix(prefix): value for key, value in weights.items() if key.startswith(prefix)}
        if encoder_weights:
            # Through peft itself, as diffusers' training scripts restore text-encoder LoRA: the pipeline's
            # `load_lora_weights` goes through transformers, which refuses peft < 0.22 (unreleased).
            encoder = getattr(pipeline, name)
            inject_adapter_in_model(text_lora, encoder, adapter_name=adapter)
            set_peft_model_state_dict(encoder, convert_state_dict_to_peft(encoder_weights), adapter_name=adapter)
    unet_weights = {key: value for key, value in weights.items() if key.startswith("unet.")}
    if unet_weights:
        pipeline.load_lora_weights(unet_weights, adapter_name=adapter)
