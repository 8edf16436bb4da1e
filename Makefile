# PTS Outcomes Explorer. `make run` serves the demo; `make test` runs every test. Both set up what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB := data/pts_outcomes.duckdb
LARGE := data/pts_1m.duckdb
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
GENERATOR := $(wildcard pts_explorer/synthetic/*.py queries/derived/*.sql) pts_explorer/schema.sql pts_explorer/vocab.py pts_explorer/derived.py

.PHONY: help run test test-fast lint load bench bench-import demo-data example-exports chromium clean

help:                         ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

run: $(VENV)/.installed $(DB) ## serve the app on the demo data (builds the venv and the demo file if missing)
	PTS_DB=$${PTS_DB:-$(DB)} $(BIN)/streamlit run app.py

test: $(VENV)/.installed chromium lint ## the whole suite, what CI runs: lint, unit, AppTest and Chromium browser tests
	$(BIN)/python -m pytest

test-fast: $(VENV)/.installed ## the inner loop: unit and AppTest tests, no browser, no lint
	$(BIN)/python -m pytest tests/unit tests/app

lint: $(VENV)/.installed      ## ruff (style, format), mypy (types), import-linter (layers)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

load: $(VENV)/.installed chromium $(DB) ## 30 and 60 concurrent Chromium sessions changing filters (not in CI)
	$(BIN)/python scripts/load.py --sessions 30 60

bench: $(VENV)/.installed chromium $(DB) $(LARGE) ## page times, query floors and browser timings on the demo and 1M patients (not in CI)
	$(BIN)/python scripts/benchmark.py

bench-import: $(VENV)/.installed $(LARGE) ## import time and memory for 1M patients from Parquet and CSV (not in CI)
	$(BIN)/python scripts/bench_import.py --db $(LARGE)

demo-data: $(DB)              ## (re)build data/pts_outcomes.duckdb from the seeded generator

example-exports: $(VENV)/.installed $(DB) ## the demo cohort in each import profile's format, in data/examples/
	$(BIN)/python -m pts_explorer.importer.examples --db $(DB) --out data/examples

$(DB): $(GENERATOR) | $(VENV)/.installed
	$(BIN)/python -m pts_explorer.synthetic --out $@

$(LARGE): $(GENERATOR) | $(VENV)/.installed
	$(BIN)/python -m pts_explorer.synthetic --out $@ --registry-patients 1000000

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

# Playwright's own browser download does not work here: use Debian's Chromium.
chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

clean:                        ## remove the venv and the generated files
	rm -rf $(VENV) $(DB) $(LARGE) data/examples
