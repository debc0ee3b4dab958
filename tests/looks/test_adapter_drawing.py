"""Generation on tiny: CLIP guidance, models kept between calls, the fast sampler, the product board."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from diffusers import DPMSolverMultistepScheduler, LCMScheduler

from stylist.errors import StylistError
from stylist.grounding.fashion_clip import FashionClip
from stylist.looks import adapter_drawing as gen
from stylist.looks.drawing import product_board
from stylist.looks.guidance import CleanPrediction, ClipGuidance, FashionClipPixels
from stylist.looks.pipeline import Seams, style
from stylist.looks.recipe import DEFAULT_OPTIONS, Recipe
from stylist.models.loading import load_image_pipeline
from stylist.presets import get_preset
from tests.looks.fakes import MeanColourScorer, WordRetriever

PROMPT = "a photo of a person, a red silk dress for a summer party"


def pixels(images) -> torch.Tensor:
    return torch.stack([torch.from_numpy(np.asarray(image, dtype=np.float32) / 255).permute(2, 0, 1)
                        for image in images])


def test_clip_guidance_raises_the_clip_score_over_the_same_seeds(catalog, user):
    models = gen.look_models(get_preset("tiny"), "cpu")
    identity = gen.use_identity(models, user)
    guidance = ClipGuidance(FashionClipPixels(FashionClip.load(catalog.settings)), scale=0.5)
    outfits = [gen.OutfitPrompt(PROMPT, ())]
    seeds = [[1, 2, 3]]

    def draw(with_guidance):
        found = gen.generate(models, identity, outfits, seeds, Recipe(steps=2), guidance=with_guidance)
        images = [candidate.image for candidate in found[0]]
        with torch.no_grad():
            return images, guidance.scores(pixels(images), [PROMPT] * len(images))

    plain_images, plain = draw(None)
    guided_images, guided = draw(guidance)
    again_images, _ = draw(None)

    np.testing.assert_array_equal(np.asarray(plain_images[0]), np.asarray(again_images[0]))
    assert torch.all(guided > plain), (guided, plain)
    assert any(np.abs(np.asarray(a, float) - np.asarray(b, float)).mean() > 1
               for a, b in zip(plain_images, guided_images))


class RecordingGuidance(ClipGuidance):
    """Guidance that keeps what it was last asked to steer: the latents, their clean prediction, the prompts."""

    def steer(self, pipeline, latents, clean, prompts):
        self.last = (latents, clean, prompts)
        return super().steer(pipeline, latents, clean, prompts)


def peak_bytes(call) -> int:
    """The most bytes torch held allocated at once during `call`: the profiler's memory events (each allocation
    and free, timed) added up in time order."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as profiler:
        call()
    events = sorted((event.start_ns(), event.nbytes()) for event in profiler.profiler.kineto_results.events()
                    if event.name() == "[memory]")
    held = peak = 0
    for _, nbytes in events:
        held += nbytes
        peak = max(peak, held)
    return peak


def test_clip_guidance_runs_with_the_default_options_and_its_memory_does_not_grow_with_the_batch(catalog, user):
    """The CLI's default look (4 options × 2 candidates) is one batch of 8 on the CPU; guiding it peaks at about
    what guiding one image does, because the decoder and the CLIP back-propagate one image at a time."""
    models = gen.look_models(get_preset("tiny"), "cpu")
    identity = gen.use_identity(models, user)
    guidance = RecordingGuidance(FashionClipPixels(FashionClip.load(catalog.settings)), scale=0.5)
    options, recipe = DEFAULT_OPTIONS, Recipe(steps=2)
    candidates = recipe.candidates_per_option
    outfits = [gen.OutfitPrompt(f"{PROMPT}, option {number}", ()) for number in range(options)]
    seeds = [[candidates * number + each for each in range(candidates)] for number in range(options)]

    found = gen.generate(models, identity, outfits, seeds, recipe, guidance=guidance)

    assert (options, candidates) == (4, 2) and [len(option) for option in found] == [2] * 4
    latents, clean, prompts = guidance.last
    assert latents.shape[0] == clean.shape[0] == len(prompts) == 8  # one batch: fitting_batch on the CPU
    one = peak_bytes(lambda: guidance.steer(models.pipeline, latents[:1], clean[:1], prompts[:1]))
    eight = peak_bytes(lambda: guidance.steer(models.pipeline, latents, clean, prompts))
    assert one > 0 and eight <= 1.5 * one, (eight, one)


def test_models_stay_loaded_between_looks(catalog, user):
    options = {"options": 1, "seams": Seams(retriever=WordRetriever(), scorer=MeanColourScorer())}
    style(catalog.settings, user.id, "a coat", recipe=Recipe(candidates=1, steps=1), **options)
    models = gen.look_models(get_preset("tiny"), "cpu")
    pipeline = models.pipeline
    style(catalog.settings, user.id, "a dress", recipe=Recipe(fast=True, candidates=1, steps=1), **options)
    assert gen.look_models(get_preset("tiny"), "cpu") is models and models.pipeline is pipeline
    # Fast mode swapped the sampler for its call only.
    assert pipeline.scheduler is models.sampler


def test_fast_mode_draws_one_candidate_with_a_few_step_sampler(catalog, user):
    seen = []
    look = style(catalog.settings, user.id, "a coat", options=1, seed=3, recipe=Recipe(fast=True),
                 seams=Seams(retriever=WordRetriever(), scorer=MeanColourScorer()), on_progress=lambda progress: seen.append((progress.fraction, progress.stage)))
    assert all(len(option.candidates) == 1 for option in look.options)
    assert look.settings["fast"] is True
    generate_steps = [fraction for fraction, stage in seen if stage == "generate"]
    assert len(generate_steps) == gen.FAST_SAMPLER_STEPS + 1  # each step, then the stage's end
    assert [fraction for fraction, _ in seen] == sorted(fraction for fraction, _ in seen) and seen[-1][0] == 1.0


def test_the_product_board_shows_every_product(catalog):
    from stylist.catalog.store import CatalogStore

    with CatalogStore(catalog.settings) as store:
        products = list(store.products())[:3]
    board = np.asarray(product_board(products, size=96), dtype=int)
    assert board.shape == (96, 96, 3)
    for product in products:
        picture = gen.load_image(product.images[0].read_bytes())
        colour = np.asarray(picture.getpixel((picture.width // 2, picture.height // 2)), dtype=int)
        assert (np.abs(board - colour).sum(axis=-1) < 30).sum() > 100


def test_fast_mode_of_a_real_preset_without_its_lcm_lora_fails_in_one_sentence(offline, catalog):
    from stylist.models.loading import load_image_pipeline
    from stylist.presets import get_preset

    pipeline = load_image_pipeline(get_preset("tiny"), "cpu", cached=False)
    models = gen.LookModels(("sdxl", "cpu", torch.float32), get_preset("sdxl"), pipeline, pipeline.scheduler)
    with pytest.raises(StylistError, match="the sdxl preset needs latent-consistency/lcm-lora-sdxl"):
        gen.use_sampler(models, fast=True)


def test_a_candidate_is_the_same_whichever_batch_draws_it(user):
    models = gen.look_models(get_preset("tiny"), "cpu")
    identity = gen.use_identity(models, user)
    outfits = [gen.OutfitPrompt(PROMPT, ()), gen.OutfitPrompt("a photo of a person in a grey coat", ())]
    seeds = [[11, 12], [13]]

    together = gen.generate(models, identity, outfits, seeds, Recipe(steps=2), batch_size=3)
    one_by_one = gen.generate(models, identity, outfits, seeds, Recipe(steps=2), batch_size=1)

    assert gen.fitting_batch(models.pipeline, classifier_free=True, size=(64, 96)) == gen.MAX_BATCH  # the CPU's
    for first, second in zip(together, one_by_one, strict=True):
        for a, b in zip(first, second, strict=True):
            assert a.seed == b.seed
            np.testing.assert_allclose(np.asarray(a.image, float), np.asarray(b.image, float), atol=1)


def test_guidance_decodes_a_reduced_image_one_at_a_time():
    from stylist.looks.guidance import decode

    pipeline = load_image_pipeline(get_preset("tiny"), "cpu")
    latents = torch.randn(2, 4, 32, 32, generator=torch.Generator().manual_seed(0))  # tiny: 64 px images
    assert decode(pipeline, latents).shape == (2, 3, 64, 64)
    assert decode(pipeline, latents, side=32).shape == (2, 3, 32, 32)  # a quarter of the pixels to back-propagate


def test_guidance_back_propagates_through_a_float32_copy_of_a_float16_vae_made_once():
    pipeline = load_image_pipeline(get_preset("tiny"), "cpu", cached=False)
    guidance = ClipGuidance(scorer=None, scale=0.5)
    assert guidance._vae(pipeline) is pipeline.vae  # float32 already: nothing to copy
    pipeline.vae.half()
    upcast = guidance._vae(pipeline)
    assert upcast is not pipeline.vae and upcast.dtype == torch.float32 and pipeline.vae.dtype == torch.float16
    assert guidance._vae(pipeline) is upcast  # once, not every step


@pytest.mark.parametrize("sampler", ["euler", "lcm", "dpm-solver"])
def test_guidance_sees_each_samplers_own_prediction_of_the_clean_latents(sampler, monkeypatch):
    """The hook's x0, after classifier-free guidance, is what each sampler generate.py uses computes itself:
    Euler's pred_original_sample, LCM's denoised sample (c_skip is ~1e-8 at its timesteps), DPM-Solver++'s
    converted model output."""
    pipeline = load_image_pipeline(get_preset("tiny"), "cpu", cached=False)
    config = pipeline.scheduler.config
    pipeline.scheduler = {"euler": pipeline.scheduler, "lcm": LCMScheduler.from_config(config),
                          "dpm-solver": DPMSolverMultistepScheduler.from_config(config)}[sampler]
    scheduler, step = pipeline.scheduler, pipeline.scheduler.step
    theirs, ours = [], []

    def recording_step(*args, **kwargs):
        output = step(*args, **kwargs)
        theirs.append(scheduler.model_outputs[-1] if sampler == "dpm-solver" else output[1])
        return output

    monkeypatch.setattr(scheduler, "step", recording_step)
    with CleanPrediction(pipeline) as clean:
        pipeline(prompt=[PROMPT] * 2, num_inference_steps=3, guidance_scale=1.0 if sampler == "lcm" else 5.0,
                 generator=[torch.Generator().manual_seed(seed) for seed in (1, 2)], output_type="latent",
                 callback_on_step_end=lambda pipe, i, t, tensors: ours.append(clean.latest) or tensors)
    assert len(ours) == len(theirs) == 3
    for mine, own in zip(ours, theirs, strict=True):
        assert mine.shape == (2, 4, 32, 32)
        torch.testing.assert_close(mine, own.float(), rtol=1e-4, atol=1e-4)


def test_a_batch_counts_memory_torch_keeps_cached_as_free(monkeypatch):
    from types import SimpleNamespace

    GB = 2**30
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device: (1 * GB, 80 * GB))  # the driver's view
    monkeypatch.setattr(torch.cuda, "memory_reserved", lambda device: 30 * GB)  # cached by earlier looks...
    monkeypatch.setattr(torch.cuda, "memory_allocated", lambda device: 10 * GB)  # ...of which 20 GB are free
    pipeline = SimpleNamespace(device=torch.device("cuda"))
    per_image = gen.ACTIVATION_BYTES_PER_MEGAPIXEL * 832 * 1216 / 2**20
    assert gen.fitting_batch(pipeline, classifier_free=True, size=(832, 1216)) == min(
        gen.MAX_BATCH, int(0.8 * 21 * GB // per_image))
