# The two commands of the quick start: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := REGISTRY_ENV=development $(BIN)/flask --app registry

.PHONY: demo test install install-dev lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .

install-dev: $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'

demo: install
	$(FLASK) db upgrade
	$(FLASK) seed --demo
	$(FLASK) demo-logins
	$(FLASK) run --host 127.0.0.1 --port 5000

test: install-dev
	$(BIN)/ruff check registry scheduler tests
	$(BIN)/python -m pytest

bench: install-dev
	$(BIN)/python -m benchmarks.expert_search

clean:
	rm -rf $(VENV) instance .pytest_cache
