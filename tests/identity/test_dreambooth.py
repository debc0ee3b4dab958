"""DreamBooth on the tiny presets, on the CPU: what trains, that it learns, and that what it saves is what it trained.

Two users are trained once per module (Ada for 30 steps with validation images, Bob for a few) and several
tests read those runs; the tests that need other settings train their own short runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from diffusers import DDPMScheduler
from PIL import Image
from safetensors.torch import load_file

from stylist.errors import StylistError
from stylist.identity.class_images import class_image_folder, class_images
from stylist.identity.dreambooth import (
    add_trainable_weights,
    dreambooth_loss,
    make_optimizer,
    min_snr_weights,
    train_identity,
    training_loss,
    training_target,
)
from stylist.identity.dreambooth_config import DreamBoothConfig, default_config
from stylist.identity.identifier import IDENTIFIER_WEIGHTS, attach_identifiers, detach_identifiers
from stylist.identity.train_data import class_training_images, encode_prompts, instance_images, tokenize, training_data
from stylist.identity.weights import LORA_WEIGHTS, identity_folder, load_identity, training_folder
from stylist.models.loading import load_image_pipeline
from stylist.people.users import User, add_user, delete_user, get_user
from stylist.presets import get_preset
from stylist.progress import Progress
from stylist.settings import Settings
from tests.helpers.photos import save, variant

ADA_STEPS = 30


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("data"), preset="tiny", device="cpu")


@pytest.fixture(scope="module")
def ada(settings, good_photos) -> User:
    return add_user(settings, "Ada", good_photos, crop_size=64)


@pytest.fixture(scope="module")
def bob(settings, tmp_path_factory) -> User:
    """Another person's photos: other framings and colours of the astronaut, so that Bob's crops differ from Ada's."""
    folder = tmp_path_factory.mktemp("bob")
    return add_user(settings, "Bob", [
        save(variant((0, 0, 512, 512), 1.0, (0.8, 0.9, 1.2)), folder / "1.png"),
        save(variant((60, 0, 460, 400), 1.3, (1.2, 1.0, 0.8), mirror=True), folder / "2.png"),
        save(variant((30, 20, 500, 490), 0.9, (1.0, 0.8, 1.0)), folder / "3.png"),
    ], crop_size=64)


def tiny_config(**changes) -> DreamBoothConfig:
    return default_config("tiny").with_overrides(**changes)


@pytest.fixture(scope="module")
def ada_run(settings, ada):
    """Ada trained for 30 steps with validation images at the end; returns the result and what was reported."""
    reported: list[Progress] = []
    config = tiny_config(steps=ADA_STEPS, validation_every=ADA_STEPS)
    return train_identity(settings, ada.id, config, on_progress=reported.append), reported, config


@pytest.fixture(scope="module")
def bob_run(settings, bob, ada_run):
    """Bob trained after Ada; returns the result, what was reported, and Ada's weights file as it was before."""
    ada_weights = (ada_run[0].weights / LORA_WEIGHTS).read_bytes()
    reported: list[Progress] = []
    return train_identity(settings, bob.id, tiny_config(steps=4), on_progress=reported.append), reported, ada_weights


def trainable(module: torch.nn.Module) -> dict[str, int]:
    return {name: parameter.numel() for name, parameter in module.named_parameters() if parameter.requires_grad}


def generate(pipeline, config: DreamBoothConfig) -> np.ndarray:
    """The validation prompt with the validation seeds, as the trainer renders it, in 8-bit pixels."""
    images = pipeline(
        config.validation_prompt, num_images_per_prompt=config.validation_images, height=config.resolution,
        width=config.resolution, num_inference_steps=config.validation_inference_steps, output_type="np",
        generator=[torch.Generator().manual_seed(config.seed + number) for number in range(config.validation_images)],
    ).images
    return (images * 255).round().astype(np.uint8)


def validation_images(settings: Settings, user: User, preset: str, step: int, count: int) -> np.ndarray:
    folder = training_folder(user, get_preset(preset)) / "validation"
    return np.stack([np.asarray(Image.open(folder / f"step-{step:05d}-{number}.png")) for number in range(count)])


# The recipes


def test_each_preset_gets_its_literature_recipe_and_bad_settings_are_refused():
    sdxl, sd, sd_lora = default_config("sdxl"), default_config("sd14"), default_config("sd14", "lora")
    assert (sdxl.unet, sdxl.rank, sdxl.learning_rate, sdxl.steps, sdxl.resolution) == ("lora", 16, 1e-4, 500, 1024)
    assert (sd.unet, sd.learning_rate, sd.steps, sd.resolution, sd.num_class_images) == ("full", 5e-6, 800, 512, 200)
    assert (sd_lora.unet, sd_lora.learning_rate, sd_lora.resolution) == ("lora", 1e-4, 512)
    for config in (sdxl, sd, sd_lora):
        assert config.prior_preservation and config.prior_weight == 1.0 and config.gradient_checkpointing
        assert (config.instance_prompt, config.class_prompt) == ("a photo of sks person", "a photo of a person")
    tiny = default_config("tiny")
    assert (tiny.resolution, tiny.mixed_precision, tiny.checkpoint_every, tiny.validation_every) == (64, "no", 0, 0)

    with pytest.raises(StylistError, match="trains a LoRA"):
        default_config("sdxl", "full")
    with pytest.raises(StylistError, match=r"multiple of 8.*learning rate must be positive"):
        sdxl.with_overrides(learning_rate=0.0, resolution=100)


# What trains


def test_sdxl_trains_only_unet_lora_and_text_encoders_only_when_asked():
    pipeline = load_image_pipeline(get_preset("tiny"), "cpu", cached=False)
    trained = add_trainable_weights(pipeline, tiny_config())

    assert list(trained) == ["unet"]
    unet = trainable(pipeline.unet)
    assert unet and all(".lora_A." in name or ".lora_B." in name for name in unet)
    assert {name.split(".lora_")[0].rsplit(".", 1)[-1] for name in unet} >= {"to_q", "to_k", "to_v"}
    assert any(".to_out.0.lora_" in name for name in unet)
    assert 40_000 < sum(unet.values()) < 60_000  # rank 4 on tiny SDXL: about 49k of the UNet's 2M
    for frozen in (pipeline.vae, pipeline.text_encoder, pipeline.text_encoder_2):
        assert trainable(frozen) == {}

    pipeline = load_image_pipeline(get_preset("tiny"), "cpu", cached=False)
    trained = add_trainable_weights(pipeline, tiny_config(train_text_encoder=True))
    assert list(trained) == ["unet", "text_encoder", "text_encoder_2"]
    for encoder in (pipeline.text_encoder, pipeline.text_encoder_2):
        names = trainable(encoder)
        assert names and all(".lora_" in name for name in names)
        assert {name.split(".lora_")[0].rsplit(".", 1)[-1] for name in names} == {"q_proj", "k_proj", "v_proj", "out_proj"}
    assert trainable(pipeline.vae) == {}


def test_pivotal_tuning_trains_the_identifiers_own_vector_and_detaching_gives_the_encoders_back():
    pipeline = load_image_pipeline(get_preset("tiny"), "cpu", cached=False)
    encoders = (pipeline.text_encoder, pipeline.text_encoder_2)
    ids = {prompt: pipeline.tokenizer([prompt], return_tensors="pt").input_ids
           for prompt in ("a photo of sks person", "a photo of a person")}
    before = {prompt: [encoder(tokens)[0] for encoder in encoders] for prompt, tokens in ids.items()}
    config = tiny_config(identifier_lr=0.5)
    trained = add_trainable_weights(pipeline, config)

    assert list(trained) == ["unet", "text_encoder", "text_encoder_2"]
    for encoder in encoders:
        (name, size), = trainable(encoder).items()
        assert name.endswith("embeddings.token_embedding.vector") and size == encoder.config.hidden_size
    optimizer = make_optimizer(trained, config, torch.device("cpu"))
    assert [group["lr"] for group in optimizer.param_groups] == [config.learning_rate, 0.5]
    # The wrapped encoders start as the base model; one step moves the identifier and nothing else.
    assert all(torch.equal(a, b) for a, b in zip(before["a photo of sks person"],
                                                [encoder(ids["a photo of sks person"])[0] for encoder in encoders]))
    sum(encoder(ids["a photo of sks person"])[0].square().mean() for encoder in encoders).backward()
    optimizer.step()
    for index, encoder in enumerate(encoders):
        assert not torch.allclose(encoder(ids["a photo of sks person"])[0], before["a photo of sks person"][index])
        assert torch.equal(encoder(ids["a photo of a person"])[0], before["a photo of a person"][index])
    attach_identifiers(pipeline, "sks")  # attaching again replaces the wrappers rather than nesting them
    detach_identifiers(pipeline)
    for index, encoder in enumerate(encoders):
        assert isinstance(encoder.get_input_embeddings(), torch.nn.Embedding)
        assert torch.equal(encoder(ids["a photo of sks person"])[0], before["a photo of sks person"][index])
    with pytest.raises(StylistError, match="tokens to this tokenizer"):
        attach_identifiers(pipeline, "sks person")


def test_8bit_adam_asked_for_without_bitsandbytes_says_what_it_costs(monkeypatch):
    import stylist.identity.dreambooth as dreambooth

    pipeline = load_image_pipeline(get_preset("tiny"), "cpu", cached=False)
    trained = add_trainable_weights(pipeline, tiny_config())
    monkeypatch.setattr(dreambooth, "find_spec", lambda name: None)
    with pytest.warns(UserWarning, match=r"bitsandbytes is not installed .* GB more GPU memory"):
        optimizer = make_optimizer(trained, tiny_config(use_8bit_adam=True), torch.device("cuda"))
    assert type(optimizer) is torch.optim.AdamW
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not asked for, or on the CPU: nothing to say
        make_optimizer(trained, tiny_config(use_8bit_adam=True), torch.device("cpu"))


def test_sd_dreambooth_trains_the_whole_unet_in_fp32_and_nothing_else():
    config = default_config("tiny-sd")
    assert config.unet == "full"
    pipeline = load_image_pipeline(get_preset("tiny-sd"), "cpu", cached=False)
    add_trainable_weights(pipeline, config)

    assert all(parameter.requires_grad and parameter.dtype == torch.float32 for parameter in pipeline.unet.parameters())
    assert trainable(pipeline.text_encoder) == {} and trainable(pipeline.vae) == {}


# The data and the loss


def test_a_prior_preservation_batch_is_photos_then_class_images_with_their_prompts_and_sizes(tmp_path, ada):
    config = tiny_config(batch_size=2, num_class_images=3)
    preset = get_preset("tiny")
    pipeline = load_image_pipeline(preset, "cpu", cached=False)
    photos = instance_images(ada, config.resolution)
    classes = class_training_images(class_images(pipeline, preset, config, tmp_path), config.resolution)
    data = training_data(pipeline, photos, classes, config.resolution, cache_latents=True, sdxl=True,
                         device=torch.device("cpu"))
    # Without the VAE posterior's spread, every latent in a batch is exactly one cached image.
    data.instance.std.zero_()
    data.classes.std.zero_()
    scale = pipeline.vae.config.scaling_factor

    batch = data.sample(config.batch_size, torch.Generator().manual_seed(0))

    assert batch.instances == 2 and len(batch.latents) == 4
    assert batch.prompt_rows.tolist() == [0, 0, 1, 1]
    for row, cached in ((0, data.instance), (1, data.instance), (2, data.classes), (3, data.classes)):
        assert any(torch.equal(batch.latents[row], mean * scale) for mean in cached.mean), row
    # SDXL's size conditioning: photo crops carry the size of their square in the photo, class images 64.
    photo_sizes = {image.original_size for image in photos}
    assert all(size[0] > 64 for size in photo_sizes)
    assert {tuple(ids[:2].int().tolist()) for ids in batch.time_ids[:2]} <= photo_sizes
    assert batch.time_ids[2:].tolist() == [[64, 64, 0, 0, 64, 64]] * 2
    assert batch.time_ids[:, 2:].tolist() == [[0, 0, 64, 64]] * 4

    # The conditioning is what the pipeline itself computes for the instance and the class prompt.
    ids = tokenize([pipeline.tokenizer, pipeline.tokenizer_2], [config.instance_prompt, config.class_prompt])
    with torch.no_grad():
        prompts = encode_prompts([pipeline.text_encoder, pipeline.text_encoder_2], ids, True, torch.device("cpu"))
        for row, prompt in enumerate(["a photo of sks person", "a photo of a person"]):
            hidden, _, pooled, _ = pipeline.encode_prompt(prompt, device="cpu", do_classifier_free_guidance=False)
            # Equal up to float rounding: two prompts go through the encoders together, the pipeline's one by one.
            assert torch.allclose(prompts.hidden[row], hidden[0], atol=1e-5)
            assert torch.allclose(prompts.pooled[row], pooled[0], atol=1e-5)

    # The paper's loss on this batch: instance + w × class, from one forward pass with the same noise.
    noise_scheduler = DDPMScheduler.from_config(pipeline.scheduler.config)
    with torch.no_grad():
        losses = {weight: training_loss(pipeline.unet, batch, prompts, noise_scheduler,
                                        config.with_overrides(prior_weight=weight), torch.Generator().manual_seed(1))
                  for weight in (0.0, 0.5, 1.0)}
    assert losses[0.0].total == losses[0.0].instance
    assert losses[0.0].prior > 0
    for weight in (0.5, 1.0):
        assert torch.equal(losses[weight].instance, losses[0.0].instance)
        assert torch.allclose(losses[weight].total, losses[0.0].instance + weight * losses[0.0].prior)


def test_the_dreambooth_loss_is_the_instance_half_plus_weight_times_the_class_half():
    prediction = torch.zeros(4, 4, 8, 8)
    target = torch.cat([torch.full((2, 4, 8, 8), 1.0), torch.full((2, 4, 8, 8), 2.0)])  # MSE 1 and 4

    loss = dreambooth_loss(prediction, target, instances=2, prior_weight=0.25)
    assert (loss.instance.item(), loss.prior.item(), loss.total.item()) == (1.0, 4.0, 2.0)
    assert dreambooth_loss(prediction, target, instances=2, prior_weight=0.0).total.item() == 1.0
    only_photos = dreambooth_loss(prediction[:2], target[:2], instances=2, prior_weight=1.0)
    assert only_photos.prior is None and only_photos.total.item() == 1.0
    # min-SNR weights scale each row's error before the halves are averaged.
    weighted = dreambooth_loss(prediction, target, 2, 1.0, weights=torch.tensor([1.0, 0.0, 0.5, 0.5]))
    assert (weighted.instance.item(), weighted.prior.item()) == (0.5, 2.0)


def test_v_prediction_models_are_trained_to_predict_velocity():
    latents, noise, timesteps = torch.randn(2, 4, 8, 8), torch.randn(2, 4, 8, 8), torch.tensor([10, 900])
    epsilon = DDPMScheduler(prediction_type="epsilon")
    velocity = DDPMScheduler(prediction_type="v_prediction")
    assert torch.equal(training_target(epsilon, latents, noise, timesteps), noise)
    assert torch.allclose(training_target(velocity, latents, noise, timesteps),
                          velocity.get_velocity(latents, noise, timesteps))
    # Min-SNR-γ: noisy timesteps (SNR < γ) keep weight 1 under epsilon; nearly clean ones are cut to γ / SNR.
    weights = min_snr_weights(epsilon, timesteps, gamma=5.0)
    assert weights[1] == 1.0 and 0 < weights[0] < 0.1


# Training


def test_the_loss_falls(ada_run):
    result, _, _ = ada_run
    first, last = np.array(result.losses[:10]), np.array(result.losses[-10:])
    # One seed, so no flakiness; the drop must also dwarf the step-to-step scatter of the loss, so that it
    # is learning and not the luck of which timesteps came last.
    spread = max(first.std(), last.std())
    assert first.mean() - last.mean() > 3 * spread, (first.mean(), last.mean(), spread)
    assert all(np.isfinite(result.losses)) and len(result.losses) == ADA_STEPS


def test_progress_is_reported_for_class_images_and_every_step(ada_run):
    result, reported, _ = ada_run
    drawing = [progress for progress in reported if progress.stage == "class images"]
    training = [progress for progress in reported if progress.stage == "training"]

    assert drawing and drawing[-1].done == drawing[-1].total == 4
    assert [progress.done for progress in training] == list(range(1, ADA_STEPS + 1))
    assert all(progress.total == ADA_STEPS and progress.rate > 0 for progress in training)
    assert [progress.loss for progress in training] == result.losses
    # One fraction for the whole run: drawing the prior first, training after, ending at 1.
    shares = [progress.share for progress in reported]
    assert shares == sorted(shares) and shares[-1] == 1.0 and drawing[-1].share < training[0].share


def test_class_images_are_drawn_once_and_reused(settings, ada_run, bob_run):
    preset = get_preset("tiny")
    config = tiny_config()
    folder = class_image_folder(settings.data_dir, preset, config.class_prompt, config.resolution)
    assert folder.is_relative_to(settings.data_dir / "models" / "class_images" / "tiny")
    files = sorted(folder.glob("*.png"))
    assert [path.name for path in files] == ["0000.png", "0001.png", "0002.png", "0003.png"]
    assert any(progress.stage == "class images" for progress in ada_run[1])
    assert not any(progress.stage == "class images" for progress in bob_run[1])  # Bob's run came second
    written = {path: path.stat().st_mtime_ns for path in files}

    calls = []

    def pipeline(**arguments):
        calls.append(len(arguments["prompt"]))
        return load_image_pipeline(preset, "cpu")(**arguments)

    assert class_images(pipeline, preset, config, settings.data_dir) == files
    assert calls == []
    # Asking for more draws only the missing ones and keeps the others.
    more = class_images(pipeline, preset, config.with_overrides(num_class_images=6), settings.data_dir)
    assert calls == [2] and more[:4] == files and all(path.exists() for path in more)
    assert {path: path.stat().st_mtime_ns for path in files} == written


# What is saved


def test_the_saved_identity_reproduces_the_trainers_images_in_a_fresh_pipeline(settings, ada, ada_run):
    result, _, config = ada_run
    record = json.loads((result.weights / "identity.json").read_text())
    assert result.weights == identity_folder(ada, get_preset("tiny")) == settings.data_dir / "users" / ada.id / "identity" / "tiny"
    assert sorted(path.name for path in result.weights.iterdir()) == ["identity.json", LORA_WEIGHTS]
    assert record["token"] == "sks" and record["class_prompt"] == "a photo of a person"
    assert record["steps"] == ADA_STEPS and record["final_loss"] == result.final_loss and record["unet"] == "lora"
    trainer = validation_images(settings, ada, "tiny", ADA_STEPS, config.validation_images)

    fresh = load_image_pipeline(get_preset("tiny"), "cpu", cached=False)
    base = generate(fresh, config)
    load_identity(fresh, get_user(settings, ada.id), get_preset("tiny"))
    assert np.array_equal(generate(fresh, config), trainer)
    assert np.abs(base.astype(int) - trainer).mean() > 5  # out of 255: the identity changes the picture

    # The file is a plain diffusers LoRA: load_lora_weights reads the folder as it reads any published LoRA.
    plain = load_image_pipeline(get_preset("tiny"), "cpu", cached=False)
    plain.load_lora_weights(result.weights)
    assert np.array_equal(generate(plain, config), trainer)


# The other paths through the trainer: the full fine-tune without prior preservation or cached prompts,
# and text-encoder LoRA with uncached latents, gradient checkpointing and min-SNR weighting.
@pytest.mark.parametrize(("preset", "changes", "files"), [
    ("tiny-sd", {"prior_preservation": False, "cache_text_embeddings": False}, ["identity.json", "unet"]),
    ("tiny", {"train_text_encoder": True, "cache_latents": False, "gradient_checkpointing": True, "snr_gamma": 5.0},
     ["identity.json", LORA_WEIGHTS]),
    ("tiny", {"identifier_lr": 5e-2}, [IDENTIFIER_WEIGHTS, "identity.json", LORA_WEIGHTS]),
])
def test_full_unet_and_text_encoder_identities_reproduce_too(tmp_path, good_photos, preset, changes, files):
    settings = Settings(data_dir=tmp_path, preset=preset, device="cpu")
    user = add_user(settings, "Ada", good_photos, crop_size=64)
    config = default_config(preset).with_overrides(steps=4, validation_every=4, **changes)
    result = train_identity(settings, user.id, config)
    assert sorted(path.name for path in result.weights.iterdir()) == files
    trainer = validation_images(settings, user, preset, 4, config.validation_images)

    fresh = load_image_pipeline(get_preset(preset), "cpu", cached=False)
    base = generate(fresh, config)
    load_identity(fresh, user, get_preset(preset))
    assert np.array_equal(generate(fresh, config), trainer)
    assert np.abs(base.astype(int) - trainer).mean() > 2


def test_two_users_weights_stay_apart(settings, ada, bob, ada_run, bob_run):
    ada_folder, bob_folder = ada_run[0].weights, bob_run[0].weights
    assert ada_folder != bob_folder
    assert ada_folder.is_relative_to(ada.folder) and bob_folder.is_relative_to(bob.folder)
    ada_weights, bob_weights = load_file(ada_folder / LORA_WEIGHTS), load_file(bob_folder / LORA_WEIGHTS)
    assert ada_weights.keys() == bob_weights.keys()
    assert not any(torch.equal(ada_weights[key], bob_weights[key]) for key in ada_weights if "lora_B" in key)
    # Bob's run, which came later, left Ada's identity as her run wrote it.
    assert (ada_folder / LORA_WEIGHTS).read_bytes() == bob_run[2]
    assert json.loads((ada_folder / "identity.json").read_text())["user_id"] == ada.id


def test_one_pipeline_carries_one_persons_identity(settings, ada, bob, ada_run, bob_run):
    pipeline = load_image_pipeline(get_preset("tiny"), "cpu", cached=False)
    load_identity(pipeline, ada, get_preset("tiny"))
    load_identity(pipeline, ada, get_preset("tiny"))  # again: nothing changes
    with pytest.raises(ValueError, match="already carries identity-"):
        load_identity(pipeline, bob, get_preset("tiny"))


def test_a_user_deleted_during_training_gets_nothing_written_back(tmp_path, good_photos):
    settings = Settings(data_dir=tmp_path, preset="tiny", device="cpu")
    user = add_user(settings, "Eve", good_photos, crop_size=64)

    def delete_at_step_2(progress: Progress) -> None:
        if progress.stage == "training" and progress.done == 2:
            delete_user(settings, user.id)

    with pytest.raises(StylistError, match="deleted during training"):
        train_identity(settings, user.id, tiny_config(steps=4, checkpoint_every=3), on_progress=delete_at_step_2)
    assert not user.folder.exists()
    assert not list((tmp_path / "users").iterdir())


def test_a_resumed_run_matches_an_uninterrupted_one_exactly(tmp_path, good_photos):
    settings = Settings(data_dir=tmp_path, preset="tiny", device="cpu")
    user = add_user(settings, "Ada", good_photos, crop_size=64)
    config = tiny_config(steps=6, checkpoint_every=3)
    whole = train_identity(settings, user.id, config)
    whole_weights = load_file(whole.weights / LORA_WEIGHTS)

    class Killed(Exception):
        pass

    def kill_after_step_3(progress: Progress) -> None:
        if progress.stage == "training" and progress.done == 3:
            raise Killed

    with pytest.raises(Killed):
        train_identity(settings, user.id, config, on_progress=kill_after_step_3)
    run = training_folder(user, get_preset("tiny"))
    assert [path.name for path in run.iterdir()] == ["checkpoint-3"]
    assert sorted(path.name for path in (run / "checkpoint-3").iterdir()) == ["rng-0.pt", "training_state.pt"]

    resumed = train_identity(settings, user.id, config, resume=True)
    assert resumed.losses == whole.losses
    resumed_weights = load_file(resumed.weights / LORA_WEIGHTS)
    assert all(torch.equal(resumed_weights[key], whole_weights[key]) for key in whole_weights)
    assert not list(run.glob("checkpoint-*"))  # a finished run keeps no checkpoint: it only served resuming

    # With nothing to resume, --resume says so rather than quietly starting again.
    with pytest.raises(StylistError, match="no checkpoint to resume"):
        train_identity(settings, user.id, config, resume=True)

    # Resuming with other settings would silently train something else, so it is refused.
    with pytest.raises(Killed):
        train_identity(settings, user.id, config, on_progress=kill_after_step_3)
    with pytest.raises(StylistError, match="other settings \\(learning_rate\\)"):
        train_identity(settings, user.id, config.with_overrides(learning_rate=1e-2), resume=True)


# The command line


def stylist(data_dir: Path, *args: str, **environment: str) -> subprocess.CompletedProcess:
    # Without any model folders this machine may name, so that a real preset finds no weights.
    env = {name: value for name, value in os.environ.items() if not name.startswith("STYLIST_MODEL")}
    env |= {"STYLIST_DATA_DIR": str(data_dir), "STYLIST_PRESET": "tiny", "STYLIST_DEVICE": "cpu", **environment}
    return subprocess.run([sys.executable, "-m", "stylist", *args], check=False, env=env, capture_output=True,
                          text=True, timeout=180)


def test_the_command_trains_a_user_and_answers_in_json(settings, good_photos):
    cy = add_user(settings, "Cy", good_photos, crop_size=64)
    result = stylist(settings.data_dir, "user", "train", cy.id, "--steps", "2", "--rank", "2", "--identifier-lr",
                     "0.01", "--json")

    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert set(answer) == {"user_id", "preset", "steps", "final_loss", "seconds", "weights"}
    assert (answer["user_id"], answer["preset"], answer["steps"]) == (cy.id, "tiny", 2)
    assert answer["weights"] == str(cy.folder / "identity" / "tiny") and (Path(answer["weights"]) / LORA_WEIGHTS).exists()
    record = json.loads((Path(answer["weights"]) / "identity.json").read_text())
    assert (record["config"]["rank"], record["config"]["identifier_lr"]) == (2, 0.01)
    assert record["identifier_weights"] == IDENTIFIER_WEIGHTS and (Path(answer["weights"]) / IDENTIFIER_WEIGHTS).exists()


def test_bad_requests_are_one_error_line(settings, bob, tmp_path):
    unknown = stylist(settings.data_dir, "user", "train", "0123456789abcdef")
    assert unknown.returncode != 0 and unknown.stderr.strip() == "error: no user 0123456789abcdef"

    contradiction = stylist(settings.data_dir, "user", "train", bob.id, "--no-prior", "--prior-weight", "2")
    assert contradiction.returncode != 0 and contradiction.stderr.startswith("error: --prior-weight and --no-prior")

    # A real preset without its weights on a machine that cannot download them: one sentence, nothing trained.
    missing = stylist(settings.data_dir, "--preset", "sdxl", "user", "train", bob.id, HF_HUB_OFFLINE="1",
                      STYLIST_MODELS_DIR=str(tmp_path), HF_HUB_CACHE=str(tmp_path / "hub"))
    lines = missing.stderr.strip().splitlines()
    assert missing.returncode != 0 and len(lines) == 1, missing.stderr
    assert lines[0].startswith("error: training on the sdxl preset cannot start: a model is not on this machine: "
                               "stabilityai/stable-diffusion-xl-base-1.0 (image model")
    assert not (bob.folder / "identity" / "sdxl").exists()


def test_the_instance_images_are_the_face_crops_and_the_whole_photos_that_show_more(ada, tmp_path):
    from stylist.people.photos import Box
    from stylist.people.users import body_crops

    photos = instance_images(ada, 64)
    faces, bodies = photos[:len(ada.photos)], photos[len(ada.photos):]
    # The astronaut's wider photos show her down to the waist: they give body squares beside the face crops;
    # the close-up among them gives none.
    assert 1 <= len(bodies) < len(ada.photos) and {image.path for image in bodies} < set(body_crops(ada, 64))
    for body in bodies:  # photo N's body square is N.png, and shows at least 1.5 times its face crop's width
        assert body.original_size[0] >= 1.5 * faces[int(body.path.stem) - 1].original_size[0]
    with Image.open(bodies[0].path) as body, Image.open(faces[0].path) as face:
        assert body.size == face.size == (64, 64)
        assert not np.array_equal(np.asarray(body), np.asarray(face))
    # A close-up's body square is its face crop again: it is not added twice.
    from stylist.people.photos import body_box, crop_box
    close_up, face_box = (300, 300), Box(40, 40, 220, 220)
    assert body_box(close_up, face_box)[2] - body_box(close_up, face_box)[0] < 1.5 * (
        crop_box(close_up, face_box)[2] - crop_box(close_up, face_box)[0])
