"""The tiny miniatures: the real classes, deterministic from a seed, and quick enough for every test."""

from __future__ import annotations

import numpy as np
import open_clip
import pytest
import torch
from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline
from transformers import CLIPTextModelWithProjection

from stylist.models.tiny import TINY_SDXL, build_pipeline, register_tiny_clip, tiny_pipeline
from stylist.presets import TINY_CLIP_MODEL


def weights(pipeline) -> dict[str, torch.Tensor]:
    models = {name: module for name, module in pipeline.components.items() if isinstance(module, torch.nn.Module)}
    return {f"{name}.{key}": value for name, model in models.items() for key, value in model.state_dict().items()}


def generate(pipeline, seed: int) -> np.ndarray:
    pipeline.set_progress_bar_config(disable=True)
    generator = torch.Generator().manual_seed(seed)
    return pipeline("a photo of sks person", num_inference_steps=2, generator=generator, output_type="np").images[0]


@pytest.mark.parametrize("family", ["sdxl", "sd"])
def test_same_seed_same_weights_and_images(family):
    first, second, other = tiny_pipeline(family), tiny_pipeline(family), tiny_pipeline(family, seed=1)
    first_weights, second_weights, other_weights = weights(first), weights(second), weights(other)
    assert first_weights.keys() == second_weights.keys()
    assert all(torch.equal(first_weights[key], second_weights[key]) for key in first_weights)
    assert not torch.equal(first_weights["unet.conv_in.weight"], other_weights["unet.conv_in.weight"])

    image = generate(first, seed=0)
    assert image.shape == (64, 64, 3)
    np.testing.assert_array_equal(image, generate(second, seed=0))
    assert np.abs(image - generate(first, seed=1)).mean() > 1e-3


def test_shapes_follow_the_real_architectures():
    sdxl, sd = tiny_pipeline("sdxl"), tiny_pipeline("sd")
    assert isinstance(sdxl, StableDiffusionXLPipeline) and isinstance(sd, StableDiffusionPipeline)
    assert sdxl.unet.config.addition_embed_type == "text_time"
    assert isinstance(sdxl.text_encoder_2, CLIPTextModelWithProjection)
    # SDXL cross-attends to both encoders' hidden states side by side.
    hidden_sizes = sdxl.text_encoder.config.hidden_size + sdxl.text_encoder_2.config.hidden_size
    assert sdxl.unet.config.cross_attention_dim == hidden_sizes
    assert sd.unet.config.cross_attention_dim == sd.text_encoder.config.hidden_size
    assert sdxl.text_encoder.config.vocab_size == len(sdxl.tokenizer)


def test_building_leaves_the_callers_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    tiny_pipeline("sd")
    assert torch.equal(torch.rand(3), expected)


def test_builds_on_the_device_it_is_given():
    # The benchmark creates full-size models directly on the GPU; "meta" shows where parameters are made.
    pipeline = build_pipeline(TINY_SDXL, device="meta")
    assert pipeline.unet.conv_in.weight.is_meta and pipeline.text_encoder_2.text_projection.weight.is_meta


def test_tiny_open_clip():
    register_tiny_clip()
    register_tiny_clip()
    model, _, _ = open_clip.create_model_and_transforms(TINY_CLIP_MODEL, pretrained=None)
    tokens = open_clip.get_tokenizer(TINY_CLIP_MODEL)(["a red dress"])
    with torch.no_grad():
        text = model.encode_text(tokens)
        image = model.encode_image(torch.zeros(1, 3, 32, 32))
    assert text.shape == image.shape == (1, 32)
