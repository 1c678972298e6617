# District Portal: `make run` serves the demo on http://127.0.0.1:5000, `make test` runs the suite.
PYTHON ?= python3
PYTEST_ARGS ?= -q -n 2
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PORTAL_ENV ?= development

.PHONY: run test install translations lint lock collect-check bench clean check-run check-test

# Exactly what CI tested: every package pinned with its hashes in requirements.lock (app,
# test and browser extras), then the project itself without resolving anything again.
$(STAMP): requirements.lock pyproject.toml
	@PYTHON=$(PYTHON) scripts/check-system install
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d district_portal/translations >/dev/null

# Loaded again (idempotent) when the demo catalogue or the demo accounts change.
instance/.demo-loaded: district_portal/data/demo-phu-tho.json \
		district_portal/services/accounts/users.py | install
	mkdir -p instance
	$(BIN)/flask --app app portal db-upgrade
	$(BIN)/flask --app app portal demo
	touch $@

# The operating-system packages (WeasyPrint's Pango and fonts, ICU, poppler, Chromium):
# installed by scripts/check-system when run as root on Debian/Ubuntu, otherwise make stops
# at once with the apt-get command to run.
check-run:
	@PYTHON=$(PYTHON) scripts/check-system run

check-test:
	@PYTHON=$(PYTHON) scripts/check-system test

run: check-run install instance/.demo-loaded
	$(BIN)/flask --app app portal db-upgrade
	@echo "District Portal on http://127.0.0.1:5000 (Ctrl+C to stop)"
	$(BIN)/waitress-serve --host=127.0.0.1 --port=5000 --threads=8 app:app

test: check-test install
	PORTAL_ENV=test $(BIN)/python -m pytest $(PYTEST_ARGS)

# bandit reads each word after `# nosec Bxxx` as a test name and warns about the reasons we
# write there: those warnings are filtered, its findings and exit status are kept.
lint: $(STAMP)
	$(BIN)/ruff check .
	@bash -o pipefail -c '$(BIN)/bandit -c pyproject.toml -q -r district_portal app.py migrations \
		2>&1 | { grep -v -e "Test in comment" -e "nosec encountered" || true; }'

# After changing the dependencies in pyproject.toml: re-resolve and re-hash the lock file.
lock: $(STAMP)
	$(BIN)/pip install --quiet -e ".[dev]"
	$(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
		--no-emit-find-links --no-emit-index-url --extra test --extra browser \
		-o requirements.lock pyproject.toml

# Plain `pytest` must collect exactly the tests `make test` runs.
collect-check: install
	@plain=$$(PORTAL_ENV=test $(BIN)/pytest --collect-only -q | tail -1); \
	made=$$(PORTAL_ENV=test $(BIN)/python -m pytest --collect-only -q | tail -1); \
	echo "pytest: $$plain / python -m pytest: $$made"; \
	case "$$plain" in *error*|*warning*|"") exit 1;; esac; \
	test "$${plain%% in *}" = "$${made%% in *}"

bench: install
	$(BIN)/python -m bench.pages
	$(BIN)/python -m bench.receipt
	$(BIN)/python -m bench.submissions

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
