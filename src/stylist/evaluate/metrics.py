"""The numbers looks are judged by: FID/KID, CLIP-T, CLIP-I, DINO, identity similarity, and time and memory
(fidelity.py builds the product and face fidelity of a look on them).

Every metric takes its feature extractor as an argument, so tests run them on small random models offline
and benchmarks on the real ones. The real extractors load from local files or the hub and fail with one
clear sentence when missing. None of them is the fashion CLIP that ranks looks: an image picked because a
model likes it scores high under that model, so scoring with the ranker would measure the ranking, not
the look (`evaluation_clip` refuses the ranker's weights).

Licences of the real extractors: Inception-v3 (torch-fidelity's port of TensorFlow's FID weights) Apache-2.0;
OpenCLIP ViT-L-14 `laion2b_s32b_b82k` MIT; DINO ViT-S/16 (facebook/dino-vits16) Apache-2.0; SFace
(OpenCV Zoo's face_recognition_sface_2021dec.onnx) Apache-2.0, so identity similarity may be reported
commercially. InsightFace's ArcFace models are not used:
their licence forbids commercial use.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torchmetrics.image.fid import FrechetInceptionDistance
from torchmetrics.image.kid import KernelInceptionDistance

from stylist.errors import StylistError

# A batch of images → one embedding per image, (N, D). Text embedders map strings the same way.
ImageEmbedder = Callable[[Sequence[Image.Image]], torch.Tensor]
TextEmbedder = Callable[[Sequence[str]], torch.Tensor]

INCEPTION_WEIGHTS = "weights-inception-2015-12-05-6726825d.pth"
INCEPTION_URL = f"https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/{INCEPTION_WEIGHTS}"
# FID and KID see images at the Inception's input size, as uint8, however large the looks are.
INCEPTION_SIZE = 299


# ---- distribution metrics ------------------------------------------------------------------------------

@dataclass(frozen=True)
class DistributionScores:
    fid: float
    kid: float
    kid_std: float
    real: int
    generated: int


def fid_kid(real: Sequence[Image.Image], generated: Sequence[Image.Image], features: torch.nn.Module,
            size: int = INCEPTION_SIZE, batch_size: int = 32) -> DistributionScores:
    """FID and KID between two sets of images under `features` (uint8 NCHW in, (N, D) out).

    KID's subsets are as large as the smaller set allows: it is the metric to trust with a few hundred
    images, where FID is biased upwards.
    """
    if len(real) < 2 or len(generated) < 2:
        raise StylistError("FID and KID need at least two real and two generated images")
    fid = FrechetInceptionDistance(feature=features, reset_real_features=True, input_img_size=(3, size, size))
    subset = min(len(real), len(generated), 1000)
    kid = KernelInceptionDistance(feature=features, subsets=50, subset_size=subset, reset_real_features=True)
    for images, is_real in ((real, True), (generated, False)):
        for start in range(0, len(images), batch_size):
            batch = uint8_batch(images[start:start + batch_size], size)
            fid.update(batch, real=is_real)
            kid.update(batch, real=is_real)
    kid_mean, kid_std = kid.compute()
    return DistributionScores(fid=float(fid.compute()), kid=float(kid_mean), kid_std=float(kid_std),
                              real=len(real), generated=len(generated))


def frechet_distance(mu1: torch.Tensor, sigma1: torch.Tensor, mu2: torch.Tensor, sigma2: torch.Tensor) -> float:
    """‖μ1 − μ2‖² + tr(Σ1 + Σ2 − 2(Σ1Σ2)^½): the distance FID reports, between two Gaussians."""
    mean_term = (mu1 - mu2).square().sum()
    # tr((Σ1Σ2)^½) is the sum of the square roots of Σ1Σ2's eigenvalues, which are real and ≥ 0 for
    # covariance matrices; rounding can make tiny ones negative.
    eigenvalues = torch.linalg.eigvals(sigma1.double() @ sigma2.double()).real.clamp(min=0)
    return float(mean_term + sigma1.trace() + sigma2.trace() - 2 * eigenvalues.sqrt().sum())


def uint8_batch(images: Sequence[Image.Image], size: int) -> torch.Tensor:
    arrays = [np.asarray(image.convert("RGB").resize((size, size), Image.Resampling.BICUBIC)) for image in images]
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()


def inception_features() -> torch.nn.Module:
    """The Inception-v3 that FID is defined with, from a local copy of torch-fidelity's weights.

    Looked for at $STYLIST_INCEPTION_WEIGHTS, $STYLIST_MODELS_DIR/torch-fidelity/, then torch's hub cache
    (where torch-fidelity itself downloads it).
    """
    from torchmetrics.image.fid import NoTrainInceptionV3

    candidates = [Path(os.environ["STYLIST_INCEPTION_WEIGHTS"])] if os.environ.get("STYLIST_INCEPTION_WEIGHTS") else []
    if os.environ.get("STYLIST_MODELS_DIR"):
        candidates.append(Path(os.environ["STYLIST_MODELS_DIR"]) / "torch-fidelity" / INCEPTION_WEIGHTS)
    candidates.append(Path(torch.hub.get_dir()) / "checkpoints" / INCEPTION_WEIGHTS)
    for path in candidates:
        if path.is_file():
            return NoTrainInceptionV3(name="inception-v3-compat", features_list=["2048"],
                                      feature_extractor_weights_path=str(path))
    raise StylistError(f"FID needs the Inception weights {INCEPTION_WEIGHTS}: download {INCEPTION_URL} "
                       f"into $STYLIST_MODELS_DIR/torch-fidelity/ or set STYLIST_INCEPTION_WEIGHTS to the file")


# ---- embedding metrics (DreamBooth's CLIP-T, CLIP-I and DINO) ---------------------------------------------

def prompt_fidelity(embed_images: ImageEmbedder, embed_texts: TextEmbedder, images: Sequence[Image.Image],
                    prompts: Sequence[str]) -> float:
    """CLIP-T: the mean cosine similarity of each image with the prompt it was made from."""
    if len(images) != len(prompts) or not images:
        raise ValueError("prompt_fidelity needs one prompt per image, and at least one image")
    return float(_cosine(embed_images(images), embed_texts(prompts)).diagonal().mean())


def subject_fidelity(embed_images: ImageEmbedder, generated: Sequence[Image.Image],
                     references: Sequence[Image.Image]) -> float:
    """CLIP-I or DINO (by the embedder): the mean cosine over every (generated, reference) pair.

    With the user's photos as references it measures the person; with a look's product images, the products.
    """
    if not generated or not references:
        raise ValueError("subject_fidelity needs generated and reference images")
    return float(_cosine(embed_images(generated), embed_images(references)).mean())


def _cosine(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return F.normalize(a.float(), dim=-1) @ F.normalize(b.float(), dim=-1).T


@dataclass(frozen=True)
class EvaluationClip:
    """An OpenCLIP model used only to measure, never to rank."""

    name: str
    pretrained: str | None
    model: torch.nn.Module
    preprocess: Callable[[Image.Image], torch.Tensor]
    tokenizer: Callable[[Sequence[str]], torch.Tensor]

    @torch.no_grad()
    def embed_images(self, images: Sequence[Image.Image]) -> torch.Tensor:
        batch = torch.stack([self.preprocess(image.convert("RGB")) for image in images])
        return self.model.encode_image(batch.to(_device_of(self.model))).float().cpu()

    @torch.no_grad()
    def embed_texts(self, texts: Sequence[str]) -> torch.Tensor:
        return self.model.encode_text(self.tokenizer(list(texts)).to(_device_of(self.model))).float().cpu()


# The evaluation CLIP of the real presets: larger than, and trained apart from, the ranker's ViT-B-32.
EVAL_CLIP = ("ViT-L-14", "laion2b_s32b_b82k")
# The tiny presets' evaluation CLIP: the tiny architecture drawn from another seed than the ranker's.
TINY_EVAL_SEED = 1


def evaluation_clip(preset_name: str, ranker: tuple[str, str | None], device: str = "cpu") -> EvaluationClip:
    """The CLIP that CLIP-T and CLIP-I are measured with for `preset_name`; refuses the ranker's weights."""
    import open_clip

    from stylist.presets import get_preset

    preset = get_preset(preset_name)
    if preset.random_weights:
        from stylist.models.tiny import register_tiny_clip

        register_tiny_clip()
        name, pretrained = preset.clip_model, None
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(TINY_EVAL_SEED)
            model, _, preprocess = open_clip.create_model_and_transforms(name, pretrained=None)
    else:
        name, pretrained = EVAL_CLIP
        if (name, pretrained) == ranker:
            raise StylistError(f"the evaluation CLIP {name} {pretrained} is the ranker's: scores would be inflated")
        try:
            model, _, preprocess = open_clip.create_model_and_transforms(name, pretrained=pretrained)
        except (OSError, RuntimeError) as error:
            raise StylistError(f"CLIP-T and CLIP-I need OpenCLIP {name} ({pretrained}); download it where there is "
                               f"network access (open_clip caches it in the Hugging Face cache): {error}") from error
    # open_clip's own tokenizer reads the BPE vocabulary inside its wheel, so it works offline too.
    return EvaluationClip(name, pretrained, model.eval().to(device), preprocess, open_clip.get_tokenizer(name))


def dino_embedder(preset_name: str, device: str = "cpu") -> ImageEmbedder:
    """DINO ViT-S/16's class token, as DreamBooth's DINO metric uses it; a small random ViT on tiny."""
    from transformers import ViTConfig, ViTImageProcessor, ViTModel

    from stylist.presets import get_preset

    if get_preset(preset_name).random_weights:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            model = ViTModel(ViTConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                       intermediate_size=37, image_size=32, patch_size=8), add_pooling_layer=False)
        processor = ViTImageProcessor(size={"height": 32, "width": 32})
    else:
        repo = "facebook/dino-vits16"
        try:
            model = ViTModel.from_pretrained(repo, add_pooling_layer=False)
            processor = ViTImageProcessor.from_pretrained(repo)
        except OSError as error:
            raise StylistError(f"the DINO metric needs {repo}: download it with `hf download {repo}` where there "
                               f"is network access") from error
    model = model.eval().to(device)

    @torch.no_grad()
    def embed(images: Sequence[Image.Image]) -> torch.Tensor:
        pixels = processor(images=[image.convert("RGB") for image in images], return_tensors="pt").pixel_values
        return model(pixel_values=pixels.to(device)).last_hidden_state[:, 0].float().cpu()

    return embed


# ---- identity similarity ------------------------------------------------------------------------------

@dataclass(frozen=True)
class IdentityScores:
    similarity: float  # mean cosine of generated faces to the user's faces; nan when no face was found
    faces_found: float  # share of generated images in which a face was found


def identity_similarity(embed_faces: ImageEmbedder, generated: Sequence[Image.Image],
                        user_faces: Sequence[Image.Image], size: int = 112,
                        min_face_px: int | None = None) -> IdentityScores:
    """How much the faces in generated images look like the user, by a face-recognition embedder.

    Faces are found with the same detector as photo intake and cut square; an image without a face counts
    in `faces_found` rather than as a zero similarity, so the two failures stay apart.
    """
    crops = [face for face in look_faces(generated, size, min_face_px) if face is not None]
    found = len(crops) / len(generated) if generated else 0.0
    if not crops:
        return IdentityScores(similarity=float("nan"), faces_found=found)
    references = [face.convert("RGB").resize((size, size)) for face in user_faces]
    return IdentityScores(similarity=float(_cosine(embed_faces(crops), embed_faces(references)).mean()),
                          faces_found=found)


def look_faces(images: Sequence[Image.Image], size: int = 112,
               min_face_px: int | None = None) -> list[Image.Image | None]:
    """Each image's largest face, cut square as intake cuts a user's crops; None where no face is found.

    `min_face_px` defaults to intake's; a full-length look shows a smaller face than a photo of the person.
    """
    from stylist.people.photos import MIN_FACE_PX, crop_face, find_faces

    crops: list[Image.Image | None] = []
    for image in images:
        faces = find_faces(image, MIN_FACE_PX if min_face_px is None else min_face_px)
        crops.append(crop_face(image, faces[0], size) if faces else None)
    return crops


SFACE_FILE = "face_recognition_sface_2021dec.onnx"


def sface_embedder(model_path: Path | None = None) -> ImageEmbedder:
    """OpenCV's SFace face-recognition network (128-d), run by OpenCV itself: no extra dependency."""
    import cv2

    path = model_path or Path(os.environ.get("STYLIST_MODELS_DIR", "models")) / "opencv_zoo" / SFACE_FILE
    if not Path(path).is_file():
        raise StylistError(f"identity similarity needs SFace ({SFACE_FILE} from github.com/opencv/opencv_zoo, "
                           f"models/face_recognition_sface): put it at {path}")
    recognizer = cv2.FaceRecognizerSF.create(str(path), "")

    def embed(faces: Sequence[Image.Image]) -> torch.Tensor:
        rows = [recognizer.feature(cv2.cvtColor(np.asarray(face.convert("RGB").resize((112, 112))),
                                                cv2.COLOR_RGB2BGR)) for face in faces]
        return torch.from_numpy(np.concatenate(rows)).float()

    return embed


# ---- cost -----------------------------------------------------------------------------------------------

@dataclass
class Costs:
    """Seconds and peak memory per stage, as every benchmark and the ablation report them."""

    stages: dict[str, dict[str, float]] = field(default_factory=dict)

    @contextmanager
    def measure(self, stage: str) -> Iterator[None]:
        """Time `stage`; peak GPU memory allocated in it on CUDA, else the process's peak resident memory.

        The resident peak is the process's since it started (Linux keeps no per-stage peak), so on the
        CPU it bounds a stage from above rather than isolating it.
        """
        cuda = torch.cuda.is_available()
        if cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        start = time.perf_counter()
        try:
            yield
        finally:
            if cuda:
                torch.cuda.synchronize()
            entry = {"seconds": time.perf_counter() - start}
            if cuda:
                entry["peak_gpu_mb"] = torch.cuda.max_memory_allocated() / 2**20
            else:
                entry["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            self.stages[stage] = entry


def _device_of(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device
