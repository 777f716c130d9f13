# Tandem: `make run` serves the demo programme, `make test` runs the whole suite.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
FLASK := $(VENV)/bin/flask
export FLASK_APP := wsgi.py

.PHONY: install install-test translations translations-update chromium run serve test bench lint clean

$(PY):
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: $(PY) setup.cfg pyproject.toml
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install --quiet -e '.[test]'
	touch $@

$(VENV)/.installed-bench: $(VENV)/.installed-test
	$(PIP) install --quiet -e '.[test,bench]'
	touch $@

install: $(VENV)/.installed translations

install-test: $(VENV)/.installed-test translations chromium

translations: $(VENV)/.installed
	$(VENV)/bin/pybabel compile -d app/translations

# Browser tests drive Debian's Chromium; as root we install it where it is missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "Chromium is missing: run 'sudo apt-get install chromium'" >&2; exit 1; fi; }

run: install
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) demo load --if-empty
	$(FLASK) devserver

# Production-like, locally: gunicorn and the scheduler, on the PostgreSQL of 127.0.0.1. No demo: an empty
# database starts empty (create the first administrator with `flask admin create EMAIL`).
serve: export DATABASE_URL ?= postgresql+psycopg://root@127.0.0.1:5432/tandem
serve: install
	$(FLASK) database create
	$(FLASK) db upgrade
	$(FLASK) prodserver

test: install-test
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -n auto --dist worksteal

# load.py and sqlite_writers.py serve through gunicorn; load.py needs the PostgreSQL of 127.0.0.1.
bench: install-test $(VENV)/.installed-bench
	$(PY) bench/matching.py
	$(PY) bench/booking.py
	$(PY) bench/company_import.py
	$(PY) bench/dashboard.py
	$(PY) bench/load.py
	$(PY) bench/sqlite_writers.py

lint: install-test
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) instance tests/artifacts

# After changing user-facing strings: extract them, merge into both catalogues, then translate the German ones.
translations-update: $(VENV)/.installed
	# Babel skips folders whose names begin with an underscore: the macros are named as files.
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o app/translations/messages.pot . templates/_macros/*.html
	$(VENV)/bin/pybabel update -i app/translations/messages.pot -d app/translations --width 100
