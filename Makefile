# The two commands a new user needs: `make run` and `make test`.
# Everything is installed from the lock files in requirements/ into .venv.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint typecheck pytest browser-deps translations translations-update clean

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "Could not create a virtual environment: install python3-venv (apt-get install python3-venv)"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip

# One stamp per lock file: re-install only when the lock file changes.
$(VENV)/.main-installed: requirements/main.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/main.txt
	touch $@

$(VENV)/.dev-installed: requirements/dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.txt
	touch $@ $(VENV)/.main-installed

translations: $(VENV)/.main-installed
	$(BIN)/pybabel compile --use-fuzzy -d training/translations >/dev/null

# Refresh the template and the catalogues after changing text in the code.
translations-update: $(VENV)/.main-installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--omit-header -o training/translations/messages.pot training
	$(BIN)/pybabel update -i training/translations/messages.pot -d training/translations \
		--omit-header --no-fuzzy-matching --ignore-obsolete

run: $(VENV)/.main-installed translations
	$(FLASK) db upgrade
	$(FLASK) content sync
	$(FLASK) demo
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	$(FLASK) run --host $(HOST) --port $(PORT)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy training

# The browser tests (tests/browser) drive Debian's Chromium with Playwright (never a
# downloaded browser) and check pages with axe-core, installed from package-lock.json.
CHROMIUM := /usr/bin/chromium

# Debian packages the tests use: Chromium (browser tests), poppler-utils (pdftoppm,
# pdfsig) and zbar-tools (zbarimg) to read certificates back, redis-server (a private
# broker for the Celery worker tests; the tests fail without it).
SYSTEM_TOOLS := $(CHROMIUM):chromium /usr/bin/pdftoppm:poppler-utils \
	/usr/bin/pdfsig:poppler-utils /usr/bin/zbarimg:zbar-tools \
	/usr/bin/redis-server:redis-server

browser-deps: node_modules/.package-lock.json
	@missing=""; for pair in $(SYSTEM_TOOLS); do \
		[ -x "$${pair%%:*}" ] || missing="$$missing $${pair##*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing Debian packages the tests need:$$missing"; \
			DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing \
				|| { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; } \
				|| exit 1; \
		else \
			echo "The tests need these Debian packages:$$missing. Install them with"; \
			echo "    sudo apt-get install$$missing"; \
			exit 1; \
		fi; \
	fi

node_modules/.package-lock.json: package-lock.json package.json
	npm ci --no-audit --no-fund
	touch $@

pytest: $(VENV)/.dev-installed translations browser-deps
	$(BIN)/pytest --cov --cov-branch --cov-report=term $(PYTEST_ARGS)

test: lint typecheck pytest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov
	find training/translations -name '*.mo' -delete
