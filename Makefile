# Two commands do everything on a fresh machine with Python 3.11, pip and make:
#   make run    set up, then run the main job on the embedded defaults
#   make test   set up, then run the test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV_VERSION := 0.13.9
export DAGSTER_HOME ?= $(CURDIR)/data_lake/.dagster
# Where `make ui` serves the Dagster UI: `make ui HOST=0.0.0.0 PORT=8080` (dagster dev's -h and -p).
HOST ?= 127.0.0.1
PORT ?= 3000
# Let Python cache the bytecode of what it imports (a first run compiles only that), even where
# the environment turns caching off: every later process, test subprocess and CLI call starts faster.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: setup run test ui lock bench bench-scaling mutate clean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	@echo "setup: installing the locked dependencies into $(VENV) (uv; plain pip if uv cannot be had)"
	@if $(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"; then \
	  $(BIN)/uv pip install --python $(BIN)/python -r requirements.lock \
	  && $(BIN)/uv pip install --python $(BIN)/python --no-deps -e . ; \
	else \
	  $(BIN)/python -m pip install --disable-pip-version-check -r requirements.lock \
	  && $(BIN)/python -m pip install --disable-pip-version-check --no-deps -e . ; \
	fi
	@mkdir -p $(DAGSTER_HOME)
	@touch $@

run: setup
	@mkdir -p $(DAGSTER_HOME)
	$(BIN)/russell-pipeline build

test: setup
	$(BIN)/python -m pytest -q

# The instance is opened the way `build` opens it first: a new home gets the project's dagster.yaml
# (the lake_writer pool), and its tables are created by one process at a time.
ui: setup
	@$(BIN)/python -c "from russell_pipeline.lake.store import Lake; from russell_pipeline.planning.runs import instance_for; from russell_pipeline.settings import Settings; instance_for(Lake.from_settings(Settings.from_env()))"
	$(BIN)/dagster dev -w workspace.yaml -h $(HOST) -p $(PORT)

bench: setup
	$(BIN)/python bench/parse_bench.py ../shared/real
	$(BIN)/python bench/levels_bench.py
	$(BIN)/python bench/nightly_bench.py
	$(BIN)/python bench/incremental_bench.py
	$(BIN)/python bench/hostile_inputs.py
	$(BIN)/python bench/membership_bench.py
	$(BIN)/python bench/startup_bench.py
	$(BIN)/python bench/publish_bench.py
	$(BIN)/python bench/events_bench.py

# Full backfill, no-change and one-new-day builds at 3,000 and 30,000 stocks (minutes; docs/scaling.md);
# one new market day with 4 and 16 years of history at 15,000 stocks (docs/performance.md).
bench-scaling: setup
	$(BIN)/python bench/scaling_bench.py --stocks 3000 30000
	$(BIN)/python bench/nightly_bench.py --market

# Mutation testing (not in CI; roughly an hour on this 2-core machine): mutmut mutates the
# modules listed under [tool.mutmut] in pyproject.toml, runs their unit tests against each mutant
# in a copy of the project (mutants/, kept between runs so a rerun only retests what changed),
# then prints the score per module.
MUTATE_CHILDREN ?= 2
mutate: setup
	-RUSSELL_TEST_SHARED=$(abspath ../shared) $(BIN)/mutmut run --max-children $(MUTATE_CHILDREN)
	$(BIN)/python bench/mutation_score.py mutants

# Re-pin every dependency (needs network to PyPI); commit the result.
lock: setup
	$(BIN)/uv pip compile pyproject.toml --all-extras --python-version 3.11 -o requirements.lock

clean:
	rm -rf data_lake/lake data_lake/warehouse.duckdb data_lake/.dagster
