"""`stylist models fetch` when it cannot get everything: each repository it could not fetch named with why, the
others still fetched, a non-zero exit; and the cases where there is nothing it may do."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios

import huggingface_hub.constants
import pytest
from click.testing import CliRunner

from stylist.cli import main_group
from stylist.models.locate import cached_folder
from stylist.models.weights import preset_needs
from stylist.presets import get_preset
from tests.helpers.hub_server import serve_hub, use_hub
from tests.helpers.real_layouts import KLEIN, WAN, write_klein, write_wan


def fetch(tmp_path, *args):
    return CliRunner().invoke(main_group, ["--data-dir", str(tmp_path / "data"), *args])


@pytest.fixture
def no_token(tmp_path, monkeypatch):
    monkeypatch.setattr(huggingface_hub.constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))
    monkeypatch.delenv("HF_TOKEN", raising=False)


def test_each_repository_it_cannot_fetch_is_named_and_the_others_are_fetched(tmp_path, monkeypatch, no_token):
    # klein's own repository is gated, its fashion CLIP is not on this hub; its video model is there.
    root = tmp_path / "hub"
    write_klein(root / KLEIN)
    write_wan(root / WAN)
    with serve_hub(root, gated={KLEIN}, token="hf_secret") as hub:
        use_hub(monkeypatch, hub, tmp_path / "cache")
        result = fetch(tmp_path, "models", "fetch", "--preset", "klein")  # --preset after the command too
        assert result.exit_code == 1
        message = str(result.exception)
        assert message.startswith("could not fetch ")
        assert (f"{KLEIN} (gated: accept its licence on its model page and set HF_TOKEN to a token of that "
                "account)") in message
        assert f"laion/CLIP-ViT-B-32-laion2B-s34B-b79K (not found at {hub}, or private: " in message
        needs = {need.weights.repo: need.weights for need in preset_needs(get_preset("klein"))}
        wan = cached_folder(needs[WAN])
        assert wan is not None and not needs[WAN].missing(wan)  # fetched in full all the same

        monkeypatch.setenv("HF_TOKEN", "hf_secret")  # the token: klein comes; the CLIP is still missing
        again = fetch(tmp_path, "--preset", "klein", "models", "fetch")
        assert again.exit_code == 1 and KLEIN not in str(again.exception)
        assert not needs[KLEIN].missing(cached_folder(needs[KLEIN]))


def test_a_hub_that_cannot_be_reached_is_said_once_per_repository(tmp_path, monkeypatch, no_token):
    with serve_hub(tmp_path) as hub:
        pass  # the port is closed again: nothing answers there
    use_hub(monkeypatch, hub, tmp_path / "cache")
    result = fetch(tmp_path, "--preset", "sd14", "models", "fetch")
    assert result.exit_code == 1
    repos = {need.weights.repo for need in preset_needs(get_preset("sd14"))}  # IP-Adapter serves two roles
    assert str(result.exception).count(f"{hub} could not be reached") == len(repos)


def test_offline_or_on_a_tiny_preset_there_is_nothing_to_fetch(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    offline = fetch(tmp_path, "--preset", "klein", "models", "fetch")
    assert offline.exit_code == 1 and "HF_HUB_OFFLINE is set" in str(offline.exception)
    tiny = fetch(tmp_path, "--preset", "tiny-klein", "models", "fetch")
    assert tiny.exit_code == 0 and "nothing to fetch" in tiny.output


def test_on_a_terminal_the_hubs_progress_bars_show(tmp_path):
    """The CLI keeps the hub's bars out of every other command; `models fetch` on a terminal turns them on."""
    root = tmp_path / "hub"
    write_klein(root / KLEIN)
    env = {name: value for name, value in os.environ.items() if not name.startswith(("HF_", "STYLIST_"))}
    env |= {"HF_HUB_DISABLE_XET": "1", "HF_HOME": str(tmp_path / "hf"), "STYLIST_DATA_DIR": str(tmp_path / "data")}
    main, terminal = pty.openpty()
    # A terminal 120 columns wide: tqdm draws nothing on one of no size.
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    with serve_hub(root) as hub:
        env["HF_ENDPOINT"] = hub
        process = subprocess.Popen([sys.executable, "-m", "stylist", "--preset", "klein", "models", "fetch"], env=env,
                                   stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal)
        os.close(terminal)
        seen = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the terminal's other end closed: the process is done with it
                break
            if not chunk:
                break
            seen += chunk
        process.wait(timeout=300)
    os.close(main)
    shown = seen.decode(errors="replace")
    assert process.returncode == 1  # the CLIP and the video model are not on this hub
    assert "image model: black-forest-labs/FLUX.2-klein-4B (Apache-2.0, about 16.0 GB)" in shown
    assert "files: 100%|" in shown and "Cannot enable progress bars" not in shown  # tqdm's bar, no warning


def test_a_hub_without_a_file_the_loaders_read_is_named_with_that_file(tmp_path, monkeypatch, no_token):
    root = tmp_path / "hub"
    write_klein(root / KLEIN)
    (root / KLEIN / "tokenizer" / "chat_template.jinja").unlink()  # a mirror of an older upload, say
    write_wan(root / WAN)
    clip = root / "laion" / "CLIP-ViT-B-32-laion2B-s34B-b79K"
    clip.mkdir(parents=True)
    (clip / "open_clip_model.safetensors").write_bytes(b"only its presence is checked here")
    with serve_hub(root) as hub:
        use_hub(monkeypatch, hub, tmp_path / "cache")
        result = fetch(tmp_path, "--preset", "klein", "models", "fetch")
    assert result.exit_code == 1
    assert str(result.exception) == f"could not fetch {KLEIN} (the hub has no tokenizer/chat_template.jinja)"
