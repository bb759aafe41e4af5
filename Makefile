# Two commands do all the set-up on a fresh machine with Python 3.9+:
#   make example   install into .venv and run the hook on examples/
#   make test      install into .venv and run every check and test
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: example test bench fuzz

$(BIN)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@

example: $(BIN)/.installed
	$(BIN)/check-postgresql-log-disconnections examples/ || true

test: $(BIN)/.installed
	$(BIN)/ruff check hooks tests benchmarks testing
	$(BIN)/mypy
	$(BIN)/pre-commit validate-manifest .pre-commit-hooks.yaml
	$(BIN)/coverage erase
	$(BIN)/coverage run -m pytest
	$(BIN)/coverage report

bench: $(BIN)/.installed
	$(BIN)/python -m benchmarks

# a short run of the long fuzzer (python -m testing.fuzz --help for longer ones)
fuzz: $(BIN)/.installed
	$(BIN)/python -m testing.fuzz --count 200 --jobs 2
