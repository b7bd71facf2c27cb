# Two commands do everything on a fresh machine with Python 3.11, pip and make:
#   make run    set up (the runtime lock only), then run the main job on the embedded defaults
#   make test   set up (the runtime lock and the test lock), then run the test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
UV_VERSION := 0.13.9
export DAGSTER_HOME ?= $(CURDIR)/data_lake/.dagster
# Where `make ui` serves the Dagster UI: `make ui HOST=0.0.0.0 PORT=8080` (dagster dev's -h and -p).
HOST ?= 127.0.0.1
PORT ?= 3000
# Let Python cache the bytecode of what it imports (a first run compiles only that), even where
# the environment turns caching off: every later process, test subprocess and CLI call starts faster.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: setup setup-test run test ui lock bench bench-scaling mutate clean

setup: $(STAMP)

setup-test: $(TEST_STAMP)

# The environment is made without pip (quicker than seeding pip), then uv installs the locks,
# hash-checked. Where uv cannot be had, pip is seeded and does it (--no-deps: a lock holds every
# dependency, and pip's hash mode refuses a dependency's extras).
define pip_install
	@if [ -x $(BIN)/uv ]; then \
	  $(BIN)/uv pip install --python $(BIN)/python $(1) ; \
	else \
	  { $(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip; } \
	  && $(BIN)/python -m pip install --disable-pip-version-check --no-deps $(1) ; \
	fi
endef

# uv, installed by the machine's pip: this platform's wheel by address and hash (requirements-uv.lock;
# pip then skips the index's page listing every uv release, half of its time), else the same release
# from the index. Where neither installs, $(BIN)/uv stays missing and pip does the installs.
$(BIN)/uv: requirements-uv.lock | $(BIN)/python
	-@$(PYTHON) -m pip --python $(BIN)/python install --quiet --disable-pip-version-check --no-deps --force-reinstall \
	  --require-hashes -r requirements-uv.lock
	-@[ -x $@ ] || $(PYTHON) -m pip --python $(BIN)/python install --quiet --disable-pip-version-check \
	  --no-deps "uv==$(UV_VERSION)"

$(BIN)/python:
	$(PYTHON) -m venv --without-pip $(VENV)

$(STAMP): requirements.lock pyproject.toml | $(BIN)/python $(BIN)/uv
	@echo "setup: installing requirements.lock into $(VENV) (uv; plain pip if uv cannot be had)"
	$(call pip_install,-r requirements.lock)
	$(call pip_install,--no-deps -e .)
	@mkdir -p $(DAGSTER_HOME)
	@touch $@

# The test and deploy extras (pytest, ruff, moto, pgserver, playwright, dg, the PostgreSQL storage
# and the run launchers), pinned at the runtime lock's versions of what both hold.
$(TEST_STAMP): requirements-test.lock $(STAMP)
	@echo "setup: installing requirements-test.lock into $(VENV)"
	$(call pip_install,-r requirements.lock -r requirements-test.lock)
	@touch $@

run: setup
	@mkdir -p $(DAGSTER_HOME)
	$(BIN)/russell-pipeline build

test: setup-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q

# `dg dev` on the project's instance (russell_pipeline/cli/ui.py): Ctrl-C, SIGTERM (make passes it on)
# and SIGHUP end it and its children, and so does make's death.
ui: setup
	$(BIN)/python -m russell_pipeline.cli.ui --host $(HOST) --port $(PORT)

bench: setup-test
	$(BIN)/python bench/parse_bench.py ../shared/real
	$(BIN)/python bench/levels_bench.py
	$(BIN)/python bench/nightly_bench.py
	$(BIN)/python bench/incremental_bench.py
	$(BIN)/python bench/hostile_inputs.py
	$(BIN)/python bench/membership_bench.py
	$(BIN)/python bench/startup_bench.py
	$(BIN)/python bench/publish_bench.py
	$(BIN)/python bench/events_bench.py
	$(BIN)/python bench/build_calls_bench.py
	$(BIN)/python bench/object_store_bench.py
	$(BIN)/python bench/first_run_bench.py
	$(BIN)/python bench/add_list_bench.py

# Full backfill, no-change and one-new-day builds at 3,000 and 30,000 stocks (minutes; docs/scaling.md);
# one new market day with 4 and 16 years of history at 15,000 stocks (docs/performance.md).
bench-scaling: setup-test
	$(BIN)/python bench/scaling_bench.py --stocks 3000 30000
	$(BIN)/python bench/nightly_bench.py --market

# Mutation testing (not in CI; roughly an hour on this 2-core machine): mutmut mutates the
# modules listed under [tool.mutmut] in pyproject.toml, runs their unit tests against each mutant
# in a copy of the project (mutants/, kept between runs so a rerun only retests what changed),
# then prints the score per module.
MUTATE_CHILDREN ?= 2
mutate: setup-test
	-RUSSELL_TEST_SHARED=$(abspath ../shared) $(BIN)/mutmut run --max-children $(MUTATE_CHILDREN)
	$(BIN)/python bench/mutation_score.py mutants

# Re-pin every dependency, with hashes (needs network to PyPI; pins already in the files are kept
# unless UPGRADE=--upgrade), and uv UV_VERSION's wheels; commit the result. The runtime lock is what
# `make run` installs; the test lock adds the test and deploy extras at the runtime lock's versions.
lock: setup
	$(BIN)/uv pip compile pyproject.toml $(UPGRADE) --python-version 3.11 --generate-hashes \
	  --custom-compile-command "make lock" -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra test --extra deploy -c requirements.lock $(UPGRADE) \
	  --python-version 3.11 --generate-hashes --custom-compile-command "make lock" -o requirements-test.lock
	$(PYTHON) .ci/pin_uv.py $(UV_VERSION) > requirements-uv.lock.new && mv requirements-uv.lock.new requirements-uv.lock

clean:
	rm -rf data_lake/lake data_lake/warehouse.duckdb data_lake/.dagster
