"""The weights list: what each real preset reads, fetched by patterns that take those files and no others."""

from __future__ import annotations

import json
from dataclasses import replace

import open_clip
import pytest
from huggingface_hub.utils import filter_repo_objects

from stylist.models.weights import (
    MODEL_CARDS,
    OPEN_CLIP_REPOS,
    PIPELINE_FOLDERS,
    Weights,
    family_folders,
    preset_needs,
)
from stylist.presets import KLEIN, SDXL, VIDEO_BACKENDS, get_preset

REAL = ("sdxl", "sd14", "klein")


def fetched(weights: Weights, files: list[str]) -> set[str]:
    """The files of a repository listing that huggingface_hub downloads for these patterns."""
    return set(filter_repo_objects(files, allow_patterns=list(weights.fetch)))


@pytest.mark.parametrize("preset", REAL)
@pytest.mark.parametrize("video", VIDEO_BACKENDS)
def test_every_required_file_is_fetched_and_every_repository_has_a_licence(preset, video):
    for need in preset_needs(get_preset(preset), video):
        weights = need.weights
        choices = [choice for entry in weights.required for choice in entry.split("|")]
        assert fetched(weights, choices) == set(choices), (need.role, weights.repo)
        assert weights.repo in MODEL_CARDS and weights.size_bytes > 10**8 and weights.licence
        assert weights.command.startswith(f"stylist --preset {preset} models fetch")


def test_klein_reads_its_chat_template_and_takes_its_text_encoder_in_shards():
    klein = next(need.weights for need in preset_needs(get_preset("klein")) if need.role == "image model")
    assert "tokenizer/chat_template.jinja" in klein.required
    listing = ["model_index.json", "tokenizer/chat_template.jinja", "tokenizer/tokenizer.json",
               "text_encoder/model.safetensors.index.json", "text_encoder/model-00001-of-00002.safetensors",
               "text_encoder/model-00002-of-00002.safetensors", "text_encoder/config.json",
               # Not read: a single-file copy of the whole model, and half-precision twins.
               "flux-2-klein-4b.safetensors", "transformer/diffusion_pytorch_model.fp16.safetensors"]
    assert fetched(klein, listing) == set(listing[:7])


def test_a_sharded_weight_is_complete_with_its_index_and_every_shard(tmp_path):
    weights = Weights("org/model", ("text_encoder/*",), ("text_encoder/model.safetensors",))
    assert weights.missing(tmp_path) == ["text_encoder/model.safetensors"]
    (tmp_path / "text_encoder").mkdir()
    index = {"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors",
                            "c": "model-00001-of-00002.safetensors"}}
    (tmp_path / "text_encoder" / "model.safetensors.index.json").write_text(json.dumps(index))
    (tmp_path / "text_encoder" / "model-00001-of-00002.safetensors").write_bytes(b"")
    assert weights.missing(tmp_path) == ["text_encoder/model-00002-of-00002.safetensors"]
    (tmp_path / "text_encoder" / "model-00002-of-00002.safetensors").write_bytes(b"")
    assert weights.missing(tmp_path) == []
    assert weights.required_files(tmp_path) == ["text_encoder/model.safetensors.index.json",
                                                "text_encoder/model-00001-of-00002.safetensors",
                                                "text_encoder/model-00002-of-00002.safetensors"]


def test_the_open_clip_repositories_are_open_clips_own():
    for (model, tag), repo in OPEN_CLIP_REPOS.items():
        assert open_clip.get_pretrained_cfg(model, tag)["hf_hub"].rstrip("/").startswith(repo)


def test_the_list_names_the_folders_each_loader_assembles_its_pipeline_from():
    from stylist.models.loading import family_classes
    from stylist.presets import FAMILIES
    from stylist.video.backends import SD15_PARTS, WAN_PARTS

    loaders = {name: family_classes(family)[1] for name, family in FAMILIES.items()} | {"wan-vace": WAN_PARTS,
                                                                                        "animatediff": SD15_PARTS}
    assert set(loaders) == set(PIPELINE_FOLDERS)
    for family, parts in loaders.items():
        listed = {path.split("/")[0] for _, paths in PIPELINE_FOLDERS[family] for path in paths}
        assert listed == set(parts), family


def test_a_clip_tokenizer_is_complete_from_its_vocabulary_files_or_from_tokenizer_json(tmp_path):
    sdxl = next(need.weights for need in preset_needs(get_preset("sdxl")) if need.role == "image model")
    for name in ("tokenizer_config.json", "vocab.json", "merges.txt"):  # the hub repository's files
        (tmp_path / "hub" / "tokenizer" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "hub" / "tokenizer" / name).write_text("{}")
    for name in ("tokenizer_config.json", "tokenizer.json"):  # what transformers 5's save_pretrained writes
        (tmp_path / "saved" / "tokenizer" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "saved" / "tokenizer" / name).write_text("{}")
    for folder in ("hub", "saved"):
        assert not [name for name in sdxl.missing(tmp_path / folder) if name.startswith("tokenizer/")], folder
    (tmp_path / "hub" / "tokenizer" / "merges.txt").unlink()
    assert "tokenizer/merges.txt" in sdxl.missing(tmp_path / "hub")


def test_a_new_familys_folders_come_from_its_row_and_an_unknown_tokenizer_is_named():
    # A family row with SDXL's parts under klein's pipeline needs SDXL's folders: nothing else says them.
    hybrid = replace(KLEIN, name="hybrid", components=SDXL.components)
    assert family_folders(hybrid) == PIPELINE_FOLDERS["sdxl"]
    odd = replace(KLEIN, name="odd", components={**KLEIN.components, "tokenizer": ("transformers", "T5TokenizerFast")})
    with pytest.raises(ValueError, match=r"odd family's T5TokenizerFast .* TOKENIZER_FILES"):
        family_folders(odd)
