# Two commands for a new user: `make demo` and `make test`. Everything else is set up from here.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DO_NOT_TRACK := 1
export PREFECT_HOME := $(CURDIR)/var/prefect
export PREFECT_LOGGING_LEVEL ?= WARNING
export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: install demo test lint typecheck pytest bench libreoffice chromium clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/onboard demo

# LibreOffice checks that our workbooks open without repair (tests convert them to PDF).
libreoffice:
	@command -v soffice >/dev/null 2>&1 || { \
	  echo "installing LibreOffice Calc from Debian's packages (once)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    libreoffice-calc >/dev/null) || echo "LibreOffice could not be installed: its tests will be skipped"; }

# The portal's browser tests drive Debian's Chromium through Playwright (launched by executable_path:
# Playwright cannot download its own browsers here). Unlike LibreOffice, a missing Chromium fails the
# build: those tests are acceptance tests and must never be skipped.
CHROMIUM ?= /usr/bin/chromium
chromium:
	@test -x $(CHROMIUM) || { \
	  echo "installing Chromium from Debian's packages (once)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    chromium >/dev/null) || true; }
	@test -x $(CHROMIUM) || { echo "error: Chromium could not be installed at $(CHROMIUM): the portal's browser tests cannot run"; exit 1; }

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

pytest: install libreoffice chromium
	$(BIN)/pytest

test: lint typecheck pytest

bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
