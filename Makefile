# mmcl-lite: `make lab` to learn, `make test` to check everything, `make demo` for the headless run.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP_NB   := $(VENV)/.installed-notebooks
STAMP_TEST := $(VENV)/.installed-test
# Each notebook may take a few minutes at most even in FAST mode on a slow machine.
NB_TIMEOUT ?= 600

.PHONY: help lab test test-unit test-notebooks test-ui demo bench clean setup

help:
	@echo "make lab     - set up .venv and open JupyterLab on notebooks/"
	@echo "make test    - set up .venv and run unit tests, notebooks (FAST mode) and the UI test"
	@echo "make demo    - train SimCLR on shapes headless and print the result table"
	@echo "make bench   - throughput benchmark on this machine's device"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP_NB): pyproject.toml | $(PY)
	$(PIP) install --quiet -e ".[notebooks]"
	touch $@

$(STAMP_TEST): pyproject.toml $(STAMP_NB)
	$(PIP) install --quiet -e ".[notebooks,dev]"
	touch $@

setup: $(STAMP_TEST)

lab: $(STAMP_NB)
	$(VENV)/bin/jupyter lab notebooks/

test: test-unit test-notebooks test-ui

test-unit: $(STAMP_TEST)
	MMCL_FAST=1 $(PY) -m pytest -m "not ui" tests

test-notebooks: $(STAMP_TEST)
	MMCL_FAST=1 $(PY) -m pytest --nbmake --nbmake-timeout=$(NB_TIMEOUT) notebooks

test-ui: $(STAMP_TEST)
	bash scripts/install-ui-deps.sh $(PY)
	$(PY) -m pytest -m ui tests/ui

demo: $(STAMP_NB)
	$(PY) -m mmcl_lite demo

bench: $(STAMP_NB)
	$(PY) -m mmcl_lite bench throughput

clean:
	rm -rf runs test-artifacts .pytest_cache
