"""`stylist models fetch`: download exactly the files the run's preset reads, then check them as `doctor` does.

The files are the weights list's (models/weights.py), fetched by huggingface_hub into its cache, which resumes
partial downloads and honours `HF_ENDPOINT` (a mirror) and `HF_TOKEN` (gated or private repositories). A
repository that cannot be fetched is named with why, and the others are still fetched.
"""

from __future__ import annotations

import sys

import click

from stylist.doctor import check_models, model_lines
from stylist.errors import StylistError
from stylist.presets import VIDEO_BACKENDS, get_preset, preset_names
from stylist.settings import Settings


@click.group()
def models() -> None:
    """The model weights a preset reads: fetch them before the first real run."""


@models.command()
@click.option("--preset", "preset_name", type=click.Choice(preset_names()), help="Fetch this preset's models [the run's].")
@click.option("--video", type=click.Choice(VIDEO_BACKENDS), help="Fetch this spin backend [the preset's].")
@click.pass_obj
def fetch(settings: Settings, preset_name: str | None, video: str | None) -> None:
    """Download every file the preset's looks and spins read into the Hugging Face cache, then check them."""
    import huggingface_hub.constants
    import huggingface_hub.utils

    from stylist.models.locate import download, offline
    from stylist.models.weights import preset_needs

    preset = get_preset(preset_name or settings.preset)
    needs = preset_needs(preset, video)
    if not needs:
        click.echo(f"{preset.name} is built in code from seeded configs: there is nothing to fetch")
        return
    if offline():
        raise StylistError("HF_HUB_OFFLINE is set, so nothing can be downloaded: unset it to fetch the models")
    terminal = on_terminal()
    # The CLI turns the hub's bars off for every other command; a download of gigabytes wants them.
    (huggingface_hub.utils.enable_progress_bars if terminal else huggingface_hub.utils.disable_progress_bars)()
    failed: dict[str, str] = {}
    for need in needs:
        weights = need.weights
        if terminal:
            size = f", about {weights.size_bytes / 1e9:.1f} GB" if weights.size_bytes else ""
            click.echo(f"{need.role}: {weights.repo} ({weights.licence}{size})")
        try:
            download(weights)
        except Exception as error:  # noqa: BLE001 — named below; the other repositories are still fetched
            failed.setdefault(weights.repo, why(error, huggingface_hub.constants.ENDPOINT))
    checks = check_models(preset, video)
    if terminal:
        for line in model_lines(checks):
            click.echo(f"  {line}")
    # A repository the hub has but without a file the loaders read (a renamed tokenizer file, say).
    incomplete = {check.name: check.missing for check in checks if check.missing and check.name not in failed}
    if failed or incomplete:
        reasons = [f"{repo} ({reason})" for repo, reason in failed.items()]
        reasons += [f"{repo} (the hub has no {', '.join(gaps)})" for repo, gaps in incomplete.items()]
        raise StylistError(f"could not fetch {'; '.join(reasons)}")
    # One repository may serve two roles (sd14's IP-Adapter: its looks' and its spins'); count it once.
    sizes: dict[str, int] = {}
    for check in checks:
        sizes[check.name] = max(sizes.get(check.name, 0), check.size_bytes or 0)
    click.echo(f"{preset.name}: {len(sizes)} models present (about {sum(sizes.values()) / 1e9:.1f} GB), every file "
               "its looks and spins read")


def on_terminal() -> bool:
    """Whether a person watches: the hub's progress bars then, one summary line otherwise."""
    return sys.stdout.isatty()


def why(error: Exception, endpoint: str) -> str:
    """What went wrong with one repository, in words a person can act on."""
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    if isinstance(error, LocalEntryNotFoundError) and isinstance(error.__cause__, HfHubHTTPError):
        error = error.__cause__  # the hub answered, with an error, when asked for the repository's files
    if isinstance(error, GatedRepoError):
        return "gated: accept its licence on its model page and set HF_TOKEN to a token of that account"
    if isinstance(error, RepositoryNotFoundError | RevisionNotFoundError):
        return f"not found at {endpoint}, or private: check HF_ENDPOINT, or set HF_TOKEN"
    if isinstance(error, LocalEntryNotFoundError):
        return f"{endpoint} could not be reached"
    if isinstance(error, HfHubHTTPError):
        status = error.response.status_code if error.response is not None else None
        if status == 401:
            return f"{endpoint} refused the token: check HF_TOKEN"
        return f"{endpoint} answered {status or 'nothing'}"
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return str(error).splitlines()[0] if str(error) else type(error).__name__
