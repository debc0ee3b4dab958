"""The memory plan: how a preset's image model sits on a device of a given memory, worked out before anything is
loaded, so that `stylist doctor` can say what a run will do and the klein path places its models by it.

Three placements, the first that fits is taken:
- "whole": every model stays on the device. Only when the weights take at most half of the budget: the other
  half is the activations', which grow with the picture's size, the references and the batch, and which these
  estimates know least well.
- "text encoder offload" (klein): the transformer and the VAE stay on the device; the text encoder (Qwen3-4B,
  half of klein's weights) waits in the CPU's memory and comes in once a look to encode every option's prompt,
  then leaves before the first denoising step. One 8 GB copy each way a look, instead of none.
- "model offload": diffusers' `enable_model_cpu_offload`, each model on the device only while it runs.

Sizes are estimates in 16-bit precision from the real configs' parameter counts (the weights list's downloads,
split by model), and activations are estimates too, until `stylist bench gpu` has measured them on a card.
Torch-free: the doctor reports plans for cards this machine does not have.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from stylist.models.residency import GPU_SHARE
from stylist.presets import Preset

GB = 10**9
GIB = 2**30

WHOLE = "whole"
TEXT_ENCODER_OFFLOAD = "text encoder offload"
MODEL_OFFLOAD = "model offload"

# Activations of one candidate while it is drawn. SDXL's UNet: about 2.5 GB per megapixel with classifier-free
# guidance (two rows a candidate). klein's transformer: about 150 kB per token of the joint sequence (its 3072
# wide stream, with the MLP and attention buffers alive at the peak), where the sequence is the picture's
# 16-pixel patches, every reference's, and the 512 text tokens.
ACTIVATION_BYTES_PER_MEGAPIXEL = 2.5e9
ACTIVATION_BYTES_PER_TOKEN = 150e3
PATCH_PIXELS = 16 * 16
MAX_BATCH = 8  # candidates drawn in one call at most
# The cards the doctor reports plans for beside this device's: a 24 GB consumer card and an 80 GB data-centre one.
CARDS = {"24 GB card": 24 * GIB, "80 GB card": 80 * GIB}


@dataclass(frozen=True)
class MemoryPlan:
    card: str  # "this device", "24 GB card", ...
    memory_bytes: int | None  # the device's; None for the CPU (its models live in the machine's RAM)
    budget_bytes: int | None  # what models and activations may hold (the residency manager's budget)
    placement: str  # WHOLE, TEXT_ENCODER_OFFLOAD or MODEL_OFFLOAD
    weights_bytes: int  # every model of the preset's image model
    resident_bytes: int  # of those, what stays on the device while candidates are drawn
    activation_bytes: int  # one candidate's, at the preset's portrait frame with the most references
    batch: int  # candidates one call draws
    fits: bool
    why: str
    estimate: bool = True  # sizes from configs, not measured on a card

    def to_json(self) -> dict:
        return asdict(self)


def activation_bytes(preset: Preset, size: tuple[int, int] | None = None, references: int | None = None) -> int:
    """One candidate's activations at `size` (the preset's portrait frame) with `references` reference images
    (klein: the most a call takes), each as large as references are fitted to (1 MP on klein)."""
    width, height = size or preset.look_size
    if preset.family.activations_grow_with == "tokens":
        count = preset.max_references if references is None else references
        tokens = width * height / PATCH_PIXELS + count * preset.reference_pixels / PATCH_PIXELS + preset.max_prompt_tokens
        return int(ACTIVATION_BYTES_PER_TOKEN * tokens)
    return int(ACTIVATION_BYTES_PER_MEGAPIXEL * width * height / 2**20)


def plan_memory(preset: Preset, memory_bytes: int | None, *, card: str = "this device",
                budget_bytes: int | None = None, size: tuple[int, int] | None = None) -> MemoryPlan:
    """Where `preset`'s models sit on a device of `memory_bytes` (None: the CPU) with `budget_bytes` for models
    and activations (default: the residency manager's share of the memory)."""
    parts = {} if preset.random_weights else preset.family.part_bytes
    weights = sum(parts.values())
    activation = activation_bytes(preset, size)
    if memory_bytes is None:
        return MemoryPlan(card, None, None, WHOLE, weights, weights, activation, MAX_BATCH, True,
                          "the CPU keeps every model in the machine's memory")
    budget = budget_bytes if budget_bytes is not None else int(GPU_SHARE * memory_bytes)

    def batch(resident: int) -> int:
        return max(0, min(MAX_BATCH, (budget - resident) // max(activation, 1)))

    if weights <= budget / 2 and batch(weights) >= 1:
        return MemoryPlan(card, memory_bytes, budget, WHOLE, weights, weights, activation, batch(weights), True,
                          f"the weights ({weights / GB:.1f} GB) take at most half of the {budget / GB:.1f} GB budget")
    encoder = parts.get("text_encoder", 0)
    if preset.family.offloads and weights <= budget and batch(weights - encoder) >= 1:
        resident = weights - encoder
        return MemoryPlan(card, memory_bytes, budget, TEXT_ENCODER_OFFLOAD, weights, resident, activation,
                          batch(resident), True,
                          f"the weights ({weights / GB:.1f} GB) fit the {budget / GB:.1f} GB budget but leave too "
                          f"little for drawing: the text encoder ({encoder / GB:.1f} GB) waits in the CPU's memory "
                          "between looks")
    largest = max(parts.values(), default=0)
    if preset.family.offloads:
        fits = batch(largest) >= 1
        why = (f"each model comes to the device only while it runs (the largest is {largest / GB:.1f} GB)" if fits
               else f"even one model and one candidate ({(largest + activation) / GB:.1f} GB) exceed the "
                    f"{budget / GB:.1f} GB budget")
        return MemoryPlan(card, memory_bytes, budget, MODEL_OFFLOAD, weights, largest, activation,
                          max(1, batch(largest)), fits, why)
    # The SDXL and SD paths swap LoRAs and IP-Adapters in place, which offload hooks do not follow: they stay whole.
    fits = batch(weights) >= 1
    why = ("the weights leave room for drawing" if fits else
           f"the weights and one candidate ({(weights + activation) / GB:.1f} GB) exceed the {budget / GB:.1f} GB "
           f"budget: use a card with more memory or the klein preset")
    return MemoryPlan(card, memory_bytes, budget, WHOLE, weights, weights, activation, max(1, batch(weights)),
                      fits, why)


def candidates_per_call(preset: Preset, plan: MemoryPlan, size: tuple[int, int], references: int) -> int:
    """How many candidates one call draws for a request of `size` with `references` images, in `plan`'s room."""
    if plan.budget_bytes is None:
        return MAX_BATCH
    activation = max(activation_bytes(preset, size, references), 1)
    return max(1, min(MAX_BATCH, (plan.budget_bytes - plan.resident_bytes) // activation))


def device_plan(preset: Preset, device: str, size: tuple[int, int] | None = None) -> MemoryPlan:
    """The plan on `device` ("cpu", "cuda", "cuda:1"), within the residency manager's budget there (which
    STYLIST_MEMORY_BUDGET_GB sets)."""
    from stylist.models.residency import RESIDENCY

    if not device.startswith("cuda"):
        return plan_memory(preset, None, size=size)
    import torch

    total = torch.cuda.get_device_properties(torch.device(device)).total_memory
    return plan_memory(preset, total, budget_bytes=RESIDENCY.budget_bytes("cuda"), size=size)


def plans(preset: Preset, device: str) -> dict[str, dict]:
    """What `stylist doctor --json` reports: the plan on this device and on the cards of CARDS."""
    found = {"this device": device_plan(preset, device).to_json()}
    found.update({card: plan_memory(preset, memory, card=card).to_json() for card, memory in CARDS.items()})
    return found
