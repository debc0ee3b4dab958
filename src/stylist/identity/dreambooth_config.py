"""DreamBooth settings: one config object, the defaults for faces per model family, and the CPU recipe.

Torch-free, so the CLI can build a config without importing the trainer.

Defaults, and the GPU memory each needs (the README quotes this table):

| setting | `sdxl` (LoRA) | `sd14` (DreamBooth) | `sd14 --lora` | `tiny` (CPU recipe) | where the number comes from |
| --- | --- | --- | --- | --- | --- |
| UNet training | LoRA rank 16 | full fine-tune | LoRA rank 16 | LoRA rank 4 (tiny-sd: full) | face LoRA recipes use rank 16–32; the DreamBooth paper fine-tunes the whole UNet |
| LoRA targets | to_q, to_k, to_v, to_out.0 | | same | same | diffusers' train_dreambooth_lora_sdxl.py |
| text encoders | frozen; LoRA with --train-text-encoder | same | same | same | frozen keeps prompts (garments) obeyed and lets cached embeddings free the encoders; Hugging Face's DreamBooth study found encoder training helps faces, hence the option |
| learning rate | 1e-4 | 5e-6 | 1e-4 | 3e-3 (tiny-sd: 1e-4) | diffusers' DreamBooth examples; constant schedule, no warm-up |
| AdamW weight decay | 1e-4 | 1e-2 | 1e-4 | as its family | the same scripts' defaults |
| steps | 500 | 800 | 500 | 30 | the same examples, for 3–5 photos (125–250 passes over each) |
| resolution | 1024 | 512 | 512 | 64 | each model's native size |
| batch | 1 photo + 1 class image | 1 + 1 | 1 + 1 | 1 + 1 | diffusers' examples use batch 1 (the SDXL one accumulates 4) |
| prior preservation | weight 1.0, 100 class images | weight 1.0, 200 | weight 1.0, 200 | weight 1.0, 4 | DreamBooth paper (λ = 1); diffusers' example (200 images) |
| prompts | "a photo of sks person" / "a photo of a person" | same | same | same | DreamBooth paper: a rare token plus the class noun |
| min-SNR-γ | off (5 is the usual γ) | off | off | off | Hang et al. 2023 |
| precision | bf16 autocast (fp16 without bf16), LoRA weights fp32 | bf16 autocast, fp32 master weights | as sdxl | fp32 | |
| memory levers | gradient checkpointing, cached latents and text embeddings, SDPA | same + 8-bit AdamW | as sdxl | cached, SDPA | |
| checkpoints / validation | every 100 / 100 steps | every 200 / 200 | every 200 / 200 | off / off | |
| GPU memory (estimate) | ~10–14 GB; 20+ GB without checkpointing | ~12–15 GB; ~17–20 GB with plain AdamW | ~4–6 GB | none: CPU, < 1 GB RAM, 5–10 s | arithmetic below; `benchmarks/identity_bench.py` measures SDXL |
| output per user | 93 MB | 3.4 GB (fp32 UNet) | 13 MB | 0.2 MB | |

The memory row is arithmetic, not a measurement on this machine: SDXL's UNet has 2.57 B parameters
(5.1 GB in bf16) and a rank-16 LoRA on its attention projections 23 M (0.4 GB with fp32 gradients and
AdamW state), leaving activations at 1024×1024 for a batch of two (2–4 GB with checkpointing, far more
without). SD 1.x's UNet has 0.86 B parameters (1.7 GB in bf16): fp32 weights, gradients and AdamW's two
moments take 13.8 GB, and 8-bit AdamW brings the moments from 6.9 GB to 1.7 GB. diffusers reports both
DreamBooth recipes fitting a 16 GB card with these levers. A full fine-tune of SDXL is not offered: its
UNet alone needs over 40 GB to train that way.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from stylist.errors import StylistError
from stylist.presets import Preset, get_preset

MIXED_PRECISIONS = ("auto", "bf16", "fp16", "no")
UNET_TRAINING = ("lora", "full")
LR_SCHEDULERS = ("constant", "constant_with_warmup", "linear", "cosine")


@dataclass(frozen=True)
class DreamBoothConfig:
    # What is learnt: the identifier is a rare token, so the model has little to unlearn about it, and the
    # class noun lets the identity borrow everything the model knows about people.
    identifier: str = "sks"
    class_noun: str = "person"
    unet: str = "lora"  # "lora": LoRA on the attention projections; "full": every UNet weight (the paper)
    rank: int = 16  # LoRA rank; alpha equals rank, so the LoRA is applied at scale 1
    train_text_encoder: bool = False  # LoRA on q/k/v/out of every text encoder
    # Pivotal tuning (identifier.py): the identifier token's embedding trains at this learning rate; None: frozen
    identifier_lr: float | None = None
    # Data
    resolution: int = 1024
    batch_size: int = 1  # photos per step; prior preservation adds as many class images
    prior_preservation: bool = True
    prior_weight: float = 1.0
    num_class_images: int = 100
    class_inference_steps: int = 25
    # Optimisation
    steps: int = 500
    learning_rate: float = 1e-4
    lr_scheduler: str = "constant"
    lr_warmup_steps: int = 0
    weight_decay: float = 1e-4
    max_grad_norm: float = 1.0
    snr_gamma: float | None = None  # min-SNR-γ loss weighting when set
    seed: int = 0
    # Memory and speed
    mixed_precision: str = "auto"  # bf16 where the GPU has it, else fp16; always fp32 on the CPU
    gradient_checkpointing: bool = True
    cache_latents: bool = True
    cache_text_embeddings: bool = True  # encode the two prompts once and free the encoders when frozen
    sdpa: bool = True  # torch's scaled_dot_product_attention (diffusers' AttnProcessor2_0)
    use_8bit_adam: bool = False  # bitsandbytes' AdamW8bit, on CUDA when bitsandbytes is installed
    # Bookkeeping: 0 turns either off
    checkpoint_every: int = 100
    validation_every: int = 100
    validation_images: int = 2
    validation_inference_steps: int = 25

    def __post_init__(self) -> None:
        problems = []
        if self.unet not in UNET_TRAINING:
            problems.append(f"unet must be one of {', '.join(UNET_TRAINING)}")
        if self.mixed_precision not in MIXED_PRECISIONS:
            problems.append(f"mixed precision must be one of {', '.join(MIXED_PRECISIONS)}")
        if self.lr_scheduler not in LR_SCHEDULERS:
            problems.append(f"the learning-rate schedule must be one of {', '.join(LR_SCHEDULERS)}")
        if min(self.rank, self.steps, self.batch_size, self.resolution, self.num_class_images) < 1:
            problems.append("rank, steps, batch size, resolution and class images must be at least 1")
        if self.resolution % 8:
            problems.append("the resolution must be a multiple of 8 (the VAE's downsampling)")
        if not self.learning_rate > 0:
            problems.append("the learning rate must be positive")
        if self.identifier_lr is not None and not self.identifier_lr > 0:
            problems.append("the identifier's learning rate must be positive")
        if self.prior_weight < 0 or (self.snr_gamma is not None and self.snr_gamma <= 0):
            problems.append("the prior weight must be at least 0 and min-SNR-γ positive")
        if min(self.checkpoint_every, self.validation_every, self.lr_warmup_steps) < 0:
            problems.append("checkpoint and validation intervals and warm-up steps cannot be negative")
        if problems:
            raise StylistError("bad DreamBooth settings: " + "; ".join(problems))

    @property
    def trains_text_encoders(self) -> bool:
        """Whether the prompts must go through the text encoders with gradients at every step."""
        return self.train_text_encoder or self.identifier_lr is not None

    @property
    def instance_prompt(self) -> str:
        return f"a photo of {self.identifier} {self.class_noun}"

    @property
    def class_prompt(self) -> str:
        return f"a photo of a {self.class_noun}"

    @property
    def validation_prompt(self) -> str:
        # A garment in the prompt shows whether the identity still takes instructions, which is what looks need.
        return f"{self.instance_prompt} wearing a red wool coat"

    def with_overrides(self, **changes: Any) -> DreamBoothConfig:
        """A copy with the given fields changed; None values are ignored, so CLI options can be passed as they are."""
        return replace(self, **{name: value for name, value in changes.items() if value is not None})

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# diffusers' train_dreambooth_lora_sdxl.py example (lr 1e-4, 500 steps, 1024, constant schedule), with the
# rank raised to 16 for faces and prior preservation on.
SDXL_LORA = DreamBoothConfig()

# The DreamBooth paper's recipe as diffusers' train_dreambooth.py example runs it: the whole UNet at lr 5e-6
# for 800 steps with 200 class images. Full fine-tuning keeps fp32 master weights, so 8-bit AdamW is what
# brings the optimiser state within a 16 GB card.
SD_DREAMBOOTH = DreamBoothConfig(
    unet="full", learning_rate=5e-6, weight_decay=1e-2, steps=800, resolution=512, num_class_images=200,
    use_8bit_adam=True, checkpoint_every=200, validation_every=200,
)

# SD 1.x with a LoRA instead: the learning rate and steps of LoRA, the class images of the baseline.
SD_LORA = DreamBoothConfig(resolution=512, num_class_images=200, checkpoint_every=200, validation_every=200)

# By family and what is fine-tuned; a family's own `trains` says which it takes unless asked.
RECIPES = {("sdxl", "lora"): SDXL_LORA, ("sd", "full"): SD_DREAMBOOTH, ("sd", "lora"): SD_LORA}

# The CPU recipe: the same code on the tiny random models, in seconds. The learning rates are high because
# a few dozen steps must visibly move random weights.
CPU_RECIPE: dict[str, Any] = dict(
    rank=4, batch_size=1, num_class_images=4, class_inference_steps=2, steps=30, mixed_precision="no",
    gradient_checkpointing=False, use_8bit_adam=False, checkpoint_every=0, validation_every=0,
    validation_inference_steps=2,
)
CPU_LEARNING_RATE = {"lora": 3e-3, "full": 1e-4}


def default_config(preset: Preset | str, unet: str | None = None) -> DreamBoothConfig:
    """The recipe for the preset's model family at its resolution, the CPU recipe for the tiny presets.

    `unet` picks "lora" or "full" where the family offers both (SD 1.x); by default SDXL trains a LoRA and
    SD 1.x its whole UNet, as the DreamBooth paper does.
    """
    preset = get_preset(preset) if isinstance(preset, str) else preset
    if preset.edits_references:
        raise StylistError(f"the {preset.name} preset needs no training: it draws looks from the person's photos "
                           f"as they are; run `stylist --preset {preset.name} style USER_ID \"PROMPT\"` (or train "
                           "on --preset sdxl for a trained likeness)")
    family = preset.family.name
    unet = unet or preset.family.trains
    if (family, unet) not in RECIPES:
        raise StylistError(f"the {preset.name} preset trains a LoRA: a full fine-tune of SDXL's UNet needs over "
                           "40 GB of GPU memory")
    config = replace(RECIPES[family, unet], resolution=preset.resolution)
    if preset.random_weights:
        config = replace(config, **CPU_RECIPE, learning_rate=CPU_LEARNING_RATE[config.unet])
    return config
