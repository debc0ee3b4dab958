"""Video–text pairs for the fine-tune: `stylist video make-pairs` writes them (from pose animations and any real
clips given) and `read_pairs` reads them back.

Each pose animation is the spin's skeleton moving one way (a turn to the left or right, a half turn to
show the back, a sway), placed and sized a little differently each time, rendered as OpenPose draws it and
labelled with its motion. Real clips come from a folder where each clip has a caption in a .txt of the same
name. The output folder is what `stylist video finetune` reads: the clips and a metadata.jsonl.
"""

from __future__ import annotations

import json
import math
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from stylist.errors import StylistError
from stylist.video.encode import write_mp4
from stylist.video.poses import (
    DEFAULT_FEET_AT,
    DEFAULT_HEIGHT_FRACTION,
    PERSON_HEIGHT,
    Placement,
    render,
    spin_poses,
    spin_yaw,
)

METADATA = "metadata.jsonl"  # one line per clip: {"file_name": "clip.mp4", "text": "a person turning around"}
CLIP_SUFFIXES = {".mp4", ".webm", ".mov", ".mkv", ".gif"}
# Each motion: its caption and its yaw (degrees) over clip time t ∈ [0, 1).
MOTIONS: dict[str, Callable[[float], float]] = {
    "turns around once to their left": spin_yaw,
    "turns around once to their right": lambda t: -spin_yaw(t),
    "turns to show their back, then turns to the front again": lambda t: 90.0 * (1 - math.cos(2 * math.pi * t)),
    "sways gently from side to side": lambda t: 25.0 * math.sin(2 * math.pi * t),
}


@dataclass(frozen=True)
class Pair:
    path: Path
    text: str


@dataclass(frozen=True)
class PairsReport:
    folder: Path
    pose_clips: int
    real_clips: int
    skipped: list[str]  # real clips left out, with why

    def to_json(self) -> dict:
        return {"folder": str(self.folder), "pose_clips": self.pose_clips, "real_clips": self.real_clips,
                "skipped": self.skipped}


def make_pairs(out_dir: Path, *, variants: int = 2, seconds: float = 2.0, fps: int = 8,
               size: tuple[int, int] = (256, 384), real: Path | None = None, seed: int = 0) -> PairsReport:
    """Write `variants` clips of every motion (and the captioned clips in `real`) and metadata.jsonl to out_dir."""
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise StylistError(f"{out_dir} is not empty: give make-pairs a new folder")
    width, height = size
    frames = round(seconds * fps)
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    lines, skipped = [], []
    for number, (motion, yaw) in enumerate(MOTIONS.items()):
        for variant in range(variants):
            # The person somewhat smaller or larger and off centre, as people stand in real clips.
            scale = DEFAULT_HEIGHT_FRACTION * height / PERSON_HEIGHT * rng.uniform(0.75, 1.0)
            placement = Placement(scale, width * rng.uniform(0.4, 0.6), height * rng.uniform(0.9, DEFAULT_FEET_AT))
            pose = spin_poses(frames, placement, yaw)
            name = f"pose-{number}-{variant}.mp4"
            write_mp4([render(pose(index), size) for index in range(frames)], out_dir / name, fps)
            lines.append({"file_name": name, "text": f"a person {motion}, full body"})
    real_clips = 0
    if real is not None:
        if not Path(real).is_dir():
            raise StylistError(f"{real} is not a folder of clips")
        for clip in sorted(Path(real).iterdir()):
            if clip.suffix.lower() not in CLIP_SUFFIXES:
                continue
            caption = clip.with_suffix(".txt")
            text = caption.read_text(encoding="utf-8").strip() if caption.is_file() else ""
            if not text:
                skipped.append(f"{clip.name}: no caption in {caption.name}")
                continue
            name = f"real-{real_clips}{clip.suffix.lower()}"
            shutil.copyfile(clip, out_dir / name)
            lines.append({"file_name": name, "text": text})
            real_clips += 1
    (out_dir / METADATA).write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines),
                                    encoding="utf-8")
    return PairsReport(out_dir.resolve(), len(MOTIONS) * variants, real_clips, skipped)


def read_pairs(data_dir: Path) -> list[Pair]:
    """The (clip, text) pairs metadata.jsonl names; lines naming no file or no text are skipped."""
    if not data_dir.is_dir():
        raise StylistError(f"{data_dir} is not a folder of video–text pairs")
    try:
        lines = (data_dir / METADATA).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise StylistError(f"{data_dir} has no {METADATA}: each line must be {{\"file_name\", \"text\"}} for one clip; "
                           "`stylist video make-pairs` writes such a folder") from None
    pairs = []
    for line in lines:
        try:
            entry = json.loads(line)
            path, text = data_dir / entry["file_name"], str(entry["text"]).strip()
        except (ValueError, KeyError, TypeError):
            continue
        if text and path.suffix.lower() in CLIP_SUFFIXES and path.is_file():
            pairs.append(Pair(path, text))
    return pairs
