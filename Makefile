# The till's tasks. Everything runs from a local .venv that `make` builds itself,
# so a fresh clone needs only python3.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint format check clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## Start the till on the default database (made with the demo data on first run).
run: $(STAMP)
	$(BIN)/pos

## The whole test suite (lint, import contracts, unit, Pilot, snapshot and crash tests).
test: $(STAMP)
	$(BIN)/ruff check pos tests
	$(BIN)/python -m pytest -q

## The benchmarks of issue 7 at full size (one JSON line per figure; BENCH_OUT=file to keep
## them; BENCH_PRODUCTS, BENCH_RULES, BENCH_LINES, BENCH_SALES change the sizes).
bench: $(STAMP)
	$(BIN)/python -m tests.benchmarks.run

lint: $(STAMP)
	$(BIN)/ruff check pos tests
	$(BIN)/ruff format --check pos tests
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format pos tests
	$(BIN)/ruff check --fix pos tests

check: lint test

clean:
	rm -rf $(VENV) build *.egg-info
