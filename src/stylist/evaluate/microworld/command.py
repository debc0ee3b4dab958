"""`stylist eval microworld`: train tiny models from scratch in the micro-world and show whether each trainer learns.

torch and diffusers are imported inside the command, so that `stylist --help` starts without them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from stylist.progress import wants_progress


@click.command()
@click.option("--minutes", type=click.FloatRange(min=1), default=55.0, show_default=True,
              help="Time for the whole run, shared out between the trainers and sampling.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Write report.json and the sample grids (PNG) here.")
def microworld(minutes: float, as_json: bool, out: Path | None) -> None:
    """Train text-to-image, DreamBooth, image-conditioned generators and their broken twins on procedural 32×32
    people; report what they learnt."""
    from stylist.evaluate.microworld.report import plan_for, run_microworld

    show = wants_progress(as_json)
    report = run_microworld(plan_for(minutes), out,
                            on_stage=(lambda stage: click.echo(f"{stage} ...", err=True)) if show else None)
    click.echo(json.dumps(report) if as_json else summary(report))


def summary(report: dict[str, Any]) -> str:
    """One line per number, each beside what the broken trainer and chance score."""
    fidelity, subject = report["prompt_fidelity"], report["subject"]
    lines = ["prompt fidelity (text-to-image on the class data; untrained / shuffled captions / chance):"]
    for measure in ("colour_accuracy", "category_accuracy", "both_accuracy", "recognisable"):
        values = fidelity[measure]
        chance = f" / {values['chance']:.2f}" if "chance" in values else ""
        lines.append(f"  {measure.replace('_', ' '):20} {values['trained']:.2f}  "
                     f"({values['untrained']:.2f} / {values['shuffled_captions']:.2f}{chance})")
    lines.append("DreamBooth on the identity (with prior / without prior / identifier frozen / attention-only LoRA "
                 "/ base model):")
    for measure, values in subject.items():
        if measure != "runs":
            numbers = " / ".join(f"{values[name]:.2f}" for name in
                                 ("with_prior", "without_prior", "frozen_identifier", "attention_lora", "base_model"))
            lines.append(f"  {measure.replace('_', ' '):36} {numbers}")
    retrieval = report["retrieval"]
    lines.append(f"fashion CLIP on the garments, {retrieval['held_out_products']} held-out products "
                 f"(untrained / shuffled texts; chance R@1 {retrieval['chance']:.2f}):")
    for measure, name in (("r1", "R@1"), ("r5", "R@5"), ("mrr", "MRR")):
        lines.append(f"  text→image {name:25} {retrieval['trained'][measure]:.2f}  "
                     f"({retrieval['untrained'][measure]:.2f} / {retrieval['shuffled'][measure]:.2f})")
    lines += _references_summary(report["references"])
    lines.append(f"{report['seconds']:.0f} s")
    return "\n".join(lines)


def _references_summary(references: dict[str, Any]) -> list[str]:
    """Part 4's lines: for each mechanism, what its images carry into the picture, beside the baselines."""
    held = references["held_out"]
    lines = [(f"images into the picture, on {held['garments']} products and {held['identities']} people never "
              "trained on (reference tokens, as klein / IP-Adapter, as SDXL):")]
    paths = (references, references["ip_adapter"])
    rows = (("garment_all_right", "garment from its shot: all right", ("with_reference", "shuffled", "none")),
            ("identity_marker", "marker from the photo", ("own_photo", "other_photo", "none")),
            ("person_and_product", "person and product at once", ("both_right",)))
    for key, label, columns in rows:
        numbers = "  |  ".join(" / ".join(f"{path[key][column]:.2f}" for column in columns) for path in paths)
        lines.append(f"  {label:34} {numbers}   ({' / '.join(columns)}; chance {references[key]['chance']:.3f})")
    looks = references["looks"]
    lines.append(f"stylist style on the micro-world dress shop, {looks['options']} options: the picture wears its own "
                 f"product {looks['wears_own_product']:.2f} (another option's {looks['wears_other_options_product']:.2f}; "
                 f"chance {looks['chance']:.3f}), the person's marker {looks['marker_right']:.2f}")
    if "off_pose" in references:
        lines += _off_pose_summary(references["off_pose"])
    return lines


def _off_pose_summary(off_pose: dict[str, Any]) -> list[str]:
    """Part 5's lines: off-pose references through the figure gate, means over seeds with 95% intervals."""
    def number(value: float, interval: str) -> str:
        low, high = off_pose["intervals"][interval]
        return f"{value:.2f} [{low:.2f}–{high:.2f}]"

    garment, person, floors = off_pose["garment_all_right"], off_pose["identity_marker"], off_pose["floors"]
    editors, looks = off_pose["copying_editors"], off_pose["looks"]
    seeds = ", ".join(str(seed) for seed in off_pose["seeds"])
    prints = ", ".join(f"{name} {value:.2f}" for name, value in off_pose["garment_patterns"].items())
    lines = [
        (f"off-pose references through the figure gate (seeds {seeds}, {off_pose['plan']['steps']} steps each; "
         "mean [95% interval over products and people]):"),
        (f"  garment from its own shot            {number(garment['with_reference'], 'garment_with_reference')}"
         f"   (another product's {garment['shuffled']:.2f}, none {garment['none']:.2f}, always plain "
         f"{floors['always_plain']:.2f}, chance {garment['chance']:.3f})"),
        f"  prints: {prints}",
        (f"  the person from their own photo      {number(person['own_photo'], 'identity_own_photo')}"
         f"   (another's {person['other_photo']:.2f}, none {person['none']:.2f})"),
        (f"  copying editors: pasted shot {editors['pasted_shot_garment_all_right']:.2f}, returned photo "
         f"{editors['returned_photo_identity_marker']:.2f}; compositor {floors['compositor_garment_all_right']:.2f}"),
        (f"  stylist style, {looks['options']} options ({looks['distinct_products']} products, "
         f"{looks['distinct_people']} people): own product {looks['wears_own_product']:.2f}, compositor "
         f"{looks['compositor_wears_own_product']:.2f}"),
    ]
    if "ip_adapter" in off_pose:
        adapter = off_pose["ip_adapter"]
        lines.append(f"  IP-Adapter arm, same backbone and steps: garment {adapter['garment_all_right']['with_reference']:.2f}"
                     f", person {adapter['identity_marker']['own_photo']:.2f}")
    return lines
