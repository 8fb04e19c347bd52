# `make run` and `make test` each set up everything from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test migrate seed schema lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/campaign-api migrate
	$(BIN)/campaign-api seed --demo
	$(BIN)/campaign-api serve

test: $(STAMP)
	scripts/test

migrate: $(STAMP)
	$(BIN)/campaign-api migrate

seed: $(STAMP)
	$(BIN)/campaign-api seed --demo

schema: $(STAMP)
	$(BIN)/campaign-api export-schema

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) campaign_api.sqlite3* .pytest_cache
