# make demo / make test: each bootstraps .venv on a fresh machine (python3, make, git).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.rowport-installed

.PHONY: demo test lint typecheck unit bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,spacy,postgres,scale]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/rowport demo

lint: $(STAMP)
	$(BIN)/ruff check core plugins tests benchmarks
	$(BIN)/ruff format --check core plugins tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

# two workers, each test file whole on one of them (module fixtures start their servers once)
unit: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/streams.py
	$(BIN)/python benchmarks/export.py
	$(BIN)/python benchmarks/startup.py
	$(BIN)/python benchmarks/filters.py
	$(BIN)/python benchmarks/formats.py
	$(BIN)/python benchmarks/serve.py
	$(BIN)/python benchmarks/resume.py

clean:
	rm -rf $(VENV) .rowport .rowport-demo .pytest_cache .mypy_cache .ruff_cache
