# One entry point for developer tasks; the README and CI use these targets.
# `make demo` and `make test` build the environment themselves on a fresh clone.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV     := $(BIN)/uv
EXTRAS := postgres,ml,dev
PYTEST_ARGS ?=
DEMO_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help setup demo test test-fast lint format bench services lock clean

help: ## List the tasks
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/databank: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==0.13.9
	$(UV) pip install --quiet --python $(BIN)/python -c requirements.lock -e ".[$(EXTRAS)]"
	@touch $@

setup: $(BIN)/databank ## Create .venv with the package and its dev extras (pinned by requirements.lock)

demo: setup ## Run the main job: the synthetic retailer through every layer, then serve (DEMO_ARGS=--no-serve …)
	$(BIN)/databank demo $(DEMO_ARGS)

test: setup services ## Run the whole test suite (DuckDB and PostgreSQL)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: setup ## Run the tests without the slow end-to-end ones
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

lint: setup ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup ## Format the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup ## Run the benchmarks (each prints JSON)
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

services: ## Start or check the services the tests need (PostgreSQL with wal_level=logical)
	bash scripts/services.sh

lock: setup ## Re-pin requirements.lock from pyproject.toml
	$(UV) pip compile pyproject.toml --extra postgres --extra ml --extra dev --python-version 3.11 -o requirements.lock

clean: ## Remove the environment and local data
	rm -rf $(VENV) .databank .pytest_cache .ruff_cache
