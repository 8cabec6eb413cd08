# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test install

$(BIN)/flask: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(BIN)/flask

install: $(BIN)/flask

## Set up the embedded database (SQLite under instance/), load the demo city, serve on :5000.
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask seed demo
	$(BIN)/flask run --port 5000

## The test suite; on PostgreSQL when TEST_DATABASE_URL is set.
test: install
	$(BIN)/python -m pytest
