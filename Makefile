# Yimatong — every command a developer needs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := python3 -m uv
endif
PY := .venv/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1
PYTEST_WORKERS ?= 2
BABEL := .venv/bin/pybabel

.PHONY: help install run serve test test-fast lint lighthouse bench i18n i18n-check i18n-compile migrate seed migration check-migrations browser-deps clean

help: ## List every target with one line each
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-18s %s\n", $$1, $$2}'

.venv/.synced: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet --user uv
	$(UV) sync --frozen --quiet
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

static/js/vendor/htmx.min.js: node_modules/.installed
	mkdir -p static/js/vendor
	cp node_modules/htmx.org/dist/htmx.min.js $@

i18n-compile: .venv/.synced ## Compile the translation catalogs (.po → .mo)
	@$(BABEL) compile --statistics -d i18n -D messages 2>&1 | grep -v '^$$' || true

install: .venv/.synced static/js/vendor/htmx.min.js i18n-compile ## Install what is missing: uv, Python and npm packages, htmx, catalogs

migrate: install ## Apply database migrations
	$(PY) -m portal migrate

seed: migrate ## Add the demo data (once)
	$(PY) -m portal seed

run: seed ## Install, migrate, seed and serve on http://127.0.0.1:8000 (PORT overrides)
	$(PY) -m portal serve --host $(HOST) --port $(PORT)

browser-deps: ## Install Debian's Chromium, CJK fonts (pages and PDF receipts) and pdftotext for the tests (needs root)
	@if command -v chromium >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; then echo "chromium, CJK fonts and pdftotext present"; \
	else apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk poppler-utils; fi

test: install ## Run the whole suite (unit, integration, browser; PostgreSQL and Redis when their URLs are set)
	@[ -n "$$PORTAL_TEST_POSTGRES_URL" ] || echo "note: PORTAL_TEST_POSTGRES_URL is not set: PostgreSQL tests will be skipped"
	@[ -n "$$PORTAL_TEST_REDIS_URL" ] || echo "note: PORTAL_TEST_REDIS_URL is not set: Redis tests will be skipped"
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup --durations=15

test-fast: install ## Unit and integration tests only (no browser)
	$(PY) -m pytest -n $(PYTEST_WORKERS) -m "not browser"

lint: install ## ruff, mypy and the layering contracts (import-linter)
	.venv/bin/ruff check portal ecard tests bench harness architecture
	.venv/bin/ruff format --check portal ecard tests bench harness architecture
	.venv/bin/mypy portal ecard architecture
	.venv/bin/lint-imports

lighthouse: install ## Lighthouse scores (mobile) of the elder home, the card, a booking session and the queue
	$(PY) -m bench.lighthouse

bench: install ## Benchmarks; figures go in docs/benchmarks.md
	$(PY) -m bench

i18n: .venv/.synced ## Extract messages, update every locale, compile
	$(BABEL) extract --mapping-file i18n/babel.cfg --keywords lazy_gettext --omit-header --no-location --sort-output \
		--output-file i18n/messages.pot --project Yimatong portal templates
	$(BABEL) update --input-file i18n/messages.pot --output-dir i18n --domain messages --no-fuzzy-matching --ignore-obsolete --width 100
	$(PY) -m portal.web.catalogs fill-en
	$(MAKE) i18n-compile

i18n-check: .venv/.synced ## Fail when messages.pot is stale or a locale has untranslated or fuzzy entries
	$(PY) -m portal.web.catalogs check

migration: install ## Write a migration for model changes: make migration m="what changed"
	$(PY) -m portal makemigration "$(m)"

check-migrations: migrate ## Fail when a model change has no migration
	$(PY) -m portal check-migrations

clean: ## Remove the virtualenv, node_modules, built assets and the development database
	rm -rf .venv node_modules static/js/vendor var .pytest_cache
