# PTS Outcomes Explorer. `make run` serves the demo; `make test` runs every test. Both set up what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB := data/pts_outcomes.duckdb
LARGE := data/pts_1m.duckdb
PARQUET := data/parquet
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
GENERATOR := $(wildcard pts_explorer/synthetic/*.py queries/derived/*.sql) queries/shared/scheduled_visits.sql pts_explorer/schema.sql pts_explorer/vocab.py pts_explorer/derived.py

.PHONY: help run test test-fast lint load bench bench-import bench-engines demo-data example-exports export-parquet \
	spark-extra java chromium clean

help:                         ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

# PTS_ENGINE=spark make run: the same app with its queries on Spark, over the demo written as Parquet.
ifeq ($(PTS_ENGINE),spark)
RUN_NEEDS := $(VENV)/.spark java $(PARQUET)
RUN_DB := $(PARQUET)
else
RUN_NEEDS := $(DB)
RUN_DB := $(DB)
endif

run: $(VENV)/.installed $(RUN_NEEDS) ## serve the app on the demo data (builds the venv and the demo file if missing)
	PTS_DB=$${PTS_DB:-$(RUN_DB)} $(BIN)/streamlit run app.py

test: $(VENV)/.installed $(VENV)/.spark chromium java lint ## the whole suite, what CI runs: lint, unit, AppTest, Spark and Chromium tests
	PTS_REQUIRE_SPARK=1 $(BIN)/python -m pytest

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

bench-engines: $(VENV)/.installed $(VENV)/.spark java $(LARGE) ## Overview and Trajectories queries: DuckDB file, DuckDB on Parquet, Spark (not in CI)
	$(BIN)/python scripts/bench_engines.py --db $(LARGE)

demo-data: $(DB)              ## (re)build data/pts_outcomes.duckdb from the seeded generator

export-parquet: $(PARQUET)    ## data/parquet: the demo's tables as Parquet (patients partitioned by study and center)

$(PARQUET): $(DB) pts_explorer/parquet.py | $(VENV)/.installed
	$(BIN)/python -m pts_explorer.parquet $(DB) $@

spark-extra: $(VENV)/.spark java ## the optional Spark engine: pyspark and sqlglot in the venv, and a Java 17 runtime

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

$(VENV)/.spark: requirements-spark.txt | $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -r requirements-spark.txt
	touch $@

# Spark 4 runs on Java 17: Debian's runtime, when the machine has no java.
java:
	@command -v java >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }

# Playwright's own browser download does not work here: use Debian's Chromium.
chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

clean:                        ## remove the venv and the generated files
	rm -rf $(VENV) $(DB) $(LARGE) $(PARQUET) data/examples
