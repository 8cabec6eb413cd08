# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test install translations

$(BIN)/flask: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(BIN)/flask

web/translations/en/LC_MESSAGES/messages.mo: web/translations/en/LC_MESSAGES/messages.po $(BIN)/flask
	$(BIN)/pybabel compile --use-fuzzy -d web/translations

## After changing texts in web/: collect them, then translate the new entries in messages.po.
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k lazy_gettext -o web/translations/messages.pot --no-location .
	$(BIN)/pybabel update --ignore-obsolete -i web/translations/messages.pot -d web/translations
	$(BIN)/pybabel compile -d web/translations

install: $(BIN)/flask web/translations/en/LC_MESSAGES/messages.mo

## Set up the embedded database (SQLite under instance/), load the demo city, serve on :5000.
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask seed demo
	$(BIN)/flask run --port 5000

## The test suite; on PostgreSQL when TEST_DATABASE_URL is set.
test: install
	$(BIN)/python -m pytest
