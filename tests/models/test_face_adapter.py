"""The instant first look: an IP-Adapter loaded through diffusers' load_ip_adapter, tiny and real alike."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from diffusers.models.attention_processor import IPAdapterAttnProcessor2_0
from safetensors.torch import load_file, save_file
from transformers import CLIPVisionModelWithProjection

from stylist.errors import StylistError
from stylist.models.face_adapter import attach_face_adapter, detach_face_adapter, face_adapter_attached, instant_look
from stylist.models.loading import load_image_pipeline
from stylist.models.tiny import write_face_adapter
from stylist.presets import SDXL_FACE_ADAPTER, get_preset

PROMPT = "a photo of a person in a red coat"


def plain(pipeline) -> np.ndarray:
    return np.asarray(pipeline(PROMPT, num_inference_steps=2, generator=torch.Generator().manual_seed(0)).images[0])


def look(pipeline, face) -> np.ndarray:
    return np.asarray(instant_look(pipeline, face, PROMPT, steps=2, seed=0), dtype=np.int16)


@pytest.mark.parametrize("preset", ["tiny", "tiny-sd"])
def test_the_face_steers_the_image(preset, faces):
    pipeline = load_image_pipeline(get_preset(preset), "cpu", cached=False)
    base = plain(pipeline)
    attach_face_adapter(pipeline, get_preset(preset))
    attach_face_adapter(pipeline, get_preset(preset))
    assert face_adapter_attached(pipeline)
    assert isinstance(pipeline.image_encoder, CLIPVisionModelWithProjection)
    assert any(isinstance(processor, IPAdapterAttnProcessor2_0) for processor in pipeline.unet.attn_processors.values())

    astronaut, cameraman = look(pipeline, faces[0]), look(pipeline, faces[1])
    assert astronaut.shape == (64, 64, 3)
    np.testing.assert_array_equal(astronaut, look(pipeline, faces[0]))
    assert np.abs(astronaut - base).mean() > 1
    assert np.abs(astronaut - cameraman).mean() > 1

    detach_face_adapter(pipeline)
    np.testing.assert_array_equal(plain(pipeline), base)


def test_the_tiny_checkpoint_uses_ip_adapters_own_key_names(tmp_path):
    pipeline = load_image_pipeline(get_preset("tiny"), "cpu")
    write_face_adapter(pipeline.unet, SDXL_FACE_ADAPTER, tmp_path)
    weights = load_file(tmp_path / "sdxl_models" / "ip-adapter-plus-face_sdxl_vit-h.safetensors")
    cross_attentions = sum(name.endswith("attn2.processor") for name in pipeline.unet.attn_processors)
    resampler = {"image_proj.latents", "image_proj.layers.3.0.to_kv.weight", "image_proj.layers.3.1.3.weight"}
    assert resampler <= set(weights)
    assert {key for key in weights if key.startswith("ip_adapter.")} == {
        f"ip_adapter.{2 * index + 1}.{name}.weight"
        for index in range(cross_attentions) for name in ("to_k_ip", "to_v_ip")
    }
    assert (tmp_path / "models" / "image_encoder" / "config.json").is_file()


def test_the_real_adapter_without_weights_fails_in_one_sentence(offline):
    pipeline = load_image_pipeline(get_preset("tiny"), "cpu", cached=False)
    with pytest.raises(StylistError) as error:
        attach_face_adapter(pipeline, get_preset("sdxl"))
    assert str(error.value) == (
        "the sdxl preset needs h94/IP-Adapter: fetch it with `stylist --preset sdxl models fetch` where there is "
        "network access, or put a copy in $STYLIST_MODELS_DIR/h94/IP-Adapter"
    )
    assert not face_adapter_attached(pipeline)


def test_a_local_copy_loads_through_the_real_path_and_must_be_complete(offline, faces):
    # An adapter shaped for the tiny UNet, laid out as h94/IP-Adapter in $STYLIST_MODELS_DIR.
    copy = offline / "h94" / "IP-Adapter"
    pipeline = load_image_pipeline(get_preset("tiny"), "cpu", cached=False)
    write_face_adapter(pipeline.unet, SDXL_FACE_ADAPTER, copy)
    attach_face_adapter(pipeline, get_preset("sdxl"))
    assert look(pipeline, faces[0]).shape == (64, 64, 3)

    weights_file = copy / "sdxl_models" / "ip-adapter-plus-face_sdxl_vit-h.safetensors"
    weights = load_file(weights_file)
    del weights["ip_adapter.1.to_v_ip.weight"]
    save_file(weights, weights_file)
    fresh = load_image_pipeline(get_preset("tiny"), "cpu", cached=False)
    with pytest.raises(StylistError, match=r"^the copy of h94/IP-Adapter in .* has an incomplete ip-adapter-plus-face"):
        attach_face_adapter(fresh, get_preset("sdxl"))


def test_instant_look_needs_the_adapter(faces):
    with pytest.raises(ValueError, match="attach_face_adapter"):
        instant_look(load_image_pipeline(get_preset("tiny"), "cpu"), faces[0], PROMPT)
