# District Portal: `make run` serves the demo on http://127.0.0.1:5000, `make test` runs the suite.
PYTHON ?= python3
PYTEST_ARGS ?= -q -n 2
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PORTAL_ENV ?= development

.PHONY: run test install translations lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d district_portal/translations >/dev/null

instance/.demo-loaded: | install
	mkdir -p instance
	$(BIN)/flask --app app portal db-upgrade
	$(BIN)/flask --app app portal demo
	touch $@

run: install instance/.demo-loaded
	$(BIN)/flask --app app portal db-upgrade
	@echo "District Portal on http://127.0.0.1:5000 (Ctrl+C to stop)"
	$(BIN)/waitress-serve --host=127.0.0.1 --port=5000 --threads=8 app:app

test: install
	PORTAL_ENV=test $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

bench: install
	$(BIN)/python -m bench.pages
	$(BIN)/python -m bench.receipt
	$(BIN)/python -m bench.submissions

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
