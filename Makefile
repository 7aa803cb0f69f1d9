# Two commands on a fresh machine with Python 3.11: `make demo`, then `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
# A run over many partitions (1,000 companies) records one "planned" event per asset instead of
# one per partition and asset; a failed run then leaves its partitions missing, not failed.
export DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS ?= true

.PHONY: setup demo test lint ui validate clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: setup  ## materialize every asset on the bundled sample into warehouse/factor_mart.duckdb
	$(BIN)/factor-mart demo

test: setup  ## the whole suite (PostgreSQL tests run, and must pass, when CI=true)
	$(BIN)/pytest

lint: setup  ## ruff and sqlfluff, one command
	$(BIN)/ruff check .
	$(BIN)/sqlfluff lint dbt_project/models dbt_project/macros

validate: setup  ## Dagster loads the code location
	$(BIN)/python -c "from factor_mart.dagster_home import prepare_dagster_home; prepare_dagster_home()"
	$(BIN)/dagster definitions validate -m orchestration.definitions

ui: setup  ## the Dagster UI on http://127.0.0.1:3000 (runs of `factor-mart demo --record`)
	$(BIN)/python -c "from factor_mart.dagster_home import prepare_dagster_home; prepare_dagster_home()"
	$(BIN)/dagster dev -m orchestration.definitions -h 127.0.0.1 -p 3000

clean:
	rm -rf warehouse .dagster_home dbt_project/target
