"""Part 3's measurements: is the garment worn, or copied? Off-pose references, through the figure gate.

Part 2 gave references in the target's own geometry and credited any picture the classifier could read. Here:
- every reference is off pose (world/off_pose.py): shots scaled, mirrored and moved, photos of the person
  elsewhere in another garment, so that no pixel can be copied into place;
- every picture must pass the figure gate (gate.py) before it is credited with anything;
- every held-out product and person is judged equally often (wardrobe.stratified_pairs: 72 samples per
  number, 6 per product for the garment, 12 per person for the identity, each pair once for both);
- beside the model, what scores without one: the product shot pasted on grey, the person's photo handed back,
  the compositor (shots laid over the photo), and the floors (chance, "always plain", and the model itself
  following another product's shot).
`judge_generator` is one trained model's samples; `judge_editors` the editors', done once; `combine` sets
seeds side by side: each number the mean over seeds, with its 95% interval clustered over products and people
(intervals.py) and every seed's own value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch

from stylist.evaluate.microworld.generators.editors import AlwaysPlain, Compositor, PastedShot, ReturnedPhoto
from stylist.evaluate.microworld.judging.gate import COPY_LEVELS, FACE_DISTANCE, FIGURE_ERROR, SAME_POSITION_IOU, gate
from stylist.evaluate.microworld.judging.intervals import NO_CLUSTER, Outcomes, clustered_interval
from stylist.evaluate.microworld.judging.references import other_photos
from stylist.evaluate.microworld.world.classifier import Reading, classify
from stylist.evaluate.microworld.world.figures import COLOURS, INK, PATTERNS, SIZE, garment_mask, pattern_mask, regions
from stylist.evaluate.microworld.world.off_pose import displaced_shot
from stylist.evaluate.microworld.world.wardrobe import (
    CHANCE_GARMENT,
    HELD_OUT_GARMENTS,
    HELD_OUT_IDENTITIES,
    IDENTITIES,
    Examples,
    Garment,
    Identity,
    examples,
    stratified_pairs,
)

EVALUATION_SEED = 7  # the held-out examples and their displacements; the samples' noise uses seed 1
CHANCE_PERSON = 1 / len(IDENTITIES)

Draw = Callable[[Examples], np.ndarray]


@dataclass
class Judged:
    """One generator's (or editor's) outcomes per number, the gate's verdicts, and sample grids."""

    outcomes: dict[str, Outcomes] = field(default_factory=dict)
    gates: dict[str, dict[str, Any]] = field(default_factory=dict)
    grids: dict[str, np.ndarray] = field(default_factory=dict)
    print_strength: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Batches:
    """The held-out examples every generator is judged on, the same for all."""

    garment: Examples
    shuffled: Examples  # each target given another held-out product's shot
    shown: list[Garment]  # the product each of those shots shows
    identity: Examples
    other_photo: Examples  # each target given another held-out person's photo, who wears another marker
    both: Examples


def held_out_batches(repeats: int = 1) -> Batches:
    rng = np.random.default_rng(EVALUATION_SEED)
    garment = examples("garment", 0, rng, HELD_OUT_GARMENTS, HELD_OUT_IDENTITIES, off_pose=True,
                       pairs=stratified_pairs("garment", repeats))
    shown = _others(garment.garments, rng)
    shuffled = replace(garment, references=[np.stack([displaced_shot(g.category, g.colour, g.pattern, rng)
                                                      for g in shown])])
    identity = examples("identity", 0, rng, HELD_OUT_GARMENTS, HELD_OUT_IDENTITIES, off_pose=True,
                        pairs=stratified_pairs("identity", repeats))
    other_photo = replace(identity, references=[other_photos(identity, rng)])
    both = examples("both", 0, rng, HELD_OUT_GARMENTS, HELD_OUT_IDENTITIES, off_pose=True,
                    pairs=stratified_pairs("both", repeats))
    return Batches(garment, shuffled, shown, identity, other_photo, both)


def sampler(model: Callable[..., np.ndarray], steps: int | None = None, **options: Any) -> Draw:
    """Pictures from `model` for a batch, from noise of seed 1 (the same for every batch and model); `options`
    (a generator's `guidance`) are passed on."""
    if steps is not None:
        options |= {"num_inference_steps": steps}

    def draw(batch: Examples) -> np.ndarray:
        return model(batch, torch.Generator().manual_seed(1), **options)
    return draw


def judge_generator(draw: Draw, batches: Batches) -> Judged:
    """Every number of part 3 for one trained generator."""
    judged = Judged()
    readings, gated = _look(judged, "garment", draw, batches.garment)
    judged.outcomes["garment_with_reference"] = _garments(readings, gated, batches.garment)
    for attribute in ("colour", "category", "pattern"):  # which part of the garment is missed
        judged.outcomes[f"garment_{attribute}"] = _attribute(readings, gated, batches.garment, attribute)
    for pattern in PATTERNS:
        judged.outcomes[f"pattern_{pattern}"] = _only(judged.outcomes["garment_with_reference"], batches.garment,
                                                      pattern)
    # The pictures are the last SIZE columns of the grid _look keeps (the images given come first).
    judged.print_strength = print_strength(judged.grids["garment"][:, :, -SIZE:], readings, batches.garment)
    readings, gated = _look(judged, "garment-shuffled", draw, batches.shuffled)
    judged.outcomes["garment_shuffled"] = _garments(readings, gated, batches.garment)
    judged.outcomes["garment_shuffled_follows_shown"] = _garments(readings, gated, batches.garment, batches.shown)
    none = replace(batches.garment, task="none", references=[])
    readings, gated = _look(judged, "garment-none", draw, none)
    judged.outcomes["garment_none"] = _garments(readings, gated, batches.garment)

    readings, gated = _look(judged, "identity", draw, batches.identity)
    judged.outcomes["identity_own_photo"] = _people(readings, gated, batches.identity)
    for part in ("hat_colour", "hat_shape", "skin"):  # which part of the person is missed
        judged.outcomes[f"identity_{part}"] = _person_part(readings, gated, batches.identity, part)
    readings, gated = _look(judged, "identity-other-photo", draw, batches.other_photo)
    judged.outcomes["identity_other_photo"] = _people(readings, gated, batches.identity)
    readings, gated = _look(judged, "identity-none", draw, replace(batches.identity, task="none", references=[]))
    judged.outcomes["identity_none"] = _people(readings, gated, batches.identity)

    readings, gated = _look(judged, "both", draw, batches.both)
    _person_and_product(judged, "both", readings, gated, batches.both)
    return judged


def print_strength(pictures: np.ndarray, readings: list[Reading], batch: Examples) -> dict[str, float]:
    """How strongly each print is drawn where the target's print would be, on the figure where it stands: the
    garment's luminance off the ink minus on it, as a share of the clean render's (1: as crisp as the world
    draws it, 0: not at all). `plain` is the null: plain targets measured against each print's ink pixels.
    Every picture counts, gate or not, at the position the classifier reads: a model drawing many non-figures
    would have its strength mixed with noise, which the gate's own share beside it shows."""
    drawn: dict[str, list[float]] = {pattern: [] for pattern in PATTERNS}
    for picture, reading, garment in zip(pictures.astype(np.float32), readings, batch.garments, strict=True):
        masks = regions(reading.shift)
        worn = garment_mask(garment.category, masks)
        luminance = picture.mean(axis=-1)
        clean = np.mean(COLOURS[garment.colour]) - np.mean(INK)
        for pattern in ((garment.pattern,) if garment.pattern != "plain" else PATTERNS[1:]):
            ink = pattern_mask(pattern, reading.shift) & worn
            strength = (luminance[worn & ~ink].mean() - luminance[ink].mean()) / clean
            drawn["plain" if garment.pattern == "plain" else pattern].append(float(strength))
    return {pattern: round(float(np.mean(values)), 3) for pattern, values in drawn.items() if values}


def judge_editors(batches: Batches) -> Judged:
    """The no-model editors and the "always plain" floor, on the same batches (they need no seeds)."""
    judged = Judged()
    for name, editor in (("pasted-shot", PastedShot()), ("always-plain", AlwaysPlain())):
        readings, gated = _look(judged, name, sampler(editor), batches.garment)
        judged.outcomes[f"{name}_garment"] = _garments(readings, gated, batches.garment)
        # Without the gate too: in part 2's aligned geometry the gate is what stops these editors (tested); off
        # pose, moving the references already does, and this shows it.
        judged.outcomes[f"{name}_garment_ungated"] = _garments(readings, None, batches.garment)
    readings, gated = _look(judged, "returned-photo", sampler(ReturnedPhoto()), batches.identity)
    judged.outcomes["returned-photo_identity"] = _people(readings, gated, batches.identity)
    judged.outcomes["returned-photo_identity_ungated"] = _people(readings, None, batches.identity)
    readings, gated = _look(judged, "compositor", sampler(Compositor()), batches.both)
    _person_and_product(judged, "compositor", readings, gated, batches.both)
    return judged


def arm_numbers(seeds: list[int], per_seed: list[Judged], runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One generator's numbers over its seeds: each the mean over seeds, its interval, every seed's value."""
    def mean(name: str) -> float:
        return round(float(np.mean([judged.outcomes[name].share for judged in per_seed])), 4)

    names = list(per_seed[0].outcomes)
    return {
        "garment_all_right": {"with_reference": mean("garment_with_reference"), "shuffled": mean("garment_shuffled"),
                              "none": mean("garment_none"), "chance": round(CHANCE_GARMENT, 4)},
        "identity_marker": {"own_photo": mean("identity_own_photo"), "other_photo": mean("identity_other_photo"),
                            "none": mean("identity_none"), "chance": round(CHANCE_PERSON, 4)},
        "garment_patterns": {pattern: mean(f"pattern_{pattern}") for pattern in PATTERNS},
        "garment_attributes": {attribute: mean(f"garment_{attribute}") for attribute in ("colour", "category", "pattern")},
        "identity_parts": {part: mean(f"identity_{part}") for part in ("hat_colour", "hat_shape", "skin")},
        "print_strength": {pattern: round(float(np.mean([judged.print_strength[pattern] for judged in per_seed])), 3)
                           for pattern in per_seed[0].print_strength},
        "person_and_product": {"both_right": mean("both_both_right"), "garment_right": mean("both_garment_right"),
                               "marker_right": mean("both_marker_right")},
        "shuffled_follows_shown": mean("garment_shuffled_follows_shown"),
        "gate": {name: _mean_gate([judged.gates[name] for judged in per_seed]) for name in per_seed[0].gates},
        "seeds": seeds,
        "intervals": {name: clustered_interval(Outcomes.pooled([judged.outcomes[name] for judged in per_seed]))
                      for name in names},
        "per_seed": {name: [judged.outcomes[name].share for judged in per_seed] for name in names},
        "samples_per_number": len(per_seed[0].outcomes["garment_with_reference"].right),
        "held_out": {"garments": len(HELD_OUT_GARMENTS), "identities": len(HELD_OUT_IDENTITIES)},
        "runs": runs,
    }


def combine(seeds: list[int], per_seed: list[Judged], editors: Judged, looks: list[dict[str, Any]],
            runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The report's `references.off_pose`: the model's numbers (arm_numbers), and beside them the copying
    editors, the judged looks, the gate's verdicts on model and editors, and the floors."""
    numbers = arm_numbers(seeds, per_seed, runs)
    model_gate = numbers.pop("gate")
    numbers["intervals"] |= ({f"editor_{name}": clustered_interval(outcomes) for name, outcomes in editors.outcomes.items()}
                             | {f"looks_{name}": clustered_interval(Outcomes.pooled([look["outcomes"][name] for look in looks]))
                                for name in looks[0]["outcomes"]})
    return numbers | {
        "copying_editors": {
            "pasted_shot_garment_all_right": editors.outcomes["pasted-shot_garment"].share,
            "returned_photo_identity_marker": editors.outcomes["returned-photo_identity"].share,
            "without_the_gate": {"pasted_shot_garment_all_right": editors.outcomes["pasted-shot_garment_ungated"].share,
                                 "returned_photo_identity_marker":
                                     editors.outcomes["returned-photo_identity_ungated"].share},
        },
        "looks": _looks(looks),
        "gate": {"thresholds": {"figure_error": FIGURE_ERROR, "face_distance": FACE_DISTANCE,
                                "copy_levels": COPY_LEVELS, "same_position_iou": SAME_POSITION_IOU},
                 "model": model_gate, "editors": editors.gates},
        "floors": {"chance": round(CHANCE_GARMENT, 4), "always_plain": editors.outcomes["always-plain_garment"].share,
                   "shuffled_follows_shown": numbers["shuffled_follows_shown"],
                   "compositor_garment_all_right": editors.outcomes["compositor_garment_right"].share,
                   "compositor_person_and_product": editors.outcomes["compositor_both_right"].share},
    }


def _looks(looks: list[dict[str, Any]]) -> dict[str, Any]:
    """The judged looks of every seed together: shares over all their options."""
    pooled = {name: Outcomes.pooled([look["outcomes"][name] for look in looks]) for name in looks[0]["outcomes"]}
    return ({"wears_own_product": pooled["model_own"].share, "compositor_wears_own_product":
             pooled["compositor_own"].share}
            | {name: outcomes.share for name, outcomes in pooled.items() if name not in ("model_own", "compositor_own")}
            | {"options": len(pooled["model_own"].right),
               "distinct_products": len({int(product) for look in looks
                                         for product in look["outcomes"]["model_own"].products}),
               "distinct_people": len({int(person) for look in looks for person in look["outcomes"]["model_own"].people}),
               "per_seed": [{key: value for key, value in look.items() if key != "outcomes"} for look in looks]})


def _look(judged: Judged, name: str, draw: Draw, batch: Examples) -> tuple[list[Reading], np.ndarray]:
    """Draw `batch`, read it and gate it; keeps the gate's verdict and a grid (each sample beside its images)."""
    pictures = draw(batch)
    readings = classify(pictures, PATTERNS)
    verdict = gate(pictures, readings, batch.references)
    judged.gates[name] = verdict.to_json()
    judged.grids[name] = np.concatenate([*batch.references, pictures], axis=2)
    return readings, verdict.passed


def _product(garment: Garment) -> int:
    return HELD_OUT_GARMENTS.index(garment)


def _garments(readings: list[Reading], passed: np.ndarray | None, batch: Examples,
              wanted: list[Garment] | None = None) -> Outcomes:
    """Whether each picture passed the gate (unless `passed` is None) and wears the whole garment wanted (the
    target's unless `wanted`): colour, print and category."""
    wanted = wanted or batch.garments
    right = np.array([(passed is None or bool(passed[index])) and reading.recognisable
                      and Garment(reading.category, reading.colour, reading.pattern) == garment
                      for index, (reading, garment) in enumerate(zip(readings, wanted, strict=True))])
    return Outcomes(right, np.array([_product(garment) for garment in batch.garments]), _people_of(batch))


def _people(readings: list[Reading], passed: np.ndarray | None, batch: Examples) -> Outcomes:
    """Whether each picture passed the gate (unless `passed` is None) and is the person: their hat's colour and
    shape, and their skin."""
    right = np.array([(passed is None or bool(passed[index])) and reading.recognisable
                      and reading.marker == identity.marker and reading.skin == identity.skin
                      for index, (reading, identity) in enumerate(zip(readings, batch.identities, strict=True))])
    return Outcomes(right, np.array([_product(garment) for garment in batch.garments]), _people_of(batch))


def _attribute(readings: list[Reading], passed: np.ndarray, batch: Examples, attribute: str) -> Outcomes:
    """Whether each picture passed the gate and wears the target garment's `attribute` (colour, category or
    pattern), whatever the other two."""
    right = np.array([bool(passed[index]) and getattr(reading, attribute) == getattr(garment, attribute)
                      for index, (reading, garment) in enumerate(zip(readings, batch.garments, strict=True))])
    return Outcomes(right, np.array([_product(garment) for garment in batch.garments]), _people_of(batch))


def _person_part(readings: list[Reading], passed: np.ndarray, batch: Examples, part: str) -> Outcomes:
    """Whether each picture passed the gate and has the person's hat colour, hat shape or skin."""
    def right(reading: Reading, identity: Identity) -> bool:
        if part == "skin":
            return reading.skin == identity.skin
        name = part.removeprefix("hat_")
        return reading.marker is not None and getattr(reading.marker, name) == getattr(identity.marker, name)

    values = np.array([bool(passed[index]) and right(reading, identity)
                       for index, (reading, identity) in enumerate(zip(readings, batch.identities, strict=True))])
    return Outcomes(values, np.array([_product(garment) for garment in batch.garments]), _people_of(batch))


def _person_and_product(judged: Judged, name: str, readings: list[Reading], passed: np.ndarray, batch: Examples) -> None:
    garment, person = _garments(readings, passed, batch), _people(readings, passed, batch)
    judged.outcomes[f"{name}_garment_right"] = garment
    judged.outcomes[f"{name}_marker_right"] = person
    judged.outcomes[f"{name}_both_right"] = replace(garment, right=garment.right & person.right)


def _people_of(batch: Examples) -> np.ndarray:
    return np.array([HELD_OUT_IDENTITIES.index(identity) if identity is not None else NO_CLUSTER
                     for identity in batch.identities])


def _only(outcomes: Outcomes, batch: Examples, pattern: str) -> Outcomes:
    keep = np.array([garment.pattern == pattern for garment in batch.garments])
    return Outcomes(outcomes.right[keep], outcomes.products[keep], outcomes.people[keep])


def _mean_gate(verdicts: list[dict[str, Any]]) -> dict[str, Any]:
    return {key: round(float(np.mean([verdict[key] for verdict in verdicts])), 4) if verdicts[0][key] is not None
            else None for key in verdicts[0]}


def _others(garments: list[Garment], rng: np.random.Generator) -> list[Garment]:
    """For each target, another held-out product."""
    shown = []
    for garment in garments:
        others = [other for other in HELD_OUT_GARMENTS if other != garment]
        shown.append(others[rng.integers(len(others))])
    return shown
