# The two commands of the quick start: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := REGISTRY_ENV=development $(BIN)/flask --app registry

.PHONY: demo test install install-dev lint bench clean translations extract-messages browser-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .
	$(MAKE) -s translations

install-dev: $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	$(MAKE) -s translations

# The message catalogs: extract every marked string (and the error templates the models and
# services raise), merge into each language's .po, compile the .mo files the app reads.
BABEL_KEYWORDS := -k _l -k N_ -k DomainError -k InvalidTransition -k CaseNumberError \
	-k Forbidden -k NotFound -k AuditLogIsAppendOnly -k allow:2
extract-messages: $(BIN)/python
	$(BIN)/pybabel -q extract -F babel.cfg $(BABEL_KEYWORDS) --no-location --sort-output \
		-o registry/translations/messages.pot .
	$(BIN)/pybabel -q update -i registry/translations/messages.pot -d registry/translations \
		--no-fuzzy-matching --ignore-obsolete

translations: $(BIN)/python
	$(BIN)/pybabel -q compile -d registry/translations

# Debian's Chromium and a CJK font for the browser tests (never a downloaded browser).
browser-deps:
	@command -v chromium >/dev/null && fc-list | grep -qi wqy || \
		(apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null)

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
	$(BIN)/python -m benchmarks.pages

clean:
	rm -rf $(VENV) instance .pytest_cache
