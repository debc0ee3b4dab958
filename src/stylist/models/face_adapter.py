"""The instant first look: an IP-Adapter face adapter puts the user's face into a look with no training.

The adapter is loaded through diffusers' own `load_ip_adapter`, for real presets from the weights the
preset names (see presets.py for their licence) and for tiny from a checkpoint of the same layout built
in code, so the tests run the same loading path as production.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from tempfile import TemporaryDirectory

import torch
from diffusers import DiffusionPipeline
from diffusers.models.embeddings import MultiIPAdapterImageProjection
from PIL import Image
from transformers import CLIPVisionModelWithProjection

from stylist.errors import StylistError
from stylist.models.loading import load_component
from stylist.models.locate import model_folder
from stylist.models.tiny import write_face_adapter
from stylist.models.weights import Weights, adapter_weights, fetch_command
from stylist.presets import FACE_ADAPTER_SCALE, IPAdapterWeights, Preset


def attach_face_adapter(pipeline: DiffusionPipeline, preset: Preset) -> None:
    """Load the preset's face adapter and its image encoder into `pipeline`; a no-op when already attached.

    The adapter changes the UNet's cross-attention, so every later call of the pipeline needs a face
    image until `detach_face_adapter`; give it a pipeline of its own (`load_image_pipeline(cached=False)`)
    when plain generation must go on beside it.
    """
    if face_adapter_attached(pipeline):
        return
    attach_ip_adapters(pipeline, preset, [preset.face_adapter])


def attach_ip_adapters(pipeline: DiffusionPipeline, preset: Preset, adapters: Sequence[IPAdapterWeights],
                       weights: Weights | None = None, encoder: torch.nn.Module | None = None) -> None:
    """Load several IP-Adapters of one repository side by side, in order, with the image encoder they share.

    Looks use the face adapter and the product adapter together: every call then takes one image (or
    image embedding) per adapter, and `set_ip_adapter_scale` a list of scales in the same order. `encoder`:
    the image encoder these adapters were last attached with, kept instead of being read again.
    """
    if adapters[0].repo is None:
        with TemporaryDirectory() as folder:
            for seed, adapter in enumerate(adapters):
                write_face_adapter(pipeline.unet, adapter, Path(folder), seed=seed)
            built = replace(adapter_weights(list(adapters), fetch_command(preset)),
                            repo=f"the {preset.name} image adapters")
            _load(pipeline, adapters, Path(folder), built, encoder)
    else:
        weights = weights or adapter_weights(list(adapters), fetch_command(preset))
        _load(pipeline, adapters, model_folder(weights, preset), weights, encoder)


def _load(pipeline: DiffusionPipeline, adapters: Sequence[IPAdapterWeights], folder: Path, weights: Weights,
          encoder: torch.nn.Module | None) -> None:
    # The image encoder is loaded here rather than by load_ip_adapter so that its weights are checked too;
    # load_ip_adapter then finds it registered and loads only the adapters.
    encoder_folder = adapters[0].image_encoder_folder
    if encoder is None:
        encoder = load_component(CLIPVisionModelWithProjection, folder, encoder_folder, weights, pipeline.dtype)
    pipeline.register_modules(image_encoder=encoder.to(pipeline.device))
    names = ", ".join(adapter.weight_name for adapter in adapters)
    try:
        # low_cpu_mem_usage=False makes diffusers load the adapter strictly: a missing tensor raises
        # instead of being left uninitialised.
        pipeline.load_ip_adapter(
            [str(folder)] * len(adapters), subfolder=[adapter.subfolder for adapter in adapters],
            weight_name=[adapter.weight_name for adapter in adapters], image_encoder_folder=encoder_folder,
            low_cpu_mem_usage=False, local_files_only=True,
        )
    except OSError as error:
        raise StylistError(f"the copy of {weights.repo} in {folder} has no loadable {names}: "
                           f"{weights.how_to_get()}") from error
    except (KeyError, RuntimeError) as error:
        raise StylistError(f"the copy of {weights.repo} in {folder} has an incomplete {names}: "
                           f"{weights.how_to_get()}") from error


def face_adapter_attached(pipeline: DiffusionPipeline) -> bool:
    return isinstance(pipeline.unet.encoder_hid_proj, MultiIPAdapterImageProjection)


def detach_face_adapter(pipeline: DiffusionPipeline) -> None:
    """Give the pipeline back its plain attention, so it generates from text alone again."""
    if face_adapter_attached(pipeline):
        pipeline.unload_ip_adapter()


def instant_look(
    pipeline: DiffusionPipeline,
    face_image: Image.Image,
    prompt: str,
    *,
    scale: float = FACE_ADAPTER_SCALE,
    seed: int = 0,
    steps: int = 30,
) -> Image.Image:
    """One image of the person in `face_image` (a face crop) as `prompt` describes, at the model's resolution.

    The noise comes from a CPU generator, so a seed gives the same picture on every device.
    """
    if not face_adapter_attached(pipeline):
        raise ValueError("instant_look needs attach_face_adapter(pipeline, preset) first")
    pipeline.set_ip_adapter_scale(scale)
    generator = torch.Generator("cpu").manual_seed(seed)
    output = pipeline(prompt=prompt, ip_adapter_image=face_image, num_inference_steps=steps, generator=generator)
    return output.images[0]
