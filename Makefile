# Two commands: `make run` (set up, run the baseline, print a summary, write figures)
# and `make test` (set up, run the tests). Both create .venv with Python >= 3.12 first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Mesa 3.5 needs Python 3.12+: take pyenv's 3.12 (named in .python-version) if the default is older.
PYTHON ?= $(shell for p in "$$(pyenv root 2>/dev/null)/versions/$$(cat .python-version)/bin/python" \
	"$$HOME/.pyenv/versions/$$(cat .python-version)/bin/python" python3.13 python3.12 python3; do \
	command -v "$$p" >/dev/null 2>&1 && "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo "$$p"; break; }; done)

.PHONY: setup run test lint typecheck check bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "error: Python >= 3.12 not found (install it, e.g. 'pyenv install 3.12')" >&2; exit 1; fi
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' || { echo "error: $(VENV) is not Python >= 3.12; remove it and retry" >&2; exit 1; }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	@touch $(STAMP)

run: setup
	$(VENV)/bin/ecosim run configs/baseline.yaml --out results/baseline

# One pytest worker per core (pytest-xdist): the suite is CPU-bound and its tests independent.
test: setup
	$(VENV)/bin/pytest -W error::FutureWarning -q -n auto

lint: setup
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

typecheck: setup
	$(VENV)/bin/mypy

# What CI runs besides the tests: lint, format and types.
check: lint typecheck

bench: setup
	$(VENV)/bin/ecosim bench

clean:
	rm -rf $(VENV) results .pytest_cache
