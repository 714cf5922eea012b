# music_platform: `make run` starts the platform, `make test` runs the whole test suite.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PYTHON ?= python3
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | md5sum | cut -c1-12)
# Development defaults for `make run`; production reads the real environment instead.
RUN_ENV := PATH="$(CURDIR)/$(VENV)/bin:$$PATH" DEBUG=$${DEBUG:-1} PORT=$${PORT:-8000} \
	GUNICORN_WORKERS=$${GUNICORN_WORKERS:-2}

.PHONY: run test lint format venv migrate demo bench-charts clean

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

test: lint
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) staticfiles media .pytest_cache .ruff_cache .hypothesis
