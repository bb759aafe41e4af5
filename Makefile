# Two commands do all the set-up on a fresh machine with Python 3.9+:
#   make example   install the hook alone into .venv and run it on examples/
#   make test      install it with the test tools into .venv and run every check and test
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: example test bench fuzz sarif-multitool

# the hook and its runtime dependency only: what `make example` needs
$(BIN)/.runtime: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e .
	touch $@

# plus the test extra: ruff, mypy, pytest, pre-commit...
$(BIN)/.installed: $(BIN)/.runtime
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@

# The hook's own output and exit code (1: findings, the commit would be blocked), as the README shows.
example: $(BIN)/.runtime
	@$(BIN)/check-postgresql-log-disconnections examples/; rc=$$?; echo "exit code $$rc"; exit $$rc

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

# The SARIF Multitool (npm registry) for the test that checks our SARIF against
# GitHub's rules; optional: that test skips when it is not installed.
MULTITOOL_PLATFORM := $(shell uname -s | tr A-Z a-z | sed 's/^mingw.*/win32/')
sarif-multitool: .tools/sarif-multitool
.tools/sarif-multitool:
	timeout 300 npm install --prefix .tools --no-audit --no-fund --no-save --loglevel=error @microsoft/sarif-multitool@5
	chmod u+x .tools/node_modules/@microsoft/sarif-multitool-$(MULTITOOL_PLATFORM)/Sarif.Multitool
	ln -sf node_modules/@microsoft/sarif-multitool-$(MULTITOOL_PLATFORM)/Sarif.Multitool $@
