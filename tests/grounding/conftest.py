"""Synthetic catalogs for the grounding tests: built once per session, copied for each test that changes them."""

from __future__ import annotations

import shutil

import pytest

from tests.grounding.synthetic import PRODUCTS, SMALL, build_catalog, garments, tiny_settings


@pytest.fixture(scope="session")
def synthetic_catalog(tmp_path_factory):
    """A data directory holding one complete crawl of PRODUCTS synthetic garments, 2 images each."""
    data_dir = tmp_path_factory.mktemp("synthetic") / "data"
    data_dir.mkdir()
    build_catalog(data_dir, garments(PRODUCTS, seed=0))
    return data_dir


@pytest.fixture(scope="session")
def small_catalog(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("small") / "data"
    data_dir.mkdir()
    build_catalog(data_dir, garments(SMALL, seed=1))
    return data_dir


@pytest.fixture
def catalog_copy(synthetic_catalog, tmp_path):
    """A private copy of the synthetic catalog, for tests that crawl again or write models."""
    copy = tmp_path / "data"
    shutil.copytree(synthetic_catalog, copy)
    return copy


@pytest.fixture
def small_copy(small_catalog, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(small_catalog, copy)
    return copy


LEARNING_EPOCHS = 20


@pytest.fixture(scope="session")
def trained_catalog(synthetic_catalog, tmp_path_factory):
    """The synthetic catalog with a tiny CLIP trained from scratch on it (the learning test checks how well)."""
    from stylist.grounding.train import default_config, train_clip

    data_dir = tmp_path_factory.mktemp("trained") / "data"
    shutil.copytree(synthetic_catalog, data_dir)
    config = default_config("tiny").with_overrides(epochs=LEARNING_EPOCHS)
    result = train_clip(tiny_settings(data_dir), config)
    return data_dir, result


@pytest.fixture
def trained_copy(trained_catalog, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(trained_catalog[0], copy)
    return copy
