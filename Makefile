# PTS Outcomes Explorer. `make run` serves the demo; `make test` runs every test. Both set up what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# uv installs .venv from uv.lock (every version pinned, with hashes). It is fetched from PyPI by pip into a
# venv of its own, .uv/, so the project's venv holds exactly the lock; UV=... uses another uv.
UV_VERSION := 0.13.9
UV ?= .uv/bin/uv
ifeq ($(UV),.uv/bin/uv)
GET_UV := $(UV)
endif
# --frozen: install the lock as it is, never re-resolve; the interpreter is $(PYTHON), never a download;
# modules compiled at install, as pip does.
SYNC := $(UV) sync --frozen --python $(PYTHON) --no-python-downloads --compile-bytecode --quiet
DB := data/pts_outcomes.duckdb
LARGE := data/pts_1m.duckdb
PARQUET := data/parquet
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
GENERATOR := $(wildcard pts_explorer/synthetic/*.py queries/derived/*.sql) queries/shared/scheduled_visits.sql pts_explorer/schema.sql pts_explorer/vocab.py pts_explorer/derived.py

.PHONY: help run serve serve-stop test test-fast durations lint load bench bench-import bench-engines demo-data example-exports \
	export-parquet spark-extra java chromium caddy clean

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

run: $(VENV)/.installed $(RUN_NEEDS) ## serve the app on the demo data (installs the runtime from uv.lock and builds the demo file if missing)
	PTS_DB=$${PTS_DB:-$(RUN_DB)} $(BIN)/streamlit run app.py

# make serve: WORKERS app processes (default one per core) behind Caddy, which keeps each browser on one of
# them (a cookie: a Streamlit session lives in one process); every worker reads the same outcomes file and
# shares the workspace. The proxy listens on SERVE_ADDRESS:SERVE_PORT; logs, the Caddyfile generated from
# pts_explorer/Caddyfile.template and serve.json (pids, ports) go in SERVE_RUN. Ctrl-C or `make serve-stop`
# stops every process. README "Serving it to a team" says how to run it under systemd or in a container.
SERVE_PORT ?= 8501
SERVE_ADDRESS ?= 127.0.0.1
SERVE_RUN ?= .serve

serve: $(VENV)/.installed caddy $(RUN_NEEDS) ## WORKERS=N app processes behind Caddy with sticky sessions, on 127.0.0.1:8501 (SERVE_ADDRESS, SERVE_PORT); Ctrl-C stops them all
	PTS_DB=$${PTS_DB:-$(RUN_DB)} exec $(BIN)/python -m pts_explorer.serve --workers $(WORKERS) \
		--address $(SERVE_ADDRESS) --port $(SERVE_PORT) --run-dir $(SERVE_RUN)

serve-stop: $(VENV)/.installed ## stop what `make serve` started (every worker and the proxy)
	$(BIN)/python -m pts_explorer.serve --stop --run-dir $(SERVE_RUN)

# pytest-xdist workers for test and test-fast: one per core (WORKERS=0 runs in one process). Each worker
# starts its own servers on free ports; --dist loadgroup runs each module on one worker, and every Spark test
# on one (tests/tiers.py); --no-loadscope-reorder hands the groups out as collected, the ones that took longest
# first (tests/durations.json), so the workers finish together. make test prints its 25 slowest test phases
# (setup, call, teardown: --durations=25), so CI's log shows where the time goes.
WORKERS ?= auto

test: $(VENV)/.all chromium java caddy ## what CI runs: the whole lock (runtime, spark extra, test and lint groups), lint, then every test (browser, Spark, slow) on one worker per core, full Hypothesis profile
	$(MAKE) --no-print-directory lint
	PTS_REQUIRE_SPARK=1 HYPOTHESIS_PROFILE=full $(BIN)/python -m pytest -n $(WORKERS) --dist loadgroup --no-loadscope-reorder --durations=25

test-fast: $(VENV)/.test      ## the inner loop (runtime, test and lint groups): unit and AppTest tests but the spark and slow ones, one worker per core, quick Hypothesis profile, no lint
	HYPOTHESIS_PROFILE=quick $(BIN)/python -m pytest tests/unit tests/app -m "not browser and not spark and not slow" -n $(WORKERS) --dist loadgroup --no-loadscope-reorder

durations: $(VENV)/.all chromium java caddy ## every test as make test runs them, recording the seconds each group took into tests/durations.json (the order make test starts them in)
	PTS_REQUIRE_SPARK=1 HYPOTHESIS_PROFILE=full $(BIN)/python -m pytest -n $(WORKERS) --dist loadgroup --no-loadscope-reorder --record-durations -q

lint: $(VENV)/.lint           ## ruff (style, format), mypy (types), import-linter (layers): the lint group
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

load: $(VENV)/.test chromium caddy $(DB) ## 30 and 60 concurrent Chromium sessions opening a page and changing filters, through make serve with 1 and 2 workers (not in CI)
	$(BIN)/python scripts/load.py --workers 1 2 --sessions 30 60

bench: $(VENV)/.test chromium $(DB) $(LARGE) ## page times, query floors and browser timings on the demo and 1M patients (not in CI)
	$(BIN)/python scripts/benchmark.py

bench-import: $(VENV)/.installed $(LARGE) ## import time and memory for 1M patients from Parquet and CSV (not in CI)
	$(BIN)/python scripts/bench_import.py --db $(LARGE) --json data/bench_import.json

bench-engines: $(VENV)/.installed $(VENV)/.spark java $(LARGE) ## Overview and Trajectories queries: DuckDB file, DuckDB on Parquet, Spark (not in CI)
	$(BIN)/python scripts/bench_engines.py --db $(LARGE)

demo-data: $(DB)              ## (re)build data/pts_outcomes.duckdb from the seeded generator

export-parquet: $(PARQUET)    ## data/parquet: the demo's tables as Parquet (patients partitioned by study and center)

$(PARQUET): $(DB) pts_explorer/parquet.py | $(VENV)/.installed
	$(BIN)/python -m pts_explorer.parquet $(DB) $@

spark-extra: $(VENV)/.spark java ## the optional Spark engine: the spark extra (pyspark, sqlglot) in the venv, and a Java 17 runtime

example-exports: $(VENV)/.installed $(DB) ## the demo cohort in each import profile's format, in data/examples/
	$(BIN)/python -m pts_explorer.importer.examples --db $(DB) --out data/examples

$(DB): $(GENERATOR) | $(VENV)/.installed
	$(BIN)/python -m pts_explorer.synthetic --out $@

$(LARGE): $(GENERATOR) | $(VENV)/.installed
	$(BIN)/python -m pts_explorer.synthetic --out $@ --registry-patients 1000000

ifdef GET_UV
$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/python -m pip install --quiet uv==$(UV_VERSION)
endif

# Each stamp is one part of the lock: the runtime (make run), the test and lint groups, the Spark extra.
# A part is added --inexact (what else is installed stays); $(VENV)/.all installs the whole lock exactly.
$(VENV)/.installed: pyproject.toml uv.lock | $(GET_UV)
	$(SYNC) --inexact
	touch $@

$(VENV)/.test: pyproject.toml uv.lock | $(VENV)/.installed
	$(SYNC) --inexact --group test --group lint
	touch $@ $(VENV)/.lint

$(VENV)/.lint: pyproject.toml uv.lock | $(VENV)/.installed
	$(SYNC) --inexact --group lint
	touch $@

$(VENV)/.spark: pyproject.toml uv.lock | $(VENV)/.installed
	$(SYNC) --inexact --extra spark
	touch $@

$(VENV)/.all: pyproject.toml uv.lock | $(VENV)/.installed
	$(SYNC) --all-extras --all-groups
	touch $@ $(VENV)/.test $(VENV)/.lint $(VENV)/.spark

# Spark 4 runs on Java 17: Debian's runtime, when the machine has no java.
java:
	@command -v java >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }

# Playwright's own browser download does not work here: use Debian's Chromium.
chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

# make serve's reverse proxy: Debian's Caddy (its package starts no service where systemd does not run; where it
# does, `systemctl disable --now caddy` stops the default site on port 80, which make serve does not use).
caddy:
	@command -v caddy >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq caddy >/dev/null; }

clean:                        ## remove the venvs (.venv, .uv) and the generated files
	rm -rf $(VENV) .uv $(DB) $(LARGE) $(PARQUET) data/examples $(SERVE_RUN)
