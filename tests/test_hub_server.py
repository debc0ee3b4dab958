"""The test hub (tests/helpers/hub_server.py) speaks huggingface_hub's protocol, and the real layouts
(tests/helpers/real_layouts.py) load with the library classes from what a download of them brings."""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
import sys
from pathlib import Path

import huggingface_hub
import huggingface_hub.constants
import pytest
import torch
from huggingface_hub.errors import EntryNotFoundError, GatedRepoError, HfHubHTTPError, RepositoryNotFoundError
from safetensors.torch import load_file

from stylist.models.weights import image_model_weights
from stylist.presets import get_preset
from tests.helpers.hub_server import serve_hub, use_hub
from tests.helpers.real_layouts import KLEIN, LCM_SD15, LCM_SDXL, LORA_WEIGHTS, SDXL, WAN

ROOT = Path(__file__).resolve().parents[1]
# What stylist downloads of klein and SDXL: the weights list's own patterns.
KLEIN_FILES = list(image_model_weights(get_preset("klein")).fetch)
SDXL_FILES = list(image_model_weights(get_preset("sdxl")).fetch)


@pytest.fixture
def repos(real_repos) -> Path:
    return real_repos


@pytest.fixture
def hub(repos, tmp_path, monkeypatch):
    """The real layouts served, this process's huggingface_hub pointed at them with an empty cache."""
    monkeypatch.setattr(huggingface_hub.constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    with serve_hub(repos) as endpoint:
        use_hub(monkeypatch, endpoint, tmp_path / "cache")
        yield endpoint


def matching(folder: Path, patterns: list[str]) -> set[str]:
    """The files of `folder` that huggingface_hub's allow_patterns select (fnmatch, where * crosses folders)."""
    names = {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}
    return {name for name in names if any(fnmatch.fnmatch(name, pattern) for pattern in patterns)}


def test_snapshot_download_fetches_exactly_the_matching_files_byte_for_byte(hub, repos):
    snapshot = Path(huggingface_hub.snapshot_download(KLEIN, allow_patterns=KLEIN_FILES))
    wanted = matching(repos / KLEIN, KLEIN_FILES)
    assert "tokenizer/chat_template.jinja" in wanted and "text_encoder/model.safetensors.index.json" in wanted
    assert "flux-2-klein-4b.safetensors" not in wanted  # the root single-file decoy
    assert hub.downloads(KLEIN) == wanted
    assert ("GET", f"/api/models/{KLEIN}/revision/main") in hub.log
    local = {path.relative_to(snapshot).as_posix() for path in snapshot.rglob("*") if path.is_file()}
    assert local == wanted
    for name in wanted:
        assert (snapshot / name).read_bytes() == (repos / KLEIN / name).read_bytes(), name


def test_decoys_stay_on_the_hub(hub, repos):
    huggingface_hub.snapshot_download(SDXL, allow_patterns=SDXL_FILES)
    fetched = hub.downloads(SDXL)
    assert "tokenizer_2/merges.txt" in fetched and "unet/diffusion_pytorch_model.safetensors" in fetched
    assert not [name for name in fetched if (repos / SDXL / name).read_bytes().startswith(b"decoy:")]


def test_an_interrupted_download_resumes_with_a_range_request(repos, tmp_path, monkeypatch):
    monkeypatch.setattr(huggingface_hub.constants, "DOWNLOAD_CHUNK_SIZE", 4096)  # write what arrives before the cut
    name = "transformer/diffusion_pytorch_model.safetensors"
    with serve_hub(repos, interrupt={f"{KLEIN}/{name}": 50_000}) as hub:
        use_hub(monkeypatch, hub, tmp_path / "cache")
        path = huggingface_hub.hf_hub_download(KLEIN, name)
    gets = [request for request in hub.requests if request.method == "GET" and request.path.endswith(name)]
    assert [request.range for request in gets] == [None, "bytes=49152-"]  # the whole 4 KiB chunks kept
    assert Path(path).read_bytes() == (repos / KLEIN / name).read_bytes()


def test_unknown_repositories_and_files_raise_the_hubs_errors(hub):
    with pytest.raises(RepositoryNotFoundError):
        huggingface_hub.snapshot_download("nobody/nothing", allow_patterns=["*.json"])
    with pytest.raises(EntryNotFoundError):
        huggingface_hub.hf_hub_download(KLEIN, "transformer/no-such-file.safetensors")


def test_a_gated_repository_needs_hf_token(repos, tmp_path, monkeypatch):
    monkeypatch.setattr(huggingface_hub.constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    with serve_hub(repos, gated={KLEIN}, token="hf_secret") as hub:
        use_hub(monkeypatch, hub, tmp_path / "cache")
        with pytest.raises(GatedRepoError):
            huggingface_hub.snapshot_download(KLEIN, allow_patterns=["model_index.json"])
        monkeypatch.setenv("HF_TOKEN", "hf_wrong")
        with pytest.raises(HfHubHTTPError, match="401") as wrong:
            huggingface_hub.snapshot_download(KLEIN, allow_patterns=["model_index.json"])
        assert not isinstance(wrong.value, GatedRepoError)  # a bad token is not "gated": the hub says which
        monkeypatch.setenv("HF_TOKEN", "hf_secret")
        folder = huggingface_hub.snapshot_download(KLEIN, allow_patterns=["model_index.json"])
    assert json.loads(Path(folder, "model_index.json").read_text())["is_distilled"] is True
    assert [request.token for request in hub.requests if request.method == "GET" and "/resolve/" in request.path] \
        == ["hf_secret"]


def test_hf_endpoint_in_the_environment_reaches_the_server(repos, tmp_path):
    """As on a GPU machine: huggingface_hub imported with HF_ENDPOINT set, nothing patched."""
    script = ("import huggingface_hub, sys; print(huggingface_hub.snapshot_download("
              f"{WAN!r}, allow_patterns=['tokenizer/*']))")
    env = {**os.environ, "HF_HUB_CACHE": str(tmp_path / "cache"), "HF_HUB_DISABLE_XET": "1",
           "HF_HUB_DISABLE_TELEMETRY": "1", "HF_TOKEN_PATH": str(tmp_path / "no-token")}
    env.pop("HF_HUB_OFFLINE", None)
    env.pop("HF_TOKEN", None)
    with serve_hub(repos) as hub:
        env["HF_ENDPOINT"] = hub
        out = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True,
                             timeout=60, check=True).stdout
    folder = Path(out.strip().splitlines()[-1])
    assert hub.downloads(WAN) == {"tokenizer/spiece.model", "tokenizer/tokenizer.json",
                                  "tokenizer/tokenizer_config.json", "tokenizer/special_tokens_map.json"}
    assert folder.is_relative_to(tmp_path / "cache") and (folder / "tokenizer" / "spiece.model").is_file()


# The downloaded layouts load with the library classes.


def test_the_klein_tokenizer_and_its_chat_template_load_from_a_download(hub):
    from transformers import Qwen2TokenizerFast

    folder = huggingface_hub.snapshot_download(KLEIN, allow_patterns=KLEIN_FILES)
    tokenizer = Qwen2TokenizerFast.from_pretrained(folder, subfolder="tokenizer")
    assert tokenizer.chat_template
    assert "chat_template" not in json.loads(Path(folder, "tokenizer/tokenizer_config.json").read_text())
    text = tokenizer.apply_chat_template([{"role": "user", "content": "a red dress"}], tokenize=False,
                                         add_generation_prompt=True, enable_thinking=False)
    assert text == "<|im_start|>user\na red dress<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"


def test_without_chat_template_jinja_the_klein_tokenizer_cannot_format_a_prompt(hub):
    from transformers import Qwen2TokenizerFast

    # `*/*.json` and `*/*.txt` miss tokenizer/chat_template.jinja.
    folder = huggingface_hub.snapshot_download(KLEIN, allow_patterns=["*/*.json", "*/*.txt"])
    assert not Path(folder, "tokenizer/chat_template.jinja").exists()
    tokenizer = Qwen2TokenizerFast.from_pretrained(folder, subfolder="tokenizer")
    with pytest.raises(ValueError, match="chat_template is not set"):
        tokenizer.apply_chat_template([{"role": "user", "content": "a red dress"}], tokenize=False,
                                      add_generation_prompt=True, enable_thinking=False)


def test_the_sharded_qwen3_text_encoder_loads_whole(hub):
    from transformers import Qwen3ForCausalLM

    from stylist.models.tiny import tiny_klein_pipeline

    folder = huggingface_hub.snapshot_download(KLEIN, allow_patterns=KLEIN_FILES)
    assert len(list(Path(folder, "text_encoder").glob("model-*-of-00002.safetensors"))) == 2
    model, info = Qwen3ForCausalLM.from_pretrained(folder, subfolder="text_encoder", output_loading_info=True)
    assert not info["missing_keys"] and not info["mismatched_keys"]
    expected = tiny_klein_pipeline().text_encoder.state_dict()
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, expected[name]), name


def test_the_wan_tokenizer_and_sharded_umt5_encoder_load(hub):
    from transformers import AutoTokenizer, UMT5EncoderModel

    folder = huggingface_hub.snapshot_download(WAN, allow_patterns=["*/*.json", "tokenizer/*",
                                                                    "text_encoder/*.safetensors"])
    tokenizer = AutoTokenizer.from_pretrained(folder, subfolder="tokenizer")
    encoder, info = UMT5EncoderModel.from_pretrained(folder, subfolder="text_encoder", output_loading_info=True)
    assert not info["missing_keys"]
    ids = tokenizer(["a red dress on a model, studio light"], padding="max_length", max_length=16,
                    return_tensors="pt").input_ids
    assert ids[0, -1] == tokenizer.pad_token_id == 0 and tokenizer.eos_token_id == 1
    assert int(ids.max()) < encoder.config.vocab_size and len(tokenizer) <= encoder.config.vocab_size
    assert tokenizer.unk_token_id not in ids[0].tolist()  # the trained pieces cover plain English
    assert encoder(ids).last_hidden_state.shape == (1, 16, encoder.config.d_model)


@pytest.mark.parametrize("repo, family", [(LCM_SDXL, "sdxl"), (LCM_SD15, "sd")])
def test_the_kohya_lcm_lora_loads_into_the_pipeline(hub, repo, family):
    from stylist.models.tiny import tiny_pipeline

    folder = huggingface_hub.snapshot_download(repo, allow_patterns=[LORA_WEIGHTS])
    state = load_file(Path(folder, LORA_WEIGHTS))
    assert all(key.startswith("lora_unet_") and key.endswith((".lora_down.weight", ".lora_up.weight", ".alpha"))
               for key in state)
    pipeline = tiny_pipeline(family)
    before = pipeline.unet(torch.zeros(1, 4, 8, 8), 10, **_conditioning(pipeline)).sample
    pipeline.load_lora_weights(folder, weight_name=LORA_WEIGHTS, adapter_name="lcm")
    assert pipeline.get_active_adapters() == ["lcm"]
    lora_layers = [name for name, _ in pipeline.unet.named_modules() if name.endswith("lora_A.lcm")]
    assert len(lora_layers) == sum(key.endswith(".lora_down.weight") for key in state)
    after = pipeline.unet(torch.zeros(1, 4, 8, 8), 10, **_conditioning(pipeline)).sample
    assert not torch.allclose(before, after)


def _conditioning(pipeline) -> dict:
    config = pipeline.unet.config
    text = torch.zeros(1, 77, config.cross_attention_dim)
    if config.addition_embed_type != "text_time":
        return {"encoder_hidden_states": text}
    pooled = config.projection_class_embeddings_input_dim - 6 * config.addition_time_embed_dim
    return {"encoder_hidden_states": text,
            "added_cond_kwargs": {"text_embeds": torch.zeros(1, pooled), "time_ids": torch.zeros(1, 6)}}
