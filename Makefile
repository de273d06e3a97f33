VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
# The demo runs with DEBUG on: seed_demo makes the demo accounts only then. ChefShop's own default is off.
DEBUG ?= true

.PHONY: run test install services chromium db bench soak lint

$(VENV)/.installed: requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

db: install
	@scripts/services.sh
	$(PY) scripts/createdb.py
	$(PY) manage.py migrate --noinput
	DEBUG=$(DEBUG) $(PY) manage.py seed_demo
	$(PY) manage.py setup_schedules

WEB_PORT ?= 8000
WEB_PROCESSES ?= 2
RUN_DIR ?= $(CURDIR)/var
# The demo shop takes test cards: localstripe (a local Stripe stand-in) runs beside it. PAYMENTS=off runs
# without card payments (pay on delivery) and without localstripe.
PAYMENTS ?= on
LOCALSTRIPE_PORT ?= 8420
LOCALSTRIPE := http://127.0.0.1:$(LOCALSTRIPE_PORT)

run: install
	@scripts/services.sh || exit 1
	@$(MAKE) --no-print-directory db
	@mkdir -p $(RUN_DIR)
	DEBUG=$(DEBUG) WEB_PORT=$(WEB_PORT) WEB_PROCESSES=$(WEB_PROCESSES) RUN_DIR=$(RUN_DIR) PAYMENTS=$(PAYMENTS) \
	  LOCALSTRIPE_PORT=$(LOCALSTRIPE_PORT) LOCALSTRIPE_AUTOSTART=$(if $(filter on,$(PAYMENTS)),true,false) \
	  STRIPE_API_BASE=$${STRIPE_API_BASE-$(LOCALSTRIPE)} STRIPE_JS_URL=$${STRIPE_JS_URL-$(LOCALSTRIPE)/js.stripe.com/v3/} \
	  STRIPE_REGISTER_WEBHOOK=$${STRIPE_REGISTER_WEBHOOK-http://127.0.0.1:$(WEB_PORT)/payments/webhook/} \
	  exec $(VENV)/bin/supervisord -n -c supervisord.conf

chromium:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

services:
	@scripts/services.sh --start

test: lint chromium services
	$(PY) -m pytest $(PYTEST_ARGS)

# The plan, checked by machine: style and bug risks, formatting, layers (pyproject.toml's import-linter
# contracts) and types. `make test` runs it first, so a crossed layer or a type error fails CI.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

# Not part of `make test`: these take minutes, and soak restarts the machine's PostgreSQL and Redis.
bench: install services
	$(VENV)/bin/pip install --quiet -r bench/requirements.txt
	$(PY) bench/run.py

soak: install chromium services
	$(PY) soak/run.py
