# make demo / make test: each bootstraps .venv on a fresh machine (python3, make, git).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.rowport-installed

.PHONY: demo test lint typecheck unit bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,spacy,postgres]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/rowport demo

lint: $(STAMP)
	$(BIN)/ruff check core plugins tests benchmarks
	$(BIN)/ruff format --check core plugins tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -q

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
