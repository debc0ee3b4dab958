"""What pyproject.toml admits: nothing older than what the code calls, and no library that speaks in every
command without being used."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement

PROJECT = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]
DEPENDENCIES = {requirement.name: requirement for requirement in map(Requirement, PROJECT["dependencies"])}


def test_lower_bounds_admit_nothing_that_lacks_what_the_loaders_use():
    assert not DEPENDENCIES["diffusers"].specifier.contains("0.36.0")  # Flux2KleinPipeline arrived in 0.37
    assert not DEPENDENCIES["transformers"].specifier.contains("4.55.4")  # from_pretrained(dtype=...) in 4.56
    assert not DEPENDENCIES["huggingface-hub"].specifier.contains("0.33.0")  # allow_patterns, resumable, HF_TOKEN


def test_bitsandbytes_is_the_gpu_extras_only():
    # diffusers and transformers import it in every command wherever it is installed; only 8-bit Adam uses it.
    assert "bitsandbytes" not in DEPENDENCIES
    assert [Requirement(each).name for each in PROJECT["optional-dependencies"]["gpu"]] == ["bitsandbytes"]
