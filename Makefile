# PTS Outcomes Explorer. `make run` serves the demo; `make test` runs every test. Both set up what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB := data/pts_outcomes.duckdb
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
GENERATOR := $(wildcard pts_explorer/synthetic/*.py) pts_explorer/schema.sql pts_explorer/vocab.py

.PHONY: help run test test-fast lint load demo-data example-exports chromium clean

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

demo-data: $(DB)              ## (re)build data/pts_outcomes.duckdb from the seeded generator

example-exports: $(VENV)/.installed $(DB) ## the demo cohort in each import profile's format, in data/examples/
	$(BIN)/python -m pts_explorer.importer.examples --db $(DB) --out data/examples

$(DB): $(GENERATOR) | $(VENV)/.installed
	$(BIN)/python -m pts_explorer.synthetic --out $@

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

# Playwright's own browser download does not work here: use Debian's Chromium.
chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

clean:                        ## remove the venv and the generated demo file
	rm -rf $(VENV) $(DB)
