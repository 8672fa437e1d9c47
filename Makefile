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

install: ## create .venv from uv.lock (installs uv with pip if missing) and parse the dbt project
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check uv
	uv sync --frozen --all-groups
	$(BIN)/dbt parse --project-dir $(CURDIR)/dbt_project --profiles-dir $(CURDIR)/dbt_project --quiet

run: install ## install, refresh (live from Eurostat, or SPS_SNAPSHOT_DIR offline), serve the dashboard
	$(BIN)/sps refresh
	$(BIN)/sps serve

TEST_WORKERS ?= 2
test: install ## install and run the whole test suite on TEST_WORKERS processes (SPS_SNAPSHOT_DIR defaults to ../shared/data)
	$(BIN)/lint-imports --no-cache
	SPS_SNAPSHOT_DIR=$${SPS_SNAPSHOT_DIR:-$(abspath ../shared/data)} $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope

dev: install ## Dagster UI on 127.0.0.1:3000 with a project-local DAGSTER_HOME, telemetry off
	mkdir -p $(DAGSTER_HOME)
	$(BIN)/python -c "from pipelines.settings import load_settings; load_settings().ensure_dirs()"
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p $${SPS_DAGSTER_PORT:-3000}

SCALES ?= 1 10 100
bench: install ## benchmarks (SCALES="1 10" to leave out 100x): refresh vs raw DuckDB, dashboard, uploads -> benchmarks/results/
	SPS_SNAPSHOT_DIR=$${SPS_SNAPSHOT_DIR:-$(abspath ../shared/data)} $(BIN)/python -m benchmarks.run --scales $(SCALES)

lint: install ## ruff lint + format check, and the import contracts (layers, no cycles; docs/architecture.md)
	$(BIN)/ruff check pipelines dashboards tests benchmarks examples
	$(BIN)/ruff format --check pipelines dashboards tests benchmarks examples
	$(BIN)/lint-imports --no-cache

.PHONY: help install run test dev lint bench
