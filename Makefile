# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-slow test-fast lint typecheck layers clean browser workshop bench

# Every extra: the workshop and Dask are optional for a user of the wheel, never for
# a developer or CI, where their tests must run.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,workshop,dask]"
	touch $(STAMP)

run: $(STAMP)
	$(PY) run.py

# The workshop app for trainers, on http://127.0.0.1:8501 (Ctrl-C to stop);
# `$(PY) run.py workshop --host 0.0.0.0` shares it on the room's network.
workshop: $(STAMP)
	$(PY) run.py workshop

# What CI runs (.ci/run): ruff, the layers contract, mypy, then every test tier.
test: $(STAMP) browser lint layers typecheck
	$(PY) -m pytest -n auto --dist loadfile

# The loop to run while editing (under a minute): the unit tier and the validation
# tests marked `smoke` (conservation, reproducibility, one queueing-theory check).
test-fast: $(STAMP)
	$(PY) -m pytest -q tests/unit tests/validation -m "(unit or smoke) and not slow"

# The longer tests kept out of `make test` (the workshop in a real browser, its
# multi-user latency, the long statistical variants): a few minutes more.
test-slow: $(STAMP) browser
	$(PY) -m pytest -m slow

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# A layer imports only the layers below it ([tool.importlinter] in pyproject.toml).
layers: $(STAMP)
	$(VENV)/bin/lint-imports

typecheck: $(STAMP)
	$(PY) -m mypy sim

# The report's browser test renders it in headless Chromium (Debian's package).
# Installed here where we are root with apt-get; otherwise that test is skipped.
# Never fails: a missing browser must not stop the rest of the tests.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing chromium for the report's browser test (apt-get)..."; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq chromium; } >/dev/null 2>&1 \
		|| echo "Could not install chromium: the report's browser test will be skipped."; \
	else \
		echo "No /usr/bin/chromium (needs root and apt-get to install): the report's browser test will be skipped."; \
	fi

# Throughput against bare SimPy, parallel efficiency, memory, `make run` time (a few
# minutes): prints a table and writes benchmarks/results.json (see benchmarks/performance.md).
bench: $(STAMP)
	$(PY) benchmarks/bench.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .import_linter_cache
