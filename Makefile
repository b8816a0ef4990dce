# Hotline CTI — `make run` starts the service, `make test` runs every test. Both set themselves up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-fast bench lock clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is needed"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	@touch $(STAMP)

## run: migrate ./var/cti.db, seed the demo, start the bundled PBX simulator and the console
run: $(STAMP)
	$(BIN)/cti serve

## test: the whole suite (PostgreSQL when CTI_TEST_DATABASE_URL is set, browser tests when chromium is installed)
test: $(STAMP)
	$(BIN)/python -m pytest

## test-fast: unit tests only
test-fast: $(STAMP)
	$(BIN)/python -m pytest tests/unit

## bench: the ingest benchmark (prints numbers; see docs/PERFORMANCE.md)
bench: $(STAMP)
	$(BIN)/python bench/ingest.py

## lock: re-pin the tested versions after changing dependencies
lock: $(STAMP)
	$(BIN)/pip freeze --exclude-editable | grep -v '^-e ' > constraints.txt

clean:
	rm -rf $(VENV) var .pytest_cache
