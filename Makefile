# cbec developer entry points. From a clean clone: `make run` or `make test`.
# Everything runs from the repository root; local data lives in ./var/.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Extra pytest arguments, e.g. make test PYTEST_ARGS="-k customs -x"
PYTEST_ARGS ?=
LINT_PATHS := src tests benchmarks

.PHONY: help venv assets run test test-unit lint bench lock clean distclean

help:
	@echo "make run        set up, migrate, seed demo data, serve on http://$(HOST):$(PORT)"
	@echo "make test       lint, then the full test run (throw-away PostgreSQL + Chromium); PYTEST_ARGS=..."
	@echo "make test-unit  unit tests only (no database server, no browser)"
	@echo "make lint       ruff check + ruff format --check + mypy + import-linter"
	@echo "make bench      run benchmarks/bench_*.py (each prints JSON)"
	@echo "make lock       regenerate requirements.lock (needs uv: .venv/bin/pip install uv)"
	@echo "make clean      remove ./var/ and tool caches"
	@echo "make distclean  clean + remove .venv, node_modules and generated vendor assets"

venv:
	@scripts/venv.sh

assets:
	@scripts/assets.sh

run: venv assets
	@mkdir -p var
	$(VENV)/bin/cbec db upgrade
	$(VENV)/bin/cbec demo seed
	$(VENV)/bin/cbec serve --host $(HOST) --port $(PORT)

# Lint is part of the test run: CI (.ci/run = make test) must refuse what `make lint` refuses.
test: lint
	scripts/test.sh $(PYTEST_ARGS)

test-unit: venv
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)
	$(VENV)/bin/mypy src
	$(VENV)/bin/lint-imports

bench: venv
	@shopt -s nullglob; files=(benchmarks/bench_*.py); \
	if (( $${#files[@]} == 0 )); then echo "no benchmarks/bench_*.py found" >&2; exit 1; fi; \
	for f in "$${files[@]}"; do echo "# $$f" >&2; $(PY) "$$f"; done

# uv is not a project dependency: install it first with `.venv/bin/pip install uv`.
lock: venv
	@test -x $(VENV)/bin/uv || { echo "make lock needs uv: $(VENV)/bin/pip install uv" >&2; exit 1; }
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache build dist
	find . -path ./$(VENV) -prune -o -path ./node_modules -prune -o \
	  \( -name __pycache__ -o -name '*.egg-info' \) -type d -print0 | xargs -0 rm -rf

distclean: clean
	rm -rf $(VENV) node_modules src/cbec/web/static/vendor
