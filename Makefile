# PTS Outcomes Explorer. `make run` serves the demo; `make test` runs every test. Both set up what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB := data/pts_outcomes.duckdb
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help run test lint demo-data chromium clean

help:                         ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

run: $(VENV)/.installed $(DB) ## serve the app on the demo data (builds the venv and the demo file if missing)
	PTS_DB=$${PTS_DB:-$(DB)} $(BIN)/streamlit run app.py

test: $(VENV)/.installed chromium lint ## run the whole suite: unit, AppTest and Chromium browser tests
	$(BIN)/python -m pytest

lint: $(VENV)/.installed      ## ruff: style and common bugs
	$(BIN)/ruff check .

demo-data: $(DB)              ## (re)build data/pts_outcomes.duckdb from the seeded generator

$(DB): pts_explorer/synth.py pts_explorer/synth_params.py pts_explorer/schema.sql | $(VENV)/.installed
	$(BIN)/python -m pts_explorer.synth --out $@

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

# Playwright's own browser download does not work here: use Debian's Chromium.
chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }

clean:                        ## remove the venv and the generated demo file
	rm -rf $(VENV) $(DB)
