# riskreg — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
# make serve: gunicorn worker processes × threads each; every thread holds one database connection.
WORKERS ?= 4
THREADS ?= 4
BIND    ?= 127.0.0.1:$(PORT)
SITES  ?= 50000
PIP    := $(BIN)/pip install -q --disable-pip-version-check --build-constraint build-constraints.txt

.PHONY: install install-dev run test lint format serve bench bench-map loadtest backup restore clean

# A current pip is needed for --build-constraint (see build-constraints.txt).
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check pip==26.3

# Stamp files re-run pip only when the requirement files change.
$(VENV)/.installed: requirements.txt build-constraints.txt | $(BIN)/python
	$(PIP) -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(PIP) -r requirements-dev.txt
	touch $@

# Country outlines for the map (npm packages, see package.json). Optional: without npm the
# map simply has no offline base layer.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --no-audit --no-fund --ignore-scripts --loglevel=error && touch $@; \
	else echo "npm not found: the site map will have no offline country outlines"; fi

install: $(VENV)/.installed node_modules/.installed
install-dev: $(VENV)/.installed-dev node_modules/.installed

run: install  ## install, migrate, load the seeds, ensure an admin account, serve on 127.0.0.1:$(PORT)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_seeds
	$(BIN)/python manage.py ensure_admin
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install-dev  ## the whole suite; browser tests skip when no Chromium is installed (CI requires them)
	$(BIN)/pytest

bench-map: install-dev  ## the site map at $(SITES) sites in Chromium, against per-marker folium
	$(BIN)/python tests/benchmarks/bench_map.py --sites $(SITES)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

serve: install  ## production: gunicorn against DATABASE_URL (set DJANGO_DEBUG=0, DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS)
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/gunicorn riskreg.wsgi --bind $(BIND) --workers $(WORKERS) --worker-class gthread --threads $(THREADS) \
		--timeout 120 --graceful-timeout 30 --access-logfile - --forwarded-allow-ips '127.0.0.1'

backup: install  ## write the whole register (history, users, groups) to backups/riskreg-<UTC time>.json.gz
	$(BIN)/python manage.py backup_register backups/riskreg-$$(date -u +%Y%m%dT%H%M%SZ).json.gz

restore: install  ## replace the database's contents with a backup: make restore FILE=backups/....json.gz
	@test -n "$(FILE)" || { echo "usage: make restore FILE=backups/riskreg-....json.gz"; exit 2; }
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py restore_register --replace "$(FILE)"

loadtest: install-dev  ## users × seconds against gunicorn + PostgreSQL, a database restart, dropped exports (tests/loadtest/)
	$(BIN)/python tests/loadtest/loadtest.py

bench: install-dev  ## export and list-page figures at 1M concerns (the register is cached in bench-results/)
	@command -v sqlite3 >/dev/null || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q sqlite3)
	$(BIN)/python tests/benchmarks/bench_export.py

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache
