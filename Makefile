# The two commands of the README: `make demo` and `make test`. Both build .venv from nothing when needed.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
SYSTEM_STAMP := $(VENV)/.system-deps
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: demo test lint bench lock system-deps clean

# The main path on its tiny preset: looks from the person's and the products' photos, no training.
demo: $(STAMP)
	$(VENV)/bin/stylist --preset tiny-klein demo --out demo-out

test: lint $(SYSTEM_STAMP)
	$(VENV)/bin/python -m pytest -q -n auto --maxprocesses 4 --dist loadfile -m "not serial" $(PYTEST_ARGS) || test $$? -eq 5
	$(VENV)/bin/python -m pytest -q -n 0 -m serial $(PYTEST_ARGS) || test $$? -eq 5

# ruff's rules and mypy's package list are in pyproject.toml; mypy keeps its cache in .mypy_cache.
lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks scripts
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(VENV)/bin/python benchmarks/catalog_bench.py --out benchmarks/results/catalog-$$(hostname).json

$(STAMP): pyproject.toml requirements.lock
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip
	$(VENV)/bin/python -m pip install -q -r requirements.lock
	$(VENV)/bin/python -m pip install -q --no-deps -e .
	touch $@

# System packages the tests use (Chromium for --render and browser tests); see scripts/system-deps.sh.
$(SYSTEM_STAMP): scripts/system-deps.sh | $(STAMP)
	bash scripts/system-deps.sh
	touch $@

system-deps:
	bash scripts/system-deps.sh

# Re-pin every dependency after editing pyproject.toml.
lock: $(STAMP)
	$(VENV)/bin/python -m pip install -q uv
	$(VENV)/bin/uv pip compile pyproject.toml --extra test -o requirements.lock --python-version 3.11 --python-platform x86_64-manylinux_2_28 -c scripts/lock-constraints.txt

clean:
	rm -rf $(VENV) demo-out .pytest_cache .mypy_cache .ruff_cache
