# music_platform: `make run` starts the platform, `make test` runs the whole test suite.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PYTHON ?= python3
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | md5sum | cut -c1-12)
# Development defaults for `make run`; production reads the real environment instead.
# gunicorn listens on 127.0.0.1 only, unless GUNICORN_BIND_HOST says otherwise.
RUN_ENV := PATH="$(CURDIR)/$(VENV)/bin:$$PATH" DEBUG=$${DEBUG:-1} PORT=$${PORT:-8000} \
	GUNICORN_WORKERS=$${GUNICORN_WORKERS:-2} GUNICORN_BIND_HOST=$${GUNICORN_BIND_HOST:-127.0.0.1}

.PHONY: run test test-fast lint format venv migrate demo bench-charts clean checks postman

$(STAMP):
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

venv: $(STAMP)

migrate: venv
	$(RUN_ENV) $(PY) manage.py ensure_database
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py setup_schedules

demo: migrate
	$(RUN_ENV) $(PY) manage.py load_demo

run: demo
	$(RUN_ENV) $(VENV)/bin/honcho start -f Procfile

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Static checks: migrations in step with the models (against the test settings' database
# server, so a machine without the development database gets no warning), the layer order of
# DESIGN.md §1 (import-linter) and types of services and selectors (mypy).
checks: lint
	DJANGO_SETTINGS_MODULE=music_platform.settings_test DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} \
		$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

# The whole suite (what CI runs), slow tests and the schema fuzzing included.
test: checks
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Everything but the `slow` tests, on every core.
test-fast: venv
	$(VENV)/bin/pytest -n auto -m "not slow" $(PYTEST_ARGS)

# The API as a Postman collection (v2.1.0) built from the OpenAPI schema: import
# postman_collection.json in Postman (File > Import); see README "API".
postman: venv
	$(RUN_ENV) $(PY) manage.py export_postman --output postman_collection.json

clean:
	rm -rf $(VENV) staticfiles media .pytest_cache .ruff_cache .hypothesis
