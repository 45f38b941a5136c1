# mmcl-lite: `make lab` to learn, `make test` to check everything, `make demo` for the headless run.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP_NB   := $(VENV)/.installed-notebooks
STAMP_TEST := $(VENV)/.installed-test
# A notebook takes a minute or two in FAST mode on 2 CPU cores; a stalled kernel connection
# (a known, rare nbclient stall around widget messages) fails after this and is retried once.
NB_TIMEOUT ?= 300
# `make lab` serves on this address; JupyterLab takes the next free port if this one is busy.
LAB_IP   ?= 127.0.0.1
LAB_PORT ?= 8888

# TORCH=cpu (e.g. `make lab TORCH=cpu`) installs torch and torchvision from PyTorch's CPU-only
# wheel index before the kit: no CUDA libraries, a few GB less on Linux (README, "Install").
# Unset (the default): pip's torch from PyPI, as pyproject.toml asks. The choice stays with the
# venv: to switch, `rm -rf .venv` first. Same version floors as pyproject.toml.
TORCH ?=
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu
TORCH_SPECS := "torch>=2.3" "torchvision>=0.18"
# Does the index answer? Reachability only: pip verifies what it downloads.
TORCH_INDEX_UP := import sys, urllib.request as r; \
  r.urlopen(sys.argv[1].rstrip("/") + "/torch/", timeout=30)
ifeq ($(TORCH),cpu)
STAMP_TORCH := $(VENV)/.installed-torch-cpu
else ifeq ($(TORCH),)
STAMP_TORCH :=
else
$(error TORCH=$(TORCH) is not an option: use TORCH=cpu, or leave TORCH unset for PyPI's torch)
endif

.PHONY: help lab test test-unit test-notebooks test-ui test-learning demo bench zoo clean setup

help:
	@echo "make lab     - set up .venv and open JupyterLab on notebooks/"
	@echo "make test    - set up .venv and run unit tests, notebooks (FAST mode) and the UI test"
	@echo "make test-learning - train every method for minutes: each must beat its random encoder"
	@echo "make demo    - train SimCLR on shapes headless and print the result table"
	@echo "make bench   - throughput benchmark on this machine's device"
	@echo "make zoo     - remake every shipped model-zoo run and table (slow; prints each one's time)"
	@echo "make lab TORCH=cpu, make test TORCH=cpu, ... - the same with CPU-only torch (smaller; README)"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# TORCH=cpu: check that the CPU index answers, refuse a venv that already holds a CUDA torch,
# install, and check that the result is a CPU build.
$(VENV)/.installed-torch-cpu: | $(PY)
	@$(PY) -c '$(TORCH_INDEX_UP)' "$(TORCH_CPU_INDEX)" >/dev/null 2>&1 || { \
	  echo "make: TORCH=cpu installs torch from PyTorch's CPU wheel index, $(TORCH_CPU_INDEX),"; \
	  echo "      which this machine cannot reach. Run without TORCH=cpu for PyPI's torch (on Linux the"; \
	  echo "      CUDA build, a few GB more), or set TORCH_CPU_INDEX to a mirror of that index."; \
	  exit 1; } >&2
	@if $(PY) -c "import sys, torch; sys.exit(torch.version.cuda is None)" 2>/dev/null; then \
	  echo "make: $(VENV) already holds a CUDA build of torch; for the CPU build start afresh:" >&2; \
	  echo "      rm -rf $(VENV) && make $(or $(MAKECMDGOALS),setup) TORCH=cpu" >&2; exit 1; fi
	$(PIP) install --quiet --index-url $(TORCH_CPU_INDEX) $(TORCH_SPECS) || { \
	  echo "make: installing torch from $(TORCH_CPU_INDEX) failed (see pip's message above)" >&2; exit 1; }
	@$(PY) -c "import sys, torch; sys.exit(torch.version.cuda is not None)" || { \
	  echo "make: pip installed a CUDA build of torch despite TORCH=cpu (an extra index in" >&2; \
	  echo "      your pip configuration? see: $(PIP) config list)" >&2; exit 1; }
	touch $@

$(STAMP_NB): pyproject.toml $(STAMP_TORCH) | $(PY)
	$(PIP) install --quiet -e ".[notebooks]"
	touch $@

# One pip run for both extras (not the notebooks' and then the test tools' again): it stamps both.
# pip byte-compiles what it installs; keep it: where PYTHONDONTWRITEBYTECODE is set, Python
# never caches bytecode itself, and every process would compile torch's modules anew.
$(STAMP_TEST): pyproject.toml $(STAMP_TORCH) | $(PY)
	$(PIP) install --quiet -e ".[notebooks,dev]"
	touch $(STAMP_NB) $@

setup: $(STAMP_TEST)

# --allow-root only for root (JupyterLab refuses to start as root without it, e.g. in a container).
lab: $(STAMP_NB)
	@echo "Starting JupyterLab on notebooks/ at http://$(LAB_IP):$(LAB_PORT)/lab (make lab LAB_PORT=...)."
	@echo "Open the http://...:.../lab?token=... address it prints below; Ctrl-C twice stops it."
	$(VENV)/bin/jupyter lab notebooks/ --ServerApp.ip=$(LAB_IP) --ServerApp.port=$(LAB_PORT) \
	  $$([ "$$(id -u 2>/dev/null)" = 0 ] && echo --allow-root)

test: test-unit test-notebooks test-ui

test-unit: $(STAMP_TEST)
	MMCL_FAST=1 $(PY) -m pytest -m "not ui and not learning" tests

# Every method trained for minutes must beat its random encoder (about 10 minutes on 2 CPU cores).
test-learning: $(STAMP_TEST)
	$(PY) -m pytest -m learning tests

# The notebooks run with the network unplugged (scripts/offline.sh): they must need none. They
# run side by side, a kernel per core (NB_WORKERS=1: one at a time), each kernel on one thread:
# most of a FAST notebook is starting a kernel and importing, which one core does alone.
# (Unit tests stay serial: in pytest-xdist workers this suite ran three times slower.)
NB_WORKERS ?= auto
test-notebooks: $(STAMP_TEST)
	MMCL_FAST=1 OMP_NUM_THREADS=1 bash scripts/offline.sh $(PY) -m pytest -n $(NB_WORKERS) \
	  --nbmake --nbmake-timeout=$(NB_TIMEOUT) notebooks \
	  || { echo "make: retrying the notebooks that failed, once" >&2; \
	       MMCL_FAST=1 bash scripts/offline.sh $(PY) -m pytest --nbmake --nbmake-timeout=$(NB_TIMEOUT) --last-failed notebooks; }

test-ui: $(STAMP_TEST)
	bash scripts/install-ui-deps.sh $(PY)
	$(PY) -m pytest -m ui tests/ui

demo: $(STAMP_NB)
	$(PY) -m mmcl_lite demo

# Remake every shipped zoo run with the kit's own recipes (prints each one's time).
zoo: $(STAMP_NB)
	$(PY) -m mmcl_lite zoo --overwrite

bench: $(STAMP_NB)
	$(PY) -m mmcl_lite bench throughput

clean:
	rm -rf runs test-artifacts .pytest_cache
