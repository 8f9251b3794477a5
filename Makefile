# The two set-up commands of the README: `make run` and `make test`.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PYTHON := $(BIN)/python
PORT ?= 8000
PYTEST_ARGS ?= -n auto
# The language of the demo content (milestones, departments, defects, runbook steps, courses…): the first
# users are Chinese banks, so `make run` seeds it in Chinese; `make run DEMO_LANGUAGE=en` for English.
DEMO_LANGUAGE ?= zh-hans
export DJANGO_SETTINGS_MODULE := config.settings

.PHONY: run test venv install migrate messages check-messages lint serve e2e bench clean security api-fuzz

$(BIN)/activate:
	@$(PY) -c "import sys; assert sys.version_info[:2] == (3, 11), sys.version" || { echo "Python 3.11 is required"; exit 1; }
	$(PY) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/activate requirements.txt requirements-dev.txt
	$(PYTHON) -m pip install --quiet -r requirements-dev.txt
	touch $@

venv install: $(VENV)/.installed

# Translations: locale/zh_Hans/parts/*.po are edited; `make messages` regenerates the committed
# django.po and django.mo (committed, so `make run` needs no gettext on a fresh machine).
messages: $(VENV)/.installed
	$(PYTHON) scripts/i18n.py build

check-messages: $(VENV)/.installed
	$(PYTHON) scripts/i18n.py check

run: $(VENV)/.installed
	@DEBUG=$${DEBUG:-1} $(PYTHON) manage.py migrate --noinput -v0
	@DEBUG=$${DEBUG:-1} $(PYTHON) manage.py seed_demo --if-empty --allow-without-debug --language $(DEMO_LANGUAGE)
	@DEBUG=$${DEBUG:-1} $(PYTHON) manage.py setup_schedules
	@DEBUG=$${DEBUG:-1} PORT=$(PORT) $(PYTHON) scripts/run.py

test: $(VENV)/.installed
	DEBUG=1 $(PYTHON) manage.py makemigrations --check --dry-run
	$(BIN)/ruff check .
	DEBUG=1 $(PYTHON) scripts/i18n.py check
	DEBUG=1 $(BIN)/pytest -q $(PYTEST_ARGS)
	$(MAKE) --no-print-directory security
	$(PYTHON) scripts/api_fuzz.py

# Security checks (README "Security"): bandit (medium/high fail; reviewed lines carry `# nosec`),
# Django's deployment check with production-like settings, and the dependency audit (which says
# plainly when the advisory database cannot be reached).
security: $(VENV)/.installed
	$(BIN)/bandit -c pyproject.toml -r . -ll -q
	DEBUG=0 SECRET_KEY=$$($(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))") \
	  ALLOWED_HOSTS=liftoff.bank.example LOCMEM_CACHE=1 $(PYTHON) manage.py check --deploy --fail-level WARNING
	$(PYTHON) scripts/dep_audit.py

# Schemathesis against a live server with demo data and tokens for two roles (scripts/api_fuzz.py).
api-fuzz: $(VENV)/.installed
	$(PYTHON) scripts/api_fuzz.py

e2e: $(VENV)/.installed
	DEBUG=1 $(BIN)/pytest tests/e2e -m e2e

bench: $(VENV)/.installed
	DEBUG=1 $(PYTHON) scripts/bench.py

clean:
	rm -rf $(VENV) staticfiles db.sqlite3*
