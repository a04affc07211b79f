# The two commands of the quick start: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := REGISTRY_ENV=development $(BIN)/flask --app registry

.PHONY: demo test install install-dev lint bench clean translations extract-messages browser-deps \
	serve load load-deps load-against-issue

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .
	$(MAKE) -s translations

install-dev: $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	$(MAKE) -s translations

# The message catalogs (registry/catalogs.py): `extract-messages` after changing any text,
# `translations` compiles them for the app (done by install, so demo and test have them).
extract-messages: $(BIN)/python
	$(BIN)/python -m registry.catalogs extract

translations: $(BIN)/python
	$(BIN)/python -m registry.catalogs compile

# Debian's Chromium and a CJK font for the browser tests (never a downloaded browser),
# installed with apt-get when missing and we are root. Elsewhere this only warns and the
# browser tests skip, visibly; with CI set it fails, and so would the tests.
browser-deps:
	@if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi wqy; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "browser-deps: apt-get install chromium fonts-wqy-microhei" >&2; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			chromium fonts-wqy-microhei >/dev/null; } || \
		{ [ -z "$$CI" ] || exit 1; echo "browser-deps: apt-get failed;" \
			"the browser tests will be skipped" >&2; }; \
	elif [ -n "$$CI" ]; then \
		echo "browser-deps: chromium or fonts-wqy-microhei missing, apt-get needs root" >&2; \
		exit 1; \
	else \
		echo "browser-deps: chromium or fonts-wqy-microhei missing (as root: make" \
			"browser-deps); the browser tests will be skipped" >&2; \
	fi

# The web server and one solver worker (registry/jobs.py) beside it; Ctrl-C stops both.
demo: install
	$(FLASK) db upgrade
	$(FLASK) seed --demo
	$(FLASK) demo-logins
	@$(FLASK) worker --slot 1 & worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
		$(FLASK) run --host 127.0.0.1 --port 5000

# Two test processes (pytest-xdist), one file each at a time: most of the suite's time is spent
# waiting (live servers, race rounds, the browser), so two share 2 cores well.
TEST_PROCESSES ?= -n 2 --dist loadfile

# Every test, the browser tests (tests/browser) included: they skip, saying so, when
# Debian's Chromium is missing and cannot be installed here.
test: install-dev browser-deps
	$(BIN)/ruff check registry scheduler tests
	$(BIN)/python -m pytest $(TEST_PROCESSES) -m "not deadline"
	$(BIN)/python -m pytest -m deadline  # alone: they time the solver against its limit

# Production-like: gunicorn with gthread workers (gunicorn.conf.py) on DATABASE_URL, which must
# be migrated (`flask db upgrade`); SECRET_KEY must be set. A solver worker (`flask worker`) runs
# beside it, as a separate service.
serve: install
	@test -n "$$DATABASE_URL" || { echo "serve: set DATABASE_URL (and SECRET_KEY)" >&2; exit 1; }
	$(BIN)/gunicorn -c gunicorn.conf.py registry.wsgi:app

# wrk, the load generator of `make load`, and valgrind, which counts the instructions of
# `python -m benchmarks.instructions`, from Debian (apt-get, as root), when missing.
load-deps:
	@if command -v wrk >/dev/null && command -v valgrind >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "load-deps: apt-get install wrk valgrind" >&2; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk valgrind >/dev/null; \
	else echo "load-deps: wrk or valgrind is missing (as root: make load-deps)" >&2; exit 1; fi

# The load test of docs/load.md on PostgreSQL (127.0.0.1:5432, database `load`, recreated):
# about 3 minutes. LOAD_ARGS passes options, e.g. LOAD_ARGS="--phases saturation --duration 30".
load: install load-deps
	$(BIN)/python -m benchmarks.load $(LOAD_ARGS)

# The issue's own code (266e225, via git worktree) and today's on one mix, alternated
# (docs/load.md, "Against the issue's own code"): databases `load_issue` and `load_today`.
load-against-issue: install load-deps
	$(BIN)/python -m benchmarks.against_issue $(LOAD_ARGS)

bench: install-dev
	$(BIN)/python -m benchmarks.expert_search
	$(BIN)/python -m benchmarks.pages
	$(BIN)/python -m benchmarks.console --gc-freeze

clean:
	rm -rf $(VENV) instance .pytest_cache
