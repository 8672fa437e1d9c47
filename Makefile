# SPS Monitor — the quickstart is two targets: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export PYTHONDONTWRITEBYTECODE :=
export UV_COMPILE_BYTECODE := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)
DATA_DIR ?= $(or $(SPS_DATA_DIR),data)
export DAGSTER_HOME ?= $(abspath $(DATA_DIR))/dagster_home

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

install: ## create .venv from uv.lock (installs uv with pip if missing), compile the translations, parse the dbt project
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check uv
	uv sync --frozen --all-groups
	$(BIN)/python -m pipelines.shared.i18n
	$(BIN)/dbt parse --project-dir $(CURDIR)/dbt_project --profiles-dir $(CURDIR)/dbt_project --quiet

# Babel keywords: `_`, `ngettext`, `pgettext` (Babel's defaults), `N_` (a message in a table or an upload problem's
# message id, translated where it is shown).
BABEL_KEYWORDS := -k N_
messages: ## extract the `sps` messages (locales/sps.pot) and merge them into every language's .po (docs/adr/0023)
	$(BIN)/pybabel -q extract -F babel.cfg $(BABEL_KEYWORDS) --no-wrap --sort-by-file \
		--project "SPS Monitor" --copyright-holder "SPS Monitor contributors" -o locales/sps.pot .
	$(BIN)/pybabel -q update -i locales/sps.pot -d locales -D sps --no-wrap --ignore-obsolete --no-fuzzy-matching

run: install ## install, refresh (live from Eurostat, or SPS_SNAPSHOT_DIR offline), serve the dashboard
	$(BIN)/sps refresh
	$(BIN)/sps serve

TEST_WORKERS ?= 2
test: install ## install and run the whole test suite on TEST_WORKERS processes (SPS_SNAPSHOT_DIR defaults to ../shared/data)
	$(BIN)/lint-imports --no-cache
	SPS_SNAPSHOT_DIR=$${SPS_SNAPSHOT_DIR:-$(abspath ../shared/data)} $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope --durations=15

dev: install ## Dagster UI on 127.0.0.1:3000 with a project-local DAGSTER_HOME, telemetry off
	mkdir -p $(DAGSTER_HOME)
	$(BIN)/python -c "from pipelines.settings import load_settings; load_settings().ensure_dirs()"
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p $${SPS_DAGSTER_PORT:-3000}

SCALES ?= 1 10 100
bench: install ## benchmarks (SCALES="1 10" to leave out 100x): refresh vs raw DuckDB, dashboard, uploads -> benchmarks/results/
	SPS_SNAPSHOT_DIR=$${SPS_SNAPSHOT_DIR:-$(abspath ../shared/data)} $(BIN)/python -m benchmarks.run --scales $(SCALES)

screenshots: ## README's language and map screenshots (docs/img/) from `sps serve` on the current published version
	$(BIN)/python docs/screenshots.py

lint: install ## ruff lint + format check, and the import contracts (layers, no cycles; docs/architecture.md)
	$(BIN)/ruff check pipelines dashboards tests benchmarks examples
	$(BIN)/ruff format --check pipelines dashboards tests benchmarks examples
	$(BIN)/lint-imports --no-cache

.PHONY: help install run test dev lint bench messages screenshots
