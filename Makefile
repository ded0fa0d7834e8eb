# Sverka — the README's two commands are `make run` and `make test`; both start with `setup`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PY_DIRS := shared services adapters tests benchmarks deploy clients
UV_VERSION := $(shell sed -n 's/^uv==\([0-9.]*\).*/\1/p' requirements.lock)

.PHONY: setup run test lint fmt bench bench-parse bench-import bench-flow clean prod-local soak bench-prod bench-prod-quick

## setup: create or update .venv from the lock file (idempotent; reruns only when the lock changes)
setup: $(STAMP)

$(STAMP): pyproject.toml clients/python/pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check "uv==$(UV_VERSION)"
	@$(BIN)/uv pip install -q --python $(BIN)/python -r requirements.lock
	@$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e . -e clients/python
	@touch $(STAMP)
	@echo "setup: $(VENV) is ready ($(BIN)/sverka)"

## run: the demo — a demo company, the sandbox bank, payments arriving and being matched (Ctrl-C stops it)
run: setup
	$(BIN)/sverka demo

## test: lint, then the whole suite (real PostgreSQL and Redis are started by the tests themselves)
test: setup lint
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check $(PY_DIRS)
	$(BIN)/mypy shared services adapters benchmarks deploy clients/python/sverka_client

fmt: setup
	$(BIN)/ruff format $(PY_DIRS)
	$(BIN)/ruff check --fix .

## bench: parse throughput per format, import into PostgreSQL and SQLite, then the end-to-end flow beside the floor (see docs/benchmarks.md)
bench: setup bench-parse bench-import bench-flow

bench-parse: setup
	$(BIN)/python -m benchmarks.parse_throughput

bench-import: setup
	$(BIN)/python -m benchmarks.import_throughput

bench-flow: setup
	$(BIN)/python -m benchmarks.flow

## prod-local: the production topology on this machine — PostgreSQL, Redis, API workers, Celery workers, beat,
## the sandbox bank (Procfile; data in var/prod-local; Ctrl-C stops it). See docs/operations.md.
prod-local: setup
	$(BIN)/python -m deploy.local

## soak: the fault tests on the production topology at full size (longer than CI runs them)
soak: setup
	SVERKA_SOAK=1 $(BIN)/pytest tests/production -q

## bench-prod: the production topology measured from outside (docs/benchmarks.md, "Production topology"):
## webhook latency and deliveries/s, 100,000 invoices read from a second process, imports; JSON on stdout
bench-prod: setup
	$(BIN)/python -m benchmarks.prod_topology --profile var/bench-prod-profile.txt

## bench-prod-quick: the same at small sizes (10,000 invoices, 1,000 events), about two minutes
bench-prod-quick: setup
	$(BIN)/python -m benchmarks.prod_topology --quick

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
