# entas: the two commands a newcomer needs are `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SCALE ?= 1.0
YEAR ?= 2024

.PHONY: demo serve test lint typecheck unit test-full bench dictionary install clean

RUN_STAMP := $(VENV)/.run-stamp
# uv installs the dependencies in about 10 s where pip takes about 90 s; pip stays the fallback when uv
# cannot be installed. (Expanded by the shell when a recipe runs, after the venv exists.)
INSTALLER = $$($(BIN)/python -m uv --version >/dev/null 2>&1 \
  && echo "$(BIN)/python -m uv pip install --quiet --python $(BIN)/python" \
  || echo "$(BIN)/python -m pip install --quiet")
# Bytecode, as pip would compile it, so that every later command starts fast even where
# PYTHONDONTWRITEBYTECODE is set; the packages' own test suites are left out (about 20 s instead of 30 s).
COMPILE = $(BIN)/python -m compileall -q -j 0 -x '/(tests?|pip|setuptools)/' \
  "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" src >/dev/null \
  || echo "some files were not compiled; Python compiles them when they are imported"

# what entas needs to run (make demo, make serve)
$(RUN_STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "entas needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check uv 2>/dev/null \
	  || echo "uv could not be installed; installing with pip, which takes a minute or two"
	@echo "installing entas and what it needs into $(VENV)"
	@$(INSTALLER) -e .
	@$(COMPILE)
	@touch $(RUN_STAMP)

# plus the test tools and the PySpark engine (make test and the rest)
$(STAMP): $(RUN_STAMP)
	@echo "installing the test tools and PySpark into $(VENV)"
	@$(INSTALLER) -e '.[dev,spark]'
	@$(COMPILE)
	@touch $(STAMP)

install: $(STAMP)

## Generate the synthetic province, import it, print the summary and where the outputs are.
demo: $(RUN_STAMP)
	$(BIN)/entas demo --scale $(SCALE) --year $(YEAR)

## The dashboard and API on the demo's data (http://127.0.0.1:8000/); creates user admin on first run.
serve: $(RUN_STAMP)
	$(BIN)/entas db upgrade
	@$(BIN)/entas users list --format csv | grep -q '^[0-9]*,admin,' || { \
	  pw=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(12))'); \
	  printf '%s\n' "$$pw" | $(BIN)/entas users add admin --role admin --password-stdin >/dev/null && \
	  echo "created user admin with password $$pw (shown once; change it with entas users)"; }
	$(BIN)/entas serve --dev

## Lint, type-check and run the test suite.
test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy src

unit: $(STAMP)
	$(BIN)/pytest

## The suite plus the slow full-scale tests.
test-full: $(STAMP)
	$(BIN)/pytest -m "slow or not slow"

## Performance runs; results go to docs/benchmarks.md.
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_synth.py --scale 1.0
	$(BIN)/python benchmarks/bench_import.py
	$(BIN)/python -m pip install --quiet samplics
	$(BIN)/python benchmarks/bench_measure.py suite --households 1000000
	$(BIN)/python benchmarks/bench_pockets.py --scale 1.0

dictionary: $(STAMP)
	$(BIN)/entas dictionary --out docs/data-dictionary.md

clean:
	rm -rf $(VENV) entas-data .pytest_cache .mypy_cache .ruff_cache
