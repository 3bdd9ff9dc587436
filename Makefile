# News Warehouse — `make run` builds warehouse/news.duckdb from seeds/, `make test` runs the tests.
# Both set everything up first: a virtual environment in .venv from requirements.lock (once; again
# only when the lock changes) and the dbt manifest (again only when sql/ changes).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
export DAGSTER_HOME ?= $(CURDIR)/.dagster
export NEWS_SOURCE_DIR ?= $(CURDIR)/seeds
export NEWS_WAREHOUSE_PATH ?= $(CURDIR)/warehouse/news.duckdb
HOST ?= 127.0.0.1
PORT ?= 3000
SQL_SOURCES := $(shell find sql -name '*.sql' -o -name '*.yml' 2>/dev/null | grep -v '^sql/target/')
MANIFEST := sql/target/manifest.json

.PHONY: setup browser ray run test ui status query rollback lock lint clean

setup: $(VENV)/.synced $(MANIFEST) $(DAGSTER_HOME)/dagster.yaml

$(VENV)/.synced: requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/python -m uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	touch $@

# The optional Ray backend (NEWS_RAY_ADDRESS, docs/scale-out.md), on top of the lock: `make ray`;
# `make test` installs it too (its test runs a local Ray head), `make run` does not need it.
$(VENV)/.synced-ray: requirements-ray.lock $(VENV)/.synced
	$(BIN)/python -m uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements-ray.lock
	touch $@

ray: $(VENV)/.synced-ray

$(MANIFEST): $(VENV)/.synced $(SQL_SOURCES)
	cd sql && ../$(BIN)/dbt parse --quiet --profiles-dir . && touch target/manifest.json

$(DAGSTER_HOME)/dagster.yaml: config/dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp config/dagster.yaml $@

# `make run` prints a line per step and a summary; `make run VERBOSE=1`, Dagster's full event log
# (kept in the run storage either way: `make ui`).
VERBOSE ?=
run: export VERBOSE := $(VERBOSE)
run: setup
	$(BIN)/python -m pipelines

# Two worker processes, whole test files to each (the integration tests wait on subprocess runs
# much of the time): 6.5 min of pytest on a fresh clone, 2 cores (2026-12-03, Ray test included),
# against 9.5 to 10.3 min in one process (before the Ray test).
PYTEST_WORKERS ?= 2
test: setup browser ray
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile

# Debian's Chromium for the UI test (Playwright drives it; no browser download). Installed when
# missing and we may (root with apt-get); otherwise the UI test skips and says why.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the UI test"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "could not install chromium: the UI test will be skipped"; \
	  else echo "chromium is not installed: the UI test will be skipped"; fi; }

ui: setup
	$(BIN)/python -m pipelines.serve --host $(HOST) --port $(PORT)

# The last run, the published file's age, queued and running runs, the last alert.
status: $(VENV)/.synced $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m pipelines.status

# Ask the published warehouse a question: make query SQL="select count(*) from core.documents"
query: $(VENV)/.synced
	$(BIN)/python -m pipelines.query "$$SQL"

# Put the previous published warehouse back from warehouse/snapshots/ (the one replaced becomes a
# snapshot: run it again to undo): make rollback, or make rollback SNAPSHOT=warehouse/snapshots/….duckdb.
# `$(BIN)/python -m pipelines.rollback --list` lists them. The next successful run publishes again.
SNAPSHOT ?=
rollback: $(VENV)/.synced
	$(BIN)/python -m pipelines.rollback $(if $(SNAPSHOT),"$(SNAPSHOT)")

# Re-resolve requirements.in into requirements.lock (needs the package index).
lock: $(VENV)/.synced
	$(BIN)/python -m uv pip compile --quiet requirements.in -o requirements.lock --python-version 3.11
	$(BIN)/python -m uv pip compile --quiet requirements-ray.in -o requirements-ray.lock --python-version 3.11

lint: setup
	$(BIN)/ruff check pipelines transforms tests benchmarks
	cd sql && ../$(BIN)/sqlfluff lint models

clean:
	rm -rf $(VENV) $(DAGSTER_HOME) sql/target sql/logs warehouse/.build warehouse/*.duckdb
