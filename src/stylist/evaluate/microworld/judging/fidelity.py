"""What the micro-world measures in a model's samples, as read by the world's exact classifier.

- Prompt fidelity: for every (category, colour) prompt, the share of samples wearing that colour and that
  category; chance is 1/6 and 1/3.
- Identity: the share of samples wearing the identity's hat, for "sks person" prompts and for the class
  prompt (where it should stay near zero).
- Prior preservation: the class prompt's samples should stay recognisable figures (classifier match error
  under its threshold) and as diverse as before, measured as the entropy of what they wear and look like.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass

import numpy as np
import torch

from stylist.evaluate.microworld.generators.text_to_image import SAMPLING_STEPS, MicroPipeline
from stylist.evaluate.microworld.world.classifier import Reading, classify
from stylist.evaluate.microworld.world.figures import CATEGORIES, CLASS_PROMPT, COLOURS, HAIRS, SKINS, prompt_grid

CHANCE = {"colour": 1 / len(COLOURS), "category": 1 / len(CATEGORIES)}


@dataclass(frozen=True)
class FidelityScores:
    colour_accuracy: float
    category_accuracy: float
    both_accuracy: float  # colour and category right in the same sample
    hat_share: float  # samples wearing the identity's hat
    recognisable: float  # samples the classifier reads as a figure
    samples: int

    def to_json(self) -> dict[str, float]:
        return {name: round(value, 4) for name, value in asdict(self).items()}


@dataclass(frozen=True)
class ClassScores:
    """The class prompt's samples: still people of every kind, and not the identity."""

    hat_share: float
    recognisable: float
    diversity_bits: float  # entropy of category + colour + skin + hair; 8.2 bits when all are uniform
    samples: int

    def to_json(self) -> dict[str, float]:
        return {name: round(value, 4) for name, value in asdict(self).items()}


# The most diversity_bits can be: every attribute uniform.
MAX_DIVERSITY_BITS = float(sum(np.log2(len(values)) for values in (CATEGORIES, COLOURS, SKINS, HAIRS)))


def fidelity_prompts(subject: str, per_prompt: int) -> tuple[list[str], list[tuple[str, str]]]:
    """`per_prompt` copies of "a photo of {subject} wearing a {colour} {category}" for every pair, and the pairs."""
    pairs = [pair for pair in prompt_grid() for _ in range(per_prompt)]
    return [f"a photo of {subject} wearing a {colour} {category}" for category, colour in pairs], pairs


def prompt_fidelity(pipeline: MicroPipeline, subject: str = "a person", per_prompt: int = 4, seed: int = 1,
                    steps: int = SAMPLING_STEPS) -> tuple[FidelityScores, np.ndarray]:
    """Scores and samples (in prompt order) for the garment prompts about `subject`."""
    prompts, pairs = fidelity_prompts(subject, per_prompt)
    images = pipeline(prompts, torch.Generator().manual_seed(seed), num_inference_steps=steps)
    return fidelity_scores(classify(images), pairs), images


# Checkpoints are judged on samples of their own seed, so that the reported scores (seed 1) are not the
# ones the checkpoint was chosen by.
JUDGE_SEED = 11


def checkpoint_score(pipeline: MicroPipeline, per_prompt: int = 2, steps: int = SAMPLING_STEPS) -> float:
    """What choosing a text-to-image checkpoint weighs: the mean of its colour and category accuracy."""
    scores, _ = prompt_fidelity(pipeline, per_prompt=per_prompt, seed=JUDGE_SEED, steps=steps)
    return (scores.colour_accuracy + scores.category_accuracy) / 2


def fidelity_scores(readings: list[Reading], pairs: list[tuple[str, str]]) -> FidelityScores:
    colour = [reading.colour == wanted for reading, (_, wanted) in zip(readings, pairs, strict=True)]
    category = [reading.category == wanted for reading, (wanted, _) in zip(readings, pairs, strict=True)]
    return FidelityScores(
        colour_accuracy=float(np.mean(colour)), category_accuracy=float(np.mean(category)),
        both_accuracy=float(np.mean(np.logical_and(colour, category))),
        hat_share=float(np.mean([reading.hat for reading in readings])),
        recognisable=float(np.mean([reading.recognisable for reading in readings])), samples=len(readings),
    )


def class_samples(pipeline: MicroPipeline, count: int, seed: int = 2,
                  steps: int = SAMPLING_STEPS) -> tuple[ClassScores, np.ndarray]:
    images = pipeline([CLASS_PROMPT] * count, torch.Generator().manual_seed(seed), num_inference_steps=steps)
    return class_scores(classify(images)), images


def class_scores(readings: list[Reading]) -> ClassScores:
    bits = sum(_entropy([getattr(reading, name) for reading in readings]) for name in ("category", "colour",
                                                                                      "skin", "hair"))
    return ClassScores(hat_share=float(np.mean([reading.hat for reading in readings])),
                       recognisable=float(np.mean([reading.recognisable for reading in readings])),
                       diversity_bits=bits, samples=len(readings))


def hat_share(pipeline: MicroPipeline, prompt: str, count: int, seed: int = 3,
              steps: int = SAMPLING_STEPS) -> tuple[float, np.ndarray]:
    """The share of `count` samples of `prompt` that wear the identity's hat, and the samples."""
    images = pipeline([prompt] * count, torch.Generator().manual_seed(seed), num_inference_steps=steps)
    return float(np.mean([reading.hat for reading in classify(images)])), images


def _entropy(values: list[str]) -> float:
    counts = np.array(list(Counter(values).values()), dtype=float)
    shares = counts / counts.sum()
    return float(-(shares * np.log2(shares)).sum())
