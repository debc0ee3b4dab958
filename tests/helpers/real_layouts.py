"""Tiny random-weight checkpoints laid out file for file as the real hub repositories the presets name.

`write_real_repos(root)` writes `root/<hub id>/` for every repository stylist/presets.py names,
so that a test can serve them with tests/helpers/hub_server.py (or point STYLIST_MODELS_DIR at `root`) and prove that
what stylist downloads is what its loaders read. Every file is written by the libraries that write the real
ones (`save_pretrained`, diffusers' kohya conversion, sentencepiece), never copied from a real repository.
Beside the files stylist reads, each repository holds the decoys it must not download (fp16 variants, `.bin`
and Flax/ONNX copies, safety checkers, extra VAEs, single-file checkpoints at the root): a few junk bytes each,
so that reading one fails loudly.

The layouts follow the repositories' public file listings and model cards, and the loaders that read them:
- stabilityai/stable-diffusion-xl-base-1.0: diffusers' layout (model card), two CLIP tokenizers as
  vocab.json + merges.txt (no tokenizer.json), fp16/Flax/ONNX copies, `vae_1_0/`, the root single-file
  `sd_xl_base_1.0.safetensors` / `sd_xl_base_1.0_0.9vae.safetensors` and the offset LoRA.
- CompVis/stable-diffusion-v1-4, stable-diffusion-v1-5/stable-diffusion-v1-5: diffusers' SD 1.x layout with
  `safety_checker/` and `feature_extractor/` (named in model_index.json), fp16 and `.bin` copies; v1-5 also has
  the root `v1-5-pruned(-emaonly)` checkpoints.
- black-forest-labs/FLUX.2-klein-4B: diffusers' `Flux2KleinPipeline` (is_distilled), the Qwen3 text encoder in
  two shards with `model.safetensors.index.json`, a Qwen2 tokenizer whose chat template is
  `tokenizer/chat_template.jinja` (transformers ≥ 4.50 writes it so), and BFL's root `flux-2-klein-4b.safetensors`.
- Wan-AI/Wan2.1-VACE-1.3B-diffusers: diffusers' `WanVACEPipeline`, the UMT5 encoder sharded with an index, and a
  UMT5 sentencepiece tokenizer (spiece.model, tokenizer.json, tokenizer_config.json, special_tokens_map.json).
- h94/IP-Adapter: `models/` (SD 1.5 adapters, the ViT-H `image_encoder/`) and `sdxl_models/` (SDXL adapters, the
  bigG `image_encoder/` decoy), each adapter also as `.bin`; key names as IP-Adapter saves them.
- latent-consistency/lcm-lora-sdxl and lcm-lora-sdv1-5: one `pytorch_lora_weights.safetensors` in the kohya
  format the published files use (`lora_unet_<module>.lora_down.weight` / `.lora_up.weight` / `.alpha`),
  converted from a peft LoRA by diffusers' `convert_state_dict_to_kohya`.
- laion/CLIP-ViT-B-32-laion2B-s34B-b79K: open_clip's `open_clip_model.safetensors` + `open_clip_config.json`,
  beside the `.bin` and the transformers copy (`model.safetensors`, `pytorch_model.bin`, `config.json`).
- guoyww/animatediff-motion-adapter-v1-5-2, lllyasviel/control_v11p_sd15_openpose: one diffusers model at the
  root (config.json + diffusion_pytorch_model.safetensors) with fp16 and `.bin` copies.
"""

from __future__ import annotations

import copy
import io
import json
import random
from dataclasses import replace
from pathlib import Path

import open_clip
import torch
from diffusers import DiffusionPipeline, UNet2DConditionModel, WanVACEPipeline
from diffusers.utils import convert_state_dict_to_kohya
from peft import LoraConfig, get_peft_model_state_dict
from safetensors.torch import save_file
from transformers import PreTrainedTokenizerBase, T5Tokenizer

from stylist.models.tiny import tiny_klein_pipeline, tiny_pipeline, write_face_adapter
from stylist.models.tokenizer import _vocabulary
from stylist.presets import VIDEO_MODELS, get_preset
from stylist.video.tiny import TINY_ANIMATEDIFF, TINY_WAN, build_animatediff, build_wan_vace

SDXL = "stabilityai/stable-diffusion-xl-base-1.0"
SD14 = "CompVis/stable-diffusion-v1-4"
SD15 = "stable-diffusion-v1-5/stable-diffusion-v1-5"
KLEIN = "black-forest-labs/FLUX.2-klein-4B"
WAN = "Wan-AI/Wan2.1-VACE-1.3B-diffusers"
IP_ADAPTER = "h94/IP-Adapter"
LCM_SDXL = "latent-consistency/lcm-lora-sdxl"
LCM_SD15 = "latent-consistency/lcm-lora-sdv1-5"
OPEN_CLIP = "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"
MOTION_ADAPTER = "guoyww/animatediff-motion-adapter-v1-5-2"
OPENPOSE = "lllyasviel/control_v11p_sd15_openpose"
REPOS = (SDXL, SD14, SD15, KLEIN, WAN, IP_ADAPTER, LCM_SDXL, LCM_SD15, OPEN_CLIP, MOTION_ADAPTER, OPENPOSE)
# The file names the real repositories use (and stylist reads): the LCM-LoRA's, which diffusers'
# load_lora_weights looks for, and open_clip's safetensors.
LORA_WEIGHTS = "pytorch_lora_weights.safetensors"
OPEN_CLIP_FILE = "open_clip_model.safetensors"
# Shard sizes that split the tiny text encoders in two (their token embeddings alone are 9.7 MB for Qwen3's
# 151,936 ids, 6.3 MB for UMT5's 49,408), as the real multi-gigabyte encoders are split.
QWEN3_SHARD, UMT5_SHARD = "8MB", "4MB"


def write_real_repos(root: Path) -> None:
    """Every repository the real presets read, as `root/<hub id>/`, tiny weights in the real layouts."""
    sdxl, sd = tiny_pipeline("sdxl"), tiny_pipeline("sd")
    write_sdxl(root / SDXL, sdxl)
    write_sd(root / SD14, sd)
    write_sd(root / SD15, sd, root_checkpoints=True)  # AnimateDiff's image model: the tiny SD 1.x, as in video/tiny.py
    write_klein(root / KLEIN)
    write_wan(root / WAN)
    write_ip_adapter(root / IP_ADAPTER, sdxl.unet, sd.unet)
    write_lcm_lora(root / LCM_SDXL, sdxl)
    write_lcm_lora(root / LCM_SD15, sd)
    write_open_clip(root / OPEN_CLIP)
    write_root_models(root / MOTION_ADAPTER, root / OPENPOSE)
    _check_the_presets_name_these(root)


def write_sdxl(folder: Path, pipeline: DiffusionPipeline) -> None:
    save_pipeline(pipeline, folder)
    fp16_copies(folder, ("unet", "vae", "text_encoder", "text_encoder_2"))
    decoys(folder, "sd_xl_base_1.0.safetensors", "sd_xl_base_1.0_0.9vae.safetensors",
           "sd_xl_offset_example-lora_1.0.safetensors", "vae_1_0/config.json",
           "vae_1_0/diffusion_pytorch_model.safetensors", "vae_1_0/diffusion_pytorch_model.fp16.safetensors",
           "unet/diffusion_flax_model.msgpack", "unet/model.onnx", "text_encoder/model.onnx",
           "vae_decoder/config.json", "vae_decoder/model.onnx", "vae_encoder/config.json", "vae_encoder/model.onnx")


def write_sd(folder: Path, pipeline: DiffusionPipeline, root_checkpoints: bool = False) -> None:
    save_pipeline(pipeline, folder)
    # The real model_index.json names the safety checker and its feature extractor, which sit beside the models.
    index = json.loads((folder / "model_index.json").read_text())
    index |= {"safety_checker": ["stable_diffusion", "StableDiffusionSafetyChecker"],
              "feature_extractor": ["transformers", "CLIPImageProcessor"], "requires_safety_checker": True}
    (folder / "model_index.json").write_text(json.dumps(index, indent=2))
    fp16_copies(folder, ("unet", "vae", "text_encoder"))
    decoys(folder, "safety_checker/config.json", "safety_checker/model.safetensors",
           "safety_checker/model.fp16.safetensors", "safety_checker/pytorch_model.bin",
           "feature_extractor/preprocessor_config.json", "unet/diffusion_pytorch_model.bin",
           "vae/diffusion_pytorch_model.bin", "text_encoder/pytorch_model.bin")
    if root_checkpoints:
        decoys(folder, "v1-5-pruned.safetensors", "v1-5-pruned-emaonly.safetensors", "v1-5-pruned.ckpt",
               "v1-inference.yaml")


def write_klein(folder: Path) -> None:
    pipeline = tiny_klein_pipeline()
    save_pipeline(pipeline, folder, keep_tokenizer_json=True)
    shard(pipeline.text_encoder, folder / "text_encoder", QWEN3_SHARD)
    decoys(folder, "flux-2-klein-4b.safetensors")


def write_wan(folder: Path) -> None:
    # The real model's rotary table (1024 positions): a spin at the real preset's 512×768 runs on it.
    pipeline = build_wan_vace(replace(TINY_WAN, transformer={**TINY_WAN.transformer, "rope_max_seq_len": 1024}))
    pipeline = WanVACEPipeline(**{**pipeline.components, "tokenizer": umt5_tokenizer()})
    save_pipeline(pipeline, folder, keep_tokenizer_json=True)
    shard(pipeline.text_encoder, folder / "text_encoder", UMT5_SHARD)


def write_ip_adapter(folder: Path, sdxl_unet: UNet2DConditionModel, sd_unet: UNet2DConditionModel) -> None:
    """SDXL adapters shaped for the tiny SDXL UNet, SD 1.5 ones for the tiny SD UNet: one repository, as the real."""
    sdxl, sd14 = get_preset("sdxl"), get_preset("sd14")
    for unet, preset in ((sdxl_unet, sdxl), (sd_unet, sd14)):
        write_face_adapter(unet, preset.face_adapter, folder, seed=0)
        write_face_adapter(unet, preset.product_adapter, folder, seed=1)
    decoys(folder, "models/image_encoder/pytorch_model.bin", "models/ip-adapter_sd15.bin",
           "models/ip-adapter_sd15.safetensors", "models/ip-adapter-plus_sd15.bin",
           "models/ip-adapter-plus-face_sd15.bin", "models/ip-adapter-full-face_sd15.safetensors",
           "sdxl_models/image_encoder/config.json", "sdxl_models/image_encoder/model.safetensors",
           "sdxl_models/image_encoder/pytorch_model.bin", "sdxl_models/ip-adapter_sdxl.safetensors",
           "sdxl_models/ip-adapter-plus_sdxl_vit-h.bin", "sdxl_models/ip-adapter-plus-face_sdxl_vit-h.bin")


def write_lcm_lora(folder: Path, pipeline: DiffusionPipeline) -> None:
    """A peft LoRA on a copy of the UNet's attention, saved with kohya keys as the published LCM-LoRAs are."""
    unet = copy.deepcopy(pipeline.unet)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(2)
        unet.add_adapter(LoraConfig(r=4, lora_alpha=4, init_lora_weights="gaussian",
                                    target_modules=["to_q", "to_k", "to_v", "to_out.0"]))
    # peft starts lora_B at zero; a trained LoRA's is not, so draw it too, or loading it would change nothing.
    generator = torch.Generator().manual_seed(3)
    peft_state = {f"unet.{key}": torch.randn(value.shape, generator=generator) * 0.1 if ".lora_B." in key else value
                  for key, value in get_peft_model_state_dict(unet).items()}
    state = {key: value.contiguous() for key, value in convert_state_dict_to_kohya(peft_state).items()}
    folder.mkdir(parents=True, exist_ok=True)
    save_file(state, folder / LORA_WEIGHTS)


def write_open_clip(folder: Path) -> None:
    """The full-size ViT-B-32 (open_clip's own architecture) in half precision, to halve the file."""
    backbone = open_clip.create_model("ViT-B-32", pretrained=None)
    folder.mkdir(parents=True, exist_ok=True)
    save_file({name: tensor.half().contiguous() for name, tensor in backbone.state_dict().items()},
              folder / OPEN_CLIP_FILE)
    preprocess = {"mean": list(open_clip.OPENAI_DATASET_MEAN), "std": list(open_clip.OPENAI_DATASET_STD)}
    config = {"model_cfg": open_clip.get_model_config("ViT-B-32"), "preprocess_cfg": preprocess}
    (folder / "open_clip_config.json").write_text(json.dumps(config, indent=2))
    decoys(folder, "open_clip_pytorch_model.bin", "model.safetensors", "pytorch_model.bin", "config.json",
           "preprocessor_config.json", "tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt",
           "special_tokens_map.json")


def write_root_models(motion_folder: Path, openpose_folder: Path) -> None:
    """The motion adapter and the OpenPose ControlNet: one diffusers model each at the repository root."""
    animatediff = build_animatediff(TINY_ANIMATEDIFF)
    for model, folder in ((animatediff.motion_adapter, motion_folder), (animatediff.controlnet, openpose_folder)):
        model.save_pretrained(folder)
        fp16_copies(folder, ("",))
        decoys(folder, "diffusion_pytorch_model.bin")
    decoys(openpose_folder, "diffusion_pytorch_model.fp16.bin", "images/input.png", "images/control.png")


# Tokenizers, shards and decoys.


def save_pipeline(pipeline: DiffusionPipeline, folder: Path, keep_tokenizer_json: bool = False) -> None:
    """`save_pretrained`, then each BPE tokenizer as its hub repository holds it (see `hub_tokenizer`)."""
    pipeline.save_pretrained(folder)
    for name, component in pipeline.components.items():
        if isinstance(component, PreTrainedTokenizerBase):
            hub_tokenizer(component, folder / name, keep_tokenizer_json)


def hub_tokenizer(tokenizer: PreTrainedTokenizerBase, folder: Path, keep_tokenizer_json: bool) -> None:
    """A saved tokenizer completed as on the hub: special_tokens_map.json (transformers 5 no longer writes it),
    a BPE vocabulary and merges as vocab.json and merges.txt, and without `keep_tokenizer_json` no tokenizer.json:
    the CLIP-tokenizer repositories (SDXL, SD 1.x) have none, so transformers builds the tokenizer from the two."""
    special = {key: str(value) for key, value in tokenizer.special_tokens_map.items() if isinstance(value, str)}
    (folder / "special_tokens_map.json").write_text(json.dumps(special, indent=2))
    model = json.loads((folder / "tokenizer.json").read_text())["model"]
    if model["type"] == "BPE":
        (folder / "vocab.json").write_text(json.dumps(model["vocab"], ensure_ascii=False))
        merges = [merge if isinstance(merge, str) else " ".join(merge) for merge in model["merges"]]
        (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n")
    if getattr(tokenizer, "spiece_model", None):
        (folder / "spiece.model").write_bytes(tokenizer.spiece_model)
    if not keep_tokenizer_json:
        (folder / "tokenizer.json").unlink()


def umt5_tokenizer() -> T5Tokenizer:
    """A UMT5-style sentencepiece unigram tokenizer trained offline on CLIP's English words: 1000 pieces (pad 0,
    eos 1, unk 2, as T5's) and 300 `<extra_id_*>`, all below the tiny UMT5 encoder's vocabulary. The trained
    model is kept on the tokenizer as `spiece_model` for `save_pipeline`'s spiece.model."""
    import sentencepiece

    vocab, _ = _vocabulary()
    words = [token[:-4] for token in list(vocab)[512:] if token.endswith("</w>") and token[:-4].isalpha()][:5000]
    chooser = random.Random(0)
    lines = [" ".join(chooser.choice(words) for _ in range(16)) + chooser.choice([".", ",", "!", "?"])
             for _ in range(2000)]
    proto = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_writer=proto, model_type="unigram", vocab_size=1000, pad_id=0,
        eos_id=1, unk_id=2, bos_id=-1, character_coverage=1.0, minloglevel=2, num_threads=1)
    processor = sentencepiece.SentencePieceProcessor(model_proto=proto.getvalue())
    pieces = [(processor.id_to_piece(index), processor.get_score(index)) for index in range(processor.get_piece_size())]
    tokenizer = T5Tokenizer(vocab=pieces, extra_ids=300, model_max_length=512)
    tokenizer.spiece_model = proto.getvalue()
    return tokenizer


def shard(model: torch.nn.Module, folder: Path, max_shard_size: str) -> None:
    """Save a transformers model again in two shards beside model.safetensors.index.json, as large encoders are."""
    for old in folder.glob("model*.safetensors*"):
        old.unlink()
    model.save_pretrained(folder, max_shard_size=max_shard_size)
    shards = sorted(folder.glob("model-*-of-*.safetensors"))
    assert len(shards) == 2 and (folder / "model.safetensors.index.json").is_file(), shards


def fp16_copies(folder: Path, subfolders: tuple[str, ...]) -> None:
    """A `.fp16.` decoy beside every weight file of these subfolders ("" for the root)."""
    for subfolder in subfolders:
        for weights in list((folder / subfolder).glob("*.safetensors")):
            decoys(folder, (weights.parent / weights.name.replace(".safetensors", ".fp16.safetensors"))
                   .relative_to(folder).as_posix())


def decoys(folder: Path, *names: str) -> None:
    """Junk bytes under these names: files a repository holds that stylist must never download or read."""
    for name in names:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"decoy: stylist must not read " + name.encode() + b"\n")


def _check_the_presets_name_these(root: Path) -> None:
    """Every hub id a real preset names has a folder here, so a new preset cannot go untested."""
    named = set()
    for name in ("sdxl", "sd14", "klein"):
        preset = get_preset(name)
        named |= {preset.image_model, preset.fast_lora}
        # open_clip's hub copy of the pretrained tag: "org/name/" (or "org/name/file").
        hub = open_clip.get_pretrained_cfg(preset.clip_model, preset.clip_pretrained)["hf_hub"]
        named.add("/".join(hub.split("/")[:2]))
        named |= {adapter.repo for adapter in (preset.face_adapter, preset.product_adapter) if adapter}
    video = VIDEO_MODELS
    named |= {video.wan_vace, video.animatediff_base, video.motion_adapter, video.pose_controlnet,
              video.look_adapter.repo}
    named.discard(None)
    missing = sorted(repo for repo in named if not (root / repo).is_dir())
    assert not missing, f"no real layout written for {missing}"
