PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup test test-slow demo samples bench bench-small drill lint check-windows bundle check-bundle clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" -n auto --cov=toolkit --cov-branch --cov-report=term

# the slow drills left out of `make test` (CI runs them as a step of their own)
test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow -n auto

demo: $(STAMP)
	$(BIN)/toolkit demo demo_workspace

samples: $(STAMP)
	$(BIN)/python -m toolkit.samples sample_workbooks

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py --files $${N:-1000}

# CI: the whole benchmark at 100 units (~1-2 min), so that it can never silently break again; its figures go to the
# untracked work folder (a CI run or a developer's check leaves the checkout as it was)
bench-small: $(STAMP)
	$(BIN)/python benchmarks/run.py --files 100 --out benchmarks/work/ci_100.json

drill: $(STAMP)
	TOOLKIT_FUZZ_EXAMPLES=$${FUZZ:-400} $(BIN)/python -m pytest tests/test_drill.py tests/test_hostile.py -k "drill or fuzz" -s

check-windows: $(STAMP)
	$(BIN)/python scripts/check_windows_wheels.py

# the offline installer for Windows: dist/toolkit_offline_<version>/ (every wheel, cai_dat.bat) and its .zip
bundle: $(STAMP)
	$(BIN)/python scripts/offline_bundle.py build

# CI: the same bundle built for this machine, installed into a fresh venv with the index off, demo run from it;
# and the Windows wheels' presence (as check-windows)
check-bundle: $(STAMP)
	$(BIN)/python scripts/offline_bundle.py check-host
	$(BIN)/python scripts/check_windows_wheels.py

lint: $(STAMP)
	$(BIN)/python -m pip install -q -e ".[lint]" && $(BIN)/ruff check toolkit tests scripts benchmarks

clean:
	rm -rf $(VENV) demo_workspace dist
