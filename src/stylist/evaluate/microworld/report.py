"""`stylist eval microworld`: train every micro-world model, score it, and set each score beside a broken trainer's.

1. Prompt fidelity: the text-to-image model trained on the class data, against the untrained model and a
   run on shuffled captions (pictures learnt, prompts meaningless), and chance.
2. Subject fidelity and prior preservation: DreamBooth on the identity's four photos with prior
   preservation, without it, without pivotal tuning, and with the attention-only LoRA a feasibility run
   found too weak, each against the base model before DreamBooth.
3. Retrieval: the fashion CLIP trained from scratch on the world's garments, held-out text→image R@1 against
   the untrained model, a run on shuffled texts, and chance.
4. References: the klein path's mechanism (reference images as tokens) and the SDXL path's (IP-Adapter),
   each trained from scratch to carry a product shot's garment and a person's photo's marker into the
   picture, measured on products and people they never saw, against no image, another's image, and chance;
   then `stylist style` itself on a micro-world shop, drawn by the reference-token model, each option's
   picture judged against its own product and another option's.
5. Off pose (`references.off_pose`, off_pose_run.py): the same question with every reference moved away from
   the target's geometry and every picture through the figure gate, over three training seeds of a step
   budget, beside editors that copy, the compositor, the floors, and the IP-Adapter arm on the same backbone.
Sample grids go to PNG files beside report.json, so that what the numbers say can be seen.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from stylist.evaluate.microworld.generators.ip_adapter import AdapterGenerator
from stylist.evaluate.microworld.generators.reference_tokens import ReferenceGenerator
from stylist.evaluate.microworld.generators.text_to_image import (
    GUIDANCE,
    SAMPLING_STEPS,
    UNET,
    MicroPipeline,
    new_pipeline,
)
from stylist.evaluate.microworld.judging.fidelity import (
    CHANCE,
    MAX_DIVERSITY_BITS,
    checkpoint_score,
    class_samples,
    hat_share,
    prompt_fidelity,
)
from stylist.evaluate.microworld.judging.looks import judged_looks
from stylist.evaluate.microworld.judging.references import reference_scores
from stylist.evaluate.microworld.judging.retrieval import retrieval_scores
from stylist.evaluate.microworld.off_pose_run import IMAGE_GUIDANCE, SEEDS, OffPosePlan, off_pose_report
from stylist.evaluate.microworld.training.conditioned import train_conditioned
from stylist.evaluate.microworld.training.dreambooth import RECIPE, copy_of, draw_class_images, train_subject
from stylist.evaluate.microworld.training.text_to_image import TrainingRun, train_base
from stylist.evaluate.microworld.world.figures import INSTANCE_PROMPT, class_data, identity_photos

GRID_SCALE = 4  # 32-pixel samples are drawn 128 pixels wide in the grids

# What the DreamBooth runs change from the recipe: the recipe itself, the recipe without the prior, the
# recipe with the identifier's embedding frozen (no pivotal tuning), and a rank-8 LoRA on the attention
# projections alone with a frozen text encoder (a feasibility run's recipe).
SUBJECT_RUNS = {
    "with_prior": {},
    "without_prior": {"prior_preservation": False},
    "frozen_identifier": {"identifier_lr": None},
    "attention_lora": {"unet": "lora", "train_text_encoder": False, "identifier_lr": None, "learning_rate": 1e-3},
}


@dataclass(frozen=True)
class Plan:
    """How long each trainer runs (wall-clock seconds, steps, or both: whichever ends first) and how much is sampled."""

    base_seconds: float | None
    base_steps: int | None
    shuffled_seconds: float | None
    shuffled_steps: int | None
    subject_seconds: float | None  # each DreamBooth run
    subject_steps: int = RECIPE.steps
    class_images: int = 6000  # the class data the text-to-image model learns from
    per_prompt: int = 3  # samples per (category, colour) prompt
    samples: int = 32  # samples of the class prompt, and of "sks person", per model
    class_prior_images: int = 32  # the base model's pictures that DreamBooth's prior loss keeps it to
    sampling_steps: int = SAMPLING_STEPS
    judge_every: int = 250  # text-to-image checkpoints are judged this often and the best is kept
    retrieval_epochs: int | None = None  # None: the tiny CLIP recipe's own (60, stopping early)
    reference_seconds: float | None = None  # the reference-token generator (klein's mechanism)
    reference_steps: int | None = None
    adapter_seconds: float | None = None  # the IP-Adapter generator (SDXL's mechanism)
    adapter_steps: int | None = None
    reference_samples: int = 72  # samples per part-2 number
    reference_sampling_steps: int | None = None  # None: each generator's own
    looks: int = 8  # `stylist style` looks judged on the micro-world dress shop, 4 options each
    off_pose_steps: int | None = None  # part 3: steps per off-pose training run (None leaves part 3 out)
    off_pose_seeds: tuple[int, ...] = SEEDS
    off_pose_adapter_seeds: tuple[int, ...] = SEEDS
    off_pose_guidance: float = IMAGE_GUIDANCE  # guidance on the images when part 3 samples (1: none)

    def off_pose(self) -> OffPosePlan | None:
        if self.off_pose_steps is None:
            return None
        return OffPosePlan(self.off_pose_steps, self.off_pose_seeds, self.off_pose_adapter_seeds,
                           sampling_steps=self.reference_sampling_steps, guidance=self.off_pose_guidance)

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


# The text-to-image model's judged score peaked between 750 and 1,000 steps and fell after (0.94 to 0.88 by
# 1,750; docs/microworld.md); the best checkpoint is kept, so steps past this only cost time on a fast machine.
BASE_STEP_CAP = 2500


def plan_for(minutes: float) -> Plan:
    """Share `minutes` out: 15% to the text-to-image model (its 2,500-step cap took 12 minutes on two cores), 5%
    to its shuffled-caption twin, 3% to each DreamBooth run, 10% to part 2's reference-token generator and 5% to
    its IP-Adapter one, and 45% to part 3 as a step budget (`off_pose_steps_for`); the rest is drawing and reading
    samples, which is slow on a CPU, and the fashion CLIP (bound by epochs, not time: about a minute)."""
    seconds = minutes * 60
    return Plan(base_seconds=0.15 * seconds, base_steps=BASE_STEP_CAP, shuffled_seconds=0.05 * seconds,
                shuffled_steps=BASE_STEP_CAP, subject_seconds=0.03 * seconds, reference_seconds=0.1 * seconds,
                adapter_seconds=0.05 * seconds, off_pose_steps=off_pose_steps_for(0.45 * seconds))


# Off-pose training steps a second, one torch thread, on the 2-core CPU VM the benchmark ran on. Part 3 trains
# for a number of steps, so that the same command gives the same numbers on any machine; this rate only turns
# `--minutes` into that number, once, the same way everywhere.
NOMINAL_STEPS_PER_SECOND = 3.0


def off_pose_steps_for(seconds: float, runs: int = 2 * len(SEEDS)) -> int:
    """Steps per part-3 run that `seconds` buy `runs` runs at the nominal rate (at least 20)."""
    return max(20, round(seconds * NOMINAL_STEPS_PER_SECOND / runs))


def run_microworld(plan: Plan, out: Path | None = None, on_stage: Callable[[str], None] | None = None,
                   seed: int = 0) -> dict[str, Any]:
    """Train and score everything in `plan`; with `out`, write report.json and the sample grids there."""
    started = time.perf_counter()
    stage = on_stage or (lambda name: None)
    grids: dict[str, np.ndarray] = {}

    # 1. Prompt fidelity.
    stage("drawing the class data")
    data = class_data(plan.class_images, seed)
    stage("sampling the untrained model")
    untrained, grids["untrained"] = prompt_fidelity(new_pipeline(seed), per_prompt=plan.per_prompt,
                                                      steps=plan.sampling_steps)
    stage("training the text-to-image model")
    base = new_pipeline(seed)
    judge = partial(checkpoint_score, steps=plan.sampling_steps)
    base_run = train_base(base, data, seconds=plan.base_seconds, steps=plan.base_steps, seed=seed, judge=judge,
                          judge_every=plan.judge_every)
    trained, grids["trained"] = prompt_fidelity(base, per_prompt=plan.per_prompt, steps=plan.sampling_steps)
    stage("training on shuffled captions")
    shuffled_model = new_pipeline(seed)
    # The broken twin gets the same checkpoint choice: the judge must not be what separates the two.
    shuffled_run = train_base(shuffled_model, data, seconds=plan.shuffled_seconds, steps=plan.shuffled_steps,
                              shuffle_captions=True, seed=seed, judge=judge, judge_every=plan.judge_every)
    shuffled, grids["shuffled-captions"] = prompt_fidelity(shuffled_model, per_prompt=plan.per_prompt,
                                                          steps=plan.sampling_steps)
    del shuffled_model
    models = {"trained": trained, "untrained": untrained, "shuffled_captions": shuffled}
    fidelity = {
        measure: {name: round(getattr(scores, measure), 4) for name, scores in models.items()}
        | ({"chance": round(CHANCE[measure.removesuffix("_accuracy")], 4)} if measure in
           ("colour_accuracy", "category_accuracy") else {})
        for measure in ("colour_accuracy", "category_accuracy", "both_accuracy", "recognisable")
    }
    fidelity["both_accuracy"]["chance"] = round(CHANCE["colour"] * CHANCE["category"], 4)
    fidelity["runs"] = {"trained": _run_json(base_run), "shuffled_captions": _run_json(shuffled_run)}

    # 2. DreamBooth on the identity.
    stage("sampling the base model as DreamBooth starts from it")
    photos, _ = identity_photos()
    grids["identity-photos"] = photos
    prior_pictures = draw_class_images(base, replace(RECIPE, num_class_images=plan.class_prior_images,
                                                     class_inference_steps=plan.sampling_steps), seed)
    subjects = {"base_model": _subject_scores(base, plan, grids, "base-model")}
    runs = {}
    for name, changes in SUBJECT_RUNS.items():
        stage(f"DreamBooth {name.replace('_', ' ')}")
        config = replace(RECIPE, steps=plan.subject_steps, num_class_images=plan.class_prior_images, **changes)
        model = copy_of(base)
        run = train_subject(model, photos, prior_pictures, config, seconds=plan.subject_seconds)
        runs[name] = {"steps": run.steps, "seconds": run.seconds, "final_loss": round(float(np.mean(run.losses[-10:])), 4),
                      "unet": config.unet, "rank": config.rank, "train_text_encoder": config.train_text_encoder,
                      "identifier_lr": config.identifier_lr,
                      "prior_preservation": config.prior_preservation, "prior_weight": config.prior_weight,
                      "learning_rate": config.learning_rate, "batch": f"{config.batch_size}+{config.batch_size}"
                      if config.prior_preservation else str(config.batch_size)}
        subjects[name] = _subject_scores(model, plan, grids, name.replace("_", "-"))
    subject = {measure: {name: scores[measure] for name, scores in subjects.items()} for measure in subjects["base_model"]}
    subject["class_diversity_bits"]["max"] = round(MAX_DIVERSITY_BITS, 2)
    subject["identity_prompted_colour_accuracy"]["chance"] = round(CHANCE["colour"], 4)
    subject["runs"] = runs

    # 3. Retrieval.
    stage("training the fashion CLIP on the garments")
    retrieval = retrieval_scores(seed, epochs=plan.retrieval_epochs)

    # 4. References.
    references = reference_report(plan, grids, stage, seed)

    report = {
        "prompt_fidelity": fidelity,
        "subject": subject,
        "retrieval": retrieval,
        "references": references,
        "plan": plan.to_json(),
        "model": {"unet_parameters": _parameters(base.unet), "text_encoder_parameters": _parameters(base.text_encoder),
                  "unet_config": {key: list(value) if isinstance(value, tuple) else value for key, value in UNET.items()},
                  "sampling": {"scheduler": "DDIM", "steps": plan.sampling_steps, "guidance": GUIDANCE}},
        "machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                    "torch_threads": torch.get_num_threads()},
        "seconds": round(time.perf_counter() - started, 1),
    }
    if out is not None:
        write_outputs(report, grids, out, plan.per_prompt)
    return report


def reference_report(plan: Plan, grids: dict[str, np.ndarray], stage: Callable[[str], None],
                     seed: int = 0) -> dict[str, Any]:
    """Part 4: the reference-token generator's scores at the top level (CONTRACT.md's `references`), the
    IP-Adapter generator's under `ip_adapter`, each beside its own untrained model's garment score."""
    paths: dict[str, dict[str, Any]] = {}
    for name, make, seconds, steps in (("reference_tokens", ReferenceGenerator, plan.reference_seconds,
                                        plan.reference_steps),
                                       ("ip_adapter", AdapterGenerator, plan.adapter_seconds, plan.adapter_steps)):
        model = make(seed)
        stage(f"sampling the untrained {name.replace('_', ' ')} generator")
        untrained, _ = reference_scores(model, plan.reference_samples, plan.reference_sampling_steps)
        stage(f"training the {name.replace('_', ' ')} generator")
        run = train_conditioned(model, seconds=seconds, steps=steps, seed=seed)
        stage(f"sampling the {name.replace('_', ' ')} generator")
        scores, path_grids = reference_scores(model, plan.reference_samples, plan.reference_sampling_steps)
        if name == "reference_tokens":  # klein's mechanism, the one `style`'s klein path draws with
            stage("judging stylist style's looks on the micro-world dress shop")
            scores["looks"] = judged_looks(model, seed=seed, looks=plan.looks, steps=plan.reference_sampling_steps)
        scores["garment_all_right"]["untrained"] = untrained["garment_all_right"]["with_reference"]
        scores["identity_marker"]["untrained"] = untrained["identity_marker"]["own_photo"]
        scores["run"] = run.to_json() | {"trainable_parameters": sum(
            parameter.numel() for module in model.modules() for parameter in module.parameters()
            if parameter.requires_grad)}
        paths[name] = scores
        grids.update({f"{name.replace('_', '-')}-{grid}": images for grid, images in path_grids.items()})
    references = paths["reference_tokens"] | {"mechanism": "reference_tokens", "ip_adapter": paths["ip_adapter"]}
    off_pose = plan.off_pose()
    if off_pose is not None:
        references["off_pose"] = off_pose_report(off_pose, grids, stage)
    return references


def _subject_scores(model: MicroPipeline, plan: Plan, grids: dict[str, np.ndarray], name: str) -> dict[str, float]:
    steps = plan.sampling_steps
    identity, grids[f"{name}-sks"] = hat_share(model, INSTANCE_PROMPT, plan.samples, steps=steps)
    classes, grids[f"{name}-class"] = class_samples(model, plan.samples, steps=steps)
    prompted, grids[f"{name}-sks-prompted"] = prompt_fidelity(model, subject="sks person", per_prompt=1, steps=steps)
    return {
        "identity_share_sks": round(identity, 4),
        "identity_share_class": round(classes.hat_share, 4),
        "class_recognisable": round(classes.recognisable, 4),
        "class_diversity_bits": round(classes.diversity_bits, 3),
        "identity_prompted_identity_share": round(prompted.hat_share, 4),
        "identity_prompted_colour_accuracy": round(prompted.colour_accuracy, 4),
        "identity_prompted_category_accuracy": round(prompted.category_accuracy, 4),
    }


def _run_json(run: TrainingRun) -> dict[str, Any]:
    return {"steps": run.steps, "seconds": run.seconds, "final_loss": round(float(np.mean(run.losses[-20:])), 4),
            "kept_step": run.kept_step, "judged": [list(pair) for pair in run.judged]}


def _parameters(model: torch.nn.Module) -> int:
    return sum(parameter.numel() for parameter in model.parameters())


def write_outputs(report: dict[str, Any], grids: dict[str, np.ndarray], out: Path, per_prompt: int) -> None:
    """report.json and one PNG per grid; prompt grids hold one row per (category, colour) prompt."""
    import json

    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    write_grids(grids, out, per_prompt)


def write_grids(grids: dict[str, np.ndarray], out: Path, per_prompt: int = 3) -> None:
    """One PNG per grid; prompt grids hold one row per (category, colour) prompt."""
    out.mkdir(parents=True, exist_ok=True)
    for name, images in grids.items():
        columns = per_prompt if name in ("trained", "untrained", "shuffled-captions") else 8
        grid_image(images, columns).save(out / f"{name}.png")


def grid_image(images: np.ndarray, columns: int) -> Image.Image:
    """(N, H, W, 3) samples (or sample pairs side by side) in rows of `columns`, enlarged without blurring."""
    rows = -(-len(images) // columns)
    padded = np.full((rows * columns, *images.shape[1:]), 255, dtype=np.uint8)
    padded[: len(images)] = images
    height, width = images.shape[1:3]
    grid = padded.reshape(rows, columns, height, width, 3).transpose(0, 2, 1, 3, 4).reshape(
        rows * height, columns * width, 3)
    return Image.fromarray(grid).resize((columns * width * GRID_SCALE, rows * height * GRID_SCALE), Image.NEAREST)
