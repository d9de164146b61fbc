# Rostra: the two commands a newcomer runs are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
PYTEST_WORKERS ?= 2
ONLY ?=

.PHONY: install run test lint bench clean browsers requirements

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.installed: $(UV) uv.lock pyproject.toml
	UV_PYTHON=$(PYTHON) $(UV) sync --frozen --quiet
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

install: $(VENV)/.installed node_modules/.installed ## the virtual environment and the portal's assets, from the lock files

browsers: ## Debian's Chromium for the portal's browser tests (apt-get, where it is missing)
	@test -x /usr/bin/chromium -a -d /usr/share/fonts/opentype/noto || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk)

run: install ## migrate the embedded database, load the demo schools, serve on 127.0.0.1:8000
	$(BIN)/rostra db upgrade
	$(BIN)/rostra tenants apply
	$(BIN)/rostra demo load
	@echo "Portal: http://$${ROSTRA_HOST:-127.0.0.1}:$${ROSTRA_PORT:-8000}/portal/ (sign in with a demo phone number)"
	@echo "Development SMS codes: in the outbox, .venv/bin/rostra sms outbox --phone <number> (and in this log as sms.console)"
	$(BIN)/rostra serve

lint: install ## import layers and cycles, ruff, ruff format, mypy --strict
	$(BIN)/lint-imports
	$(BIN)/ruff check app tests bench tools
	$(BIN)/ruff format --check app tests bench tools
	$(BIN)/mypy app bench tools

test: lint browsers ## import contracts, lint, type check, then the whole suite on SQLite and PostgreSQL
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -q

bench: install ## every benchmark, or one: make bench ONLY=ingest
	$(BIN)/python -m bench $(ONLY)

clean:
	rm -rf $(VENV) $(TOOLS) var/rostra.db*

requirements: install ## regenerate docs/requirements.md from the catalogue, the tests and docs/declined.toml
	$(BIN)/python -m tools.requirements_doc --write
