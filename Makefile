# The one entry point for people and CI. Needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format openapi install seed clean bench browser-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/helpdir migrate
	$(BIN)/helpdir seed
	$(BIN)/helpdir serve

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/helpdir check
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

openapi: $(STAMP)
	$(BIN)/python -m api.export_openapi openapi/openapi.json

# The browser tests' tools (tests/test_embed_widget.py): Playwright from the "dev" extra, and
# axe-core from npm into var/ (git-ignored). Chromium is Debian's: apt-get install chromium.
AXE := var/npm/node_modules/axe-core/axe.min.js

browser-deps: $(STAMP) $(AXE)

$(AXE):
	npm install --prefix var/npm --no-audit --no-fund --loglevel=error axe-core@4

# Benchmarks print tables; they are never part of `make test`.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.bench

clean:
	rm -rf $(VENV) var/*.db
