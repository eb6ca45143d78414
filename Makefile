# The two commands: `make run` and `make test`. Everything they need is installed here.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
AXE := tests/browser/node_modules/axe-core/axe.min.js
OIDC_PROVIDER := tests/oidc/node_modules/oidc-provider/package.json
# apt-get needs root; use sudo when we are not root and it exists.
SUDO := $(shell [ "$$(id -u)" = 0 ] || command -v sudo)

.PHONY: run serve test test-sqlite test-postgres check-migrations translations messages system-deps bench lint clean

$(BIN)/activate:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

translations: $(VENV)/.runtime
	$(BIN)/pybabel compile -d tracker/translations 2>&1 | grep -v "^compiling" || true

## make run: set everything up and serve the demo at http://127.0.0.1:5000
## (with the scheduler inside the server: reminders land in the outbox, /admin/outbox)
run: $(VENV)/.runtime translations
	$(FLASK) db upgrade
	$(FLASK) demo --if-empty
	TRACKER_SCHEDULER=1 $(FLASK) run --host 127.0.0.1 --port 5000

## make serve: production-style: gunicorn workers plus the scheduler as its own process
## (DATABASE_URL, SECRET_KEY, MAIL_* from the environment; see README "Deploying")
serve: $(VENV)/.runtime translations
	$(FLASK) db upgrade
	@trap 'trap - EXIT INT TERM; kill 0' EXIT INT TERM; \
	$(FLASK) scheduler & \
	export PROMETHEUS_MULTIPROC_DIR=$$(mktemp -d); \
	$(BIN)/gunicorn -c python:tracker.operations.gunicorn_conf --workers $${WORKERS:-4} \
	  --bind $${BIND:-127.0.0.1:8000} --access-logfile - app:app

## make test: everything CI checks
test: lint $(VENV)/.dev translations system-deps $(AXE) $(OIDC_PROVIDER) check-migrations test-sqlite test-postgres

# axe-core for the accessibility checks in the browser tests, from the npm registry.
$(AXE): tests/browser/package.json tests/browser/package-lock.json | system-deps
	cd tests/browser && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# panva's oidc-provider: the real OpenID provider the sign-in tests start (tests/oidc).
$(OIDC_PROVIDER): tests/oidc/package.json tests/oidc/package-lock.json | system-deps
	cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error
	touch $@

check-migrations: $(VENV)/.runtime
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	DATABASE_URL=sqlite:///$$tmp/check.db SECRET_KEY=check $(FLASK) db upgrade && \
	DATABASE_URL=sqlite:///$$tmp/check.db SECRET_KEY=check $(FLASK) db check

# TRACKER_REQUIRE_PROGRAMS: a test that needs LibreOffice, poppler or zbar fails when one is
# missing instead of being skipped (system-deps installed them).
# Two workers (pytest-xdist): on PostgreSQL each worker gets its own database on the one
# server (tests/conftest.py).
test-sqlite: $(VENV)/.dev translations
	TRACKER_REQUIRE_PROGRAMS=1 $(BIN)/pytest -q -n 2

test-postgres: $(VENV)/.dev translations
	TRACKER_REQUIRE_PROGRAMS=1 tests/with_postgres.sh $(BIN)/pytest -q -n 2

# Debian's PostgreSQL server and Chromium, for the real-component tests; LibreOffice (headless)
# to print the .docx and .xlsx exports, with Carlito (Calibri's metrics) so they are laid out
# as in Word and Excel, poppler (pdfinfo, pdftotext, pdftoppm) and zbar (zbarimg) to read
# the printed pages and the poster's QR code; a Java runtime for the Nu HTML Checker (vnu.jar).
system-deps:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	command -v soffice >/dev/null 2>&1 || missing="$$missing libreoffice-writer-nogui libreoffice-calc-nogui"; \
	fc-list 2>/dev/null | grep -qi carlito || missing="$$missing fonts-crosextra-carlito"; \
	command -v pdfinfo >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	command -v zbarimg >/dev/null 2>&1 || missing="$$missing zbar-tools"; \
	command -v java >/dev/null 2>&1 || missing="$$missing default-jre-headless"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

## make messages: extract strings and update the catalogues (then translate nl)
messages: $(VENV)/.runtime
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_ngettext:1,2 -o tracker/translations/messages.pot --no-location --sort-output --project tracker --ignore-dirs=".* __pycache__ node_modules" .
	$(BIN)/pybabel update -i tracker/translations/messages.pot -d tracker/translations --no-fuzzy-matching --ignore-obsolete

## make lint: ruff (settings in pyproject.toml): the checks and the formatting
lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) instance .pytest_cache

## make bench: generate the data once (bench/generate.py), run every benchmark in bench/,
## each figure beside a reference measured in the same run, the queries per page at small and
## large data, and a load test of `make serve` on PostgreSQL; all in bench/results/latest.md
bench: $(VENV)/.dev translations
	@missing=""; \
	command -v wrk >/dev/null 2>&1 || missing="$$missing wrk"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
	$(BIN)/python bench/run.py
