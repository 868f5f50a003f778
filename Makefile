# The one entry point for people and CI. Needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format openapi install seed clean bench bench-seed bench-scale browser-deps

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

# Benchmarks print tables; they are never part of `make test`. `bench` runs both: the seed
# data against the ceiling route, then 100k synthetic services on SQLite and PostgreSQL
# (built once into var/ and the helpdir_scale database, then reused).
bench: bench-seed bench-scale

bench-seed: $(STAMP)
	$(BIN)/python -m benchmarks.bench

bench-scale: $(STAMP)
	$(BIN)/python -m benchmarks.scale

clean:
	rm -rf $(VENV) var/*.db
