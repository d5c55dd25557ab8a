# The two commands a new user needs: `make run` and `make test`.
# Everything is installed from the lock files in requirements/ into .venv.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint typecheck pytest browser-deps system-deps system-test translations \
	translations-update clean

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
# pdfsig) and zbar-tools (zbarimg) to read certificates back; redis-server, which the
# tests start privately (the `redis_url` fixture, tests/conftest.py); haproxy and
# systemd-analyze, which check the files in deploy/ (tests/test_deploy.py); PostgreSQL's
# server binaries, for the cluster tests/test_postgres_restart.py starts and restarts
# (Debian 12's PostgreSQL 15; a machine with another version already has its initdb).
SYSTEM_TOOLS := $(CHROMIUM):chromium /usr/bin/pdftoppm:poppler-utils \
	/usr/bin/redis-server:redis-server /usr/sbin/haproxy:haproxy \
	/usr/bin/systemd-analyze:systemd \
	$(firstword $(wildcard /usr/lib/postgresql/*/bin/initdb) /usr/lib/postgresql/15/bin/initdb):postgresql \
	/usr/bin/pdfsig:poppler-utils /usr/bin/zbarimg:zbar-tools

# And those the system tests (tests/system_deploy) start or call: HAProxy as the load
# balancer, a private redis-server, and PostgreSQL's pg_dump and pg_restore.
SYSTEM_TEST_TOOLS := /usr/sbin/haproxy:haproxy /usr/bin/redis-server:redis-server \
	/usr/bin/pg_dump:postgresql-client /usr/bin/pg_restore:postgresql-client

# $(call debian_packages,PROGRAM:PACKAGE ...): install the packages whose program is
# missing (as root; otherwise print the apt-get line and fail).
define debian_packages
	@missing=""; for pair in $(1); do \
		[ -x "$${pair%%:*}" ] || case " $$missing " in *" $${pair##*:} "*) ;; \
			*) missing="$$missing $${pair##*:}";; esac; \
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
endef

browser-deps: node_modules/.package-lock.json
	$(call debian_packages,$(SYSTEM_TOOLS))

system-deps:
	$(call debian_packages,$(SYSTEM_TEST_TOOLS))

node_modules/.package-lock.json: package-lock.json package.json
	npm ci --no-audit --no-fund
	touch $@

pytest: $(VENV)/.dev-installed translations browser-deps
	$(BIN)/pytest --cov --cov-branch --cov-report=term $(PYTEST_ARGS)

test: lint typecheck pytest

# The system tests: two gunicorn servers behind HAProxy, and a backup restored with
# pg_dump/pg_restore, against PostgreSQL (SYSTEM_TEST_POSTGRES, SYSTEM_TEST_DATABASES:
# see tests/system_deploy/harness.py). `make test` does not collect them.
system-test: $(VENV)/.dev-installed translations system-deps
	$(BIN)/pytest -p no:cacheprovider tests/system_deploy $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov
	find training/translations -name '*.mo' -delete
