# `make run` and `make test` each set up everything from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test migrate migration seed schema lint format bench clean

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

# A new migration from the difference between the models and a migrated database: make migration MESSAGE="..."
migration: $(STAMP)
	$(BIN)/python -c 'import sys; from alembic import command; from campaign_api.db.migrate import alembic_config; \
	from campaign_api.settings import Settings; \
	command.revision(alembic_config(Settings().database_url), message=sys.argv[1], autogenerate=True)' "$(MESSAGE)"

# The dashboard benchmark: permissions vs none, batched vs unbatched, side by side (bench/dashboard.py).
bench: $(STAMP)
	$(BIN)/python -m bench.dashboard
