"""The metrics on small offline models: closed-form cases, orderings a broken metric would get wrong, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from PIL import Image
from skimage import data

from stylist.errors import StylistError
from stylist.evaluate.metrics import (
    Costs,
    dino_embedder,
    evaluation_clip,
    fid_kid,
    frechet_distance,
    identity_similarity,
    inception_features,
    prompt_fidelity,
    subject_fidelity,
)


class MeanColour(torch.nn.Module):
    """A feature extractor whose features are known: each image's mean colour, in 0..1."""

    num_features = 3

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return images.float().mean(dim=(2, 3)) / 255


def solid(colour) -> Image.Image:
    return Image.new("RGB", (16, 16), tuple(int(c) for c in colour))


def test_frechet_distance_of_gaussians_matches_the_closed_form():
    # Diagonal covariances commute, so tr((Σ1Σ2)^½) = Σ sqrt(a_i b_i) and the distance has a closed form.
    a, b = torch.tensor([1.0, 4.0, 9.0]), torch.tensor([4.0, 1.0, 9.0])
    mu1, mu2 = torch.tensor([0.0, 1.0, 2.0]), torch.tensor([1.0, 1.0, 0.0])
    expected = (mu1 - mu2).square().sum() + (a + b - 2 * (a * b).sqrt()).sum()
    assert frechet_distance(mu1, torch.diag(a), mu2, torch.diag(b)) == pytest.approx(float(expected), abs=1e-6)
    assert frechet_distance(mu1, torch.diag(a), mu1, torch.diag(a)) == pytest.approx(0.0, abs=1e-6)
    # A full (non-diagonal) covariance against itself, rotated: still zero apart from rounding.
    q, _ = torch.linalg.qr(torch.randn(3, 3, generator=torch.Generator().manual_seed(0)))
    sigma = q @ torch.diag(a) @ q.T
    assert frechet_distance(mu1, sigma, mu1, sigma) == pytest.approx(0.0, abs=1e-5)


def test_fid_and_kid_agree_with_the_closed_form_on_sampled_colours():
    rng = np.random.default_rng(0)
    real = [solid(c) for c in rng.normal(100, 20, size=(400, 3)).clip(0, 255)]
    near = [solid(c) for c in rng.normal(100, 20, size=(400, 3)).clip(0, 255)]
    far = [solid(c) for c in rng.normal(160, 20, size=(400, 3)).clip(0, 255)]
    same = fid_kid(real, near, MeanColour(), size=16)
    shifted = fid_kid(real, far, MeanColour(), size=16)
    # Means 60/255 apart in each of three channels, equal covariances: FID ≈ 3 × (60/255)² ≈ 0.166.
    assert shifted.fid == pytest.approx(3 * (60 / 255) ** 2, rel=0.15)
    assert same.fid < 0.01 < shifted.fid
    assert abs(same.kid) < shifted.kid
    assert shifted.real == 400 and shifted.generated == 400


def test_fid_needs_two_images_on_each_side():
    with pytest.raises(StylistError, match="at least two"):
        fid_kid([solid((0, 0, 0))], [solid((1, 1, 1)), solid((2, 2, 2))], MeanColour(), size=16)


def test_real_inception_missing_is_one_clear_sentence(tmp_path, monkeypatch):
    monkeypatch.setenv("STYLIST_MODELS_DIR", str(tmp_path))
    monkeypatch.delenv("STYLIST_INCEPTION_WEIGHTS", raising=False)
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    with pytest.raises(StylistError, match="Inception weights"):
        inception_features()


def test_prompt_and_subject_fidelity_rank_the_matching_image_first():
    # A toy embedder pair whose geometry is known: images embed as their mean colour, texts name a colour.
    colours = {"red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255)}

    def embed_images(images):
        return torch.stack([torch.tensor(np.asarray(image).reshape(-1, 3).mean(0), dtype=torch.float32) for image in images])

    def embed_texts(texts):
        return torch.tensor([colours[text] for text in texts], dtype=torch.float32)

    red, green = solid(colours["red"]), solid(colours["green"])
    assert prompt_fidelity(embed_images, embed_texts, [red], ["red"]) == pytest.approx(1.0)
    assert prompt_fidelity(embed_images, embed_texts, [red], ["green"]) == pytest.approx(0.0)
    assert subject_fidelity(embed_images, [red], [red, red]) > subject_fidelity(embed_images, [red], [green])
    with pytest.raises(ValueError):
        prompt_fidelity(embed_images, embed_texts, [red, green], ["red"])


def test_tiny_evaluation_models_embed_and_are_not_the_ranker():
    from stylist.presets import get_preset

    preset = get_preset("tiny")
    clip = evaluation_clip("tiny", ranker=(preset.clip_model, preset.clip_pretrained))
    images = [Image.fromarray(data.astronaut()), solid((10, 200, 30))]
    assert clip.embed_images(images).shape[0] == 2
    assert clip.embed_texts(["a red dress", "a green coat"]).shape[0] == 2
    score = prompt_fidelity(clip.embed_images, clip.embed_texts, images, ["a person", "green"])
    assert -1.0 <= score <= 1.0
    # The tiny evaluation CLIP comes from another seed than the ranker's tiny CLIP, so its weights differ.
    import open_clip

    from stylist.models.tiny import register_tiny_clip

    register_tiny_clip()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        ranker, _, _ = open_clip.create_model_and_transforms(preset.clip_model, pretrained=None)
    first = next(iter(clip.model.state_dict().values()))
    assert not torch.equal(first, next(iter(ranker.state_dict().values())))

    dino = dino_embedder("tiny")
    features = dino(images)
    assert features.shape == (2, 32) and torch.isfinite(features).all()


def test_identity_similarity_finds_the_face_and_counts_images_without_one():
    from stylist.people.photos import crop_face, find_faces

    astronaut = Image.fromarray(data.astronaut())
    face = crop_face(astronaut, find_faces(astronaut)[0], 112)  # as intake cuts the user's crops

    def embed(faces):  # grey thumbnails: the same face gives nearly the same vector
        return torch.stack([torch.tensor(np.asarray(f.convert("L").resize((8, 8))), dtype=torch.float32).flatten()
                            - 128 for f in faces])

    scores = identity_similarity(embed, [astronaut, solid((90, 90, 90)).resize((256, 256))], [face])
    assert scores.faces_found == 0.5
    assert scores.similarity > 0.9
    mirrored = identity_similarity(embed, [astronaut], [face.transpose(Image.Transpose.FLIP_TOP_BOTTOM)])
    assert mirrored.similarity < scores.similarity
    nobody = identity_similarity(embed, [solid((90, 90, 90)).resize((256, 256))], [face])
    assert nobody.faces_found == 0 and math.isnan(nobody.similarity)


def test_costs_record_seconds_and_memory_per_stage():
    costs = Costs()
    with costs.measure("retrieve"):
        sum(range(1000))
    with pytest.raises(RuntimeError), costs.measure("generate"):
        raise RuntimeError("a failed stage is still measured")
    assert set(costs.stages) == {"retrieve", "generate"}
    entry = costs.stages["retrieve"]
    assert entry["seconds"] >= 0
    assert entry.get("peak_rss_mb", entry.get("peak_gpu_mb")) > 0
