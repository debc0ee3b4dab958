"""The import rules of DESIGN.md hold, as pyproject.toml's import-linter contracts say them, and a break is caught."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(source_root: Path) -> subprocess.CompletedProcess:
    """lint-imports over the stylist package found first on `source_root`, with the project's contracts."""
    env = {**os.environ, "PYTHONPATH": str(source_root)}
    return subprocess.run([str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"], check=False,
                          cwd=source_root, env=env, capture_output=True, text=True, timeout=240)


def test_the_import_contracts_are_kept():
    result = lint_imports(ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout and "0 broken" in result.stdout


def test_a_model_import_in_the_web_app_breaks_the_contract(tmp_path):
    shutil.copytree(ROOT / "src" / "stylist", tmp_path / "stylist", ignore=shutil.ignore_patterns("__pycache__"))
    views = tmp_path / "stylist" / "web" / "views.py"
    views.write_text(views.read_text() + "\nfrom stylist.looks import adapter_drawing  # a deliberately wrong import\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "the web process loads no model" in result.stdout and "BROKEN" in result.stdout
    assert "stylist.web.views -> stylist.looks.adapter_drawing" in result.stdout


@pytest.mark.parametrize(("module", "planted", "contract"), [
    ("looks/adapter_drawing.py", "from stylist.looks import reference_editing", "the looks room's two drawing paths"),
    ("catalog/export.py", "from stylist.people import users", "the floors of the house"),
])
def test_an_arrow_up_a_floor_or_between_the_drawing_paths_breaks_its_contract(tmp_path, module, planted, contract):
    shutil.copytree(ROOT / "src" / "stylist", tmp_path / "stylist", ignore=shutil.ignore_patterns("__pycache__"))
    source = tmp_path / "stylist" / module
    source.write_text(source.read_text() + f"\n{planted}  # a deliberately wrong import\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0 and contract in result.stdout, result.stdout
    verdict = result.stdout.split(contract, 1)[1]  # the contract's own line says KEPT or BROKEN first
    assert "BROKEN" in verdict and ("KEPT" not in verdict or verdict.index("BROKEN") < verdict.index("KEPT"))


def test_a_cycle_between_packages_breaks_the_contract(tmp_path):
    shutil.copytree(ROOT / "src" / "stylist", tmp_path / "stylist", ignore=shutil.ignore_patterns("__pycache__"))
    records = tmp_path / "stylist" / "people" / "forget.py"
    records.write_text(records.read_text() + "\nfrom stylist.worker import handlers  # a deliberately wrong import\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0 and "no cycles between the packages of stylist BROKEN" in result.stdout


def test_the_web_app_imports_no_model_code_in_a_fresh_interpreter():
    code = (
        "import sys, stylist.web.app\n"
        "heavy = ('torch', 'diffusers', 'transformers', 'open_clip', 'stylist.identity', 'stylist.looks',\n"
        "         'stylist.video', 'stylist.grounding', 'stylist.worker')\n"
        "loaded = [name for name in sys.modules if name.split('.')[0] in heavy or name.startswith(heavy)]\n"
        "loaded += [name for name in sys.modules if name.startswith('stylist.models.')]\n"
        "plain = {'stylist.presets', 'stylist.looks', 'stylist.looks.recipe'}  # data: presets, a recipe\n"
        "loaded = [name for name in loaded if name not in plain]\n"
        "print(sorted(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], check=False, cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
