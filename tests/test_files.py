"""Files written whole: the new file in place at the end, the old one untouched and nothing left on failure; and
paths as committed results and the data directory's records name them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from stylist.files import data_relative, recorded_path, replacing, write_atomic


def test_write_atomic_replaces_the_file_whole_with_bytes_or_text(tmp_path):
    path = tmp_path / "look.json"
    write_atomic(path, b"old")
    write_atomic(path, "néw")
    assert path.read_bytes() == "néw".encode()
    assert [each.name for each in tmp_path.iterdir()] == ["look.json"]


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing_behind(tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_bytes(b"old weights")
    with pytest.raises(RuntimeError), replacing(path) as partial:
        partial.write_bytes(b"half of the new")
        assert not path.read_bytes().startswith(b"half")  # readers still see the old file meanwhile
        raise RuntimeError("the writer died")
    assert path.read_bytes() == b"old weights"
    assert [each.name for each in tmp_path.iterdir()] == ["model.safetensors"]


def test_the_partial_file_keeps_the_suffix_for_writers_that_pick_the_format_by_it(tmp_path):
    path = tmp_path / "0001.png"
    with replacing(path) as partial:
        assert partial.suffix == ".png" and partial.parent == tmp_path and partial.name.startswith(".")
        Image.new("RGB", (4, 4), (200, 0, 0)).save(partial)
    assert Image.open(path).format == "PNG"


def test_a_recorded_path_is_relative_to_the_repository_or_only_a_file_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert recorded_path(tmp_path / "benchmarks" / "results" / "a.json") == "benchmarks/results/a.json"
    assert recorded_path(Path("/elsewhere/scratch/b.json")) == "b.json"


def test_a_data_path_is_relative_to_the_data_directory_without_following_links(tmp_path, monkeypatch):
    data, disk = tmp_path / "data", tmp_path / "other-disk"
    data.mkdir()
    disk.mkdir()
    (data / "images").symlink_to(disk)  # images/ on another disk still belongs to the data directory
    assert data_relative(data / "images" / "ab" / "cd.jpg", data) == "images/ab/cd.jpg"
    assert data_relative(str(data / "users" / ".." / "images" / "x.png"), str(data)) == "images/x.png"
    monkeypatch.chdir(tmp_path)
    assert data_relative(Path("data/users/u/looks/l/1.png"), tmp_path / "data") == "users/u/looks/l/1.png"
    with pytest.raises(ValueError):
        data_relative(disk / "cd.jpg", data)


def test_no_committed_benchmark_result_names_a_folder_of_the_machine_that_wrote_it():
    results = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
    for path in results.rglob("*.json"):
        text = path.read_text()
        assert not re.search(r'"(/tmp|/root|/home|/work|/Users)/', text), path
