# The till's tasks. Everything runs from a local .venv that `make` builds itself,
# so a fresh clone needs only python3.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# Python writes its bytecode caches (__pycache__, ignored by git) even where the shell says
# not to: every till the tests start on a pty would otherwise compile the till's modules
# again, and every pytest worker rewrite every test module (a third of a till's start).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test test-pg lint format check clean bench bench-pg hardening

# --no-compile: the bytecode of what the till and the tests import is written as they first
# import it (a few seconds fewer than compiling every module of every package up front).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --no-compile --disable-pip-version-check \
		-e '.[test,postgresql]'
	touch $(STAMP)

## Start the till on the default database (made with the demo data on first run).
run: $(STAMP)
	$(BIN)/pos

## The whole test suite (lint, types, import contracts, unit, Pilot, snapshot and crash tests)
## in one pytest-xdist run: six workers on this machine's two cores, as the Pilot and pty
## tests spend much of their time waiting for the app to go idle or a till to answer. The
## tests that run several tills or kill them (marked slow, xdist group "tills") run one after
## another in one worker, and the type-ahead rows on a pty in two more (groups "pty-0" and
## "pty-1"): their waits for quiet no longer hold the workers that compute. TEST_JOBS=0
## runs everything in one process; `$(BIN)/pytest --lf` reruns what failed last time.
TEST_JOBS ?= 6
XDIST := $(if $(filter 0,$(TEST_JOBS)),,-n $(TEST_JOBS) --dist loadgroup)
test: $(STAMP)
	$(BIN)/ruff check pos tests
	@echo "$(BIN)/mypy (beside pytest: its verdict follows pytest's)"
	@types=$$(mktemp); $(BIN)/mypy > $$types 2>&1 & checker=$$!; \
	$(BIN)/python -m pytest -q $(XDIST); tested=$$?; \
	wait $$checker; typed=$$?; cat $$types; rm -f $$types; \
	test $$tested -eq 0 && test $$typed -eq 0

## The whole test suite with a throwaway PostgreSQL server (as CI runs it): the database
## tests run on SQLite and on PostgreSQL. Needs PostgreSQL installed (CI installs it as root).
test-pg: $(STAMP)
	.ci/with-postgres $(MAKE) test

## The benchmarks of issue 7 at full size (one JSON line per figure; BENCH_OUT=file to keep
## them; BENCH_PRODUCTS, BENCH_RULES, BENCH_LINES, BENCH_SALES change the sizes).
bench: $(STAMP)
	$(BIN)/python -m tests.benchmarks.run

## The same benchmarks on a PostgreSQL server: BENCH_DB=postgresql://user@host:port/dbname
## make bench-pg (or BENCH_DB=... make bench). The database for the sizes is built on that
## server once (pos_bench_v7s16_1000000p_500r: the data version, the schema version, the sizes; minutes at full size) and kept; each benchmark
## works on a CREATE DATABASE ... TEMPLATE copy of it, dropped after. Every JSON line says
## "db": "sqlite" or "postgresql".
bench-pg: $(STAMP)
	@test -n "$(BENCH_DB)" || { echo "bench-pg: set BENCH_DB=postgresql://user@host:port/dbname" >&2; exit 2; }
	BENCH_DB='$(BENCH_DB)' $(BIN)/python -m tests.benchmarks.run

## The hardening loops of issue 8 at full size: the till killed 300 times at random points,
## two tills selling on one database for a minute, and (issue 19, with a PostgreSQL server:
## POS_TEST_PG_URL, as make test-pg sets) two tills of a store selling 200 sales each with
## the server gone (HARDEN_KILLS, HARDEN_TILLS_SECONDS, HARDEN_OUTAGE_SALES, HARDEN_SEED and
## HARDEN_POINTS change them; make test runs them short).
HARDEN_KILLS ?= 300
HARDEN_TILLS_SECONDS ?= 60
HARDEN_OUTAGE_SALES ?= 200
hardening: $(STAMP)
	HARDEN_KILLS=$(HARDEN_KILLS) HARDEN_TILLS_SECONDS=$(HARDEN_TILLS_SECONDS) \
	HARDEN_OUTAGE_SALES=$(HARDEN_OUTAGE_SALES) \
	$(if $(HARDEN_SEED),HARDEN_SEED=$(HARDEN_SEED)) $(if $(HARDEN_POINTS),HARDEN_POINTS=$(HARDEN_POINTS)) \
	$(BIN)/python -m pytest -q -s tests/hardening/test_kill_loop.py tests/hardening/test_two_tills.py \
		tests/hardening/test_store_outage.py

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
