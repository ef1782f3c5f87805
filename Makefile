# The two commands of the README: `make demo` (set up and run the site with demo data) and
# `make test` (every test, on SQLite and on a throwaway PostgreSQL). Both start from a fresh clone.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
comma := ,
empty :=
space := $(empty) $(empty)
# HOST, localhost and 127.0.0.1, each once ($(sort) drops duplicates).
DEMO_HOSTS := $(subst $(space),$(comma),$(sort $(HOST) localhost 127.0.0.1))
DEMO_ENV = DEBUG=0 SECRET_KEY="$$(cat var/secret_key)" SITE_URL=http://$(HOST):$(PORT) \
	ALLOWED_HOSTS=$(DEMO_HOSTS)

.PHONY: demo demo-code test lint install clean

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

install: $(BIN)/.installed

var/secret_key:
	mkdir -p var
	$(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@
	chmod 600 $@

demo: install var/secret_key
	$(DEMO_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEMO_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(DEMO_ENV) $(BIN)/python manage.py seed_demo
	$(DEMO_ENV) $(BIN)/python manage.py seed_demo --slug held-demo --held
	$(DEMO_ENV) $(BIN)/python manage.py demo_staff --i-know-this-is-local
	@echo
	@echo "  The site:        http://$(HOST):$(PORT)/"
	@echo "  Register:        http://$(HOST):$(PORT)/seminars/san-diego/register/"
	@echo "  Eligible:        DEMO00001 … DEMO00050 (two people per company)"
	@echo "  Refused:         DEMOAPPL1 (applicant), DEMOSUSP1 (suspended), DEMOREMV1 (removed), DEMOEXPD1 (expired)"
	@echo "  Admin:           http://$(HOST):$(PORT)/admin/ with the demo-admin account above"
	@echo "  Held seminar:    'held-demo' ended yesterday: its attendance report and certificates are in the admin"
	@echo "                   (Seminars → the held one → Attendance; the company page → certificates)"
	@echo "  Company page:    DEMO00001's own page (its seats at both seminars, certificates of the held one):"
	@$(DEMO_ENV) $(BIN)/python manage.py company_link DEMO00001 | sed -n '$$s/^/                   /p'
	@echo "                   ('manage.py company_link ACCOUNT' issues one for any company; links last 7 days)"
	@echo "  Two-factor code: scan the QR code above, or run 'make demo-code' for the current code"
	@echo "  E-mails are printed below (console backend). Stop with Ctrl-C."
	@echo
	$(DEMO_ENV) EMAIL_BACKEND=django.core.mail.backends.console.EmailBackend OUTBOX_DELIVER_ON_COMMIT=1 \
		$(BIN)/gunicorn ctpat.wsgi:application -c ctpat/gunicorn.conf.py --bind $(HOST):$(PORT) \
		--workers 2 --log-level warning

# The demo admin's current two-factor code, for a local demo without an authenticator app.
demo-code: install var/secret_key
	@$(DEMO_ENV) $(BIN)/python manage.py demo_staff --i-know-this-is-local --code

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	SECRET_KEY=lint DEBUG=0 $(BIN)/python manage.py makemigrations --check --dry-run

test: lint
	$(BIN)/python -m pytest
	$(BIN)/python -m pytest --postgres

clean:
	rm -rf $(VENV) var staticfiles db.sqlite3 db.sqlite3-wal db.sqlite3-shm
