# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install test docs demo bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test,continuum,fast]"
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --durations=10

# the documentation checks (README examples run, SPEC § references exist, imports follow the layers)
# and the API reference, rendered with the standard library's pydoc into build/api/index.html
docs: $(STAMP)
	$(BIN)/python -m pytest -q tests/test_docs.py tests/test_layers.py
	$(BIN)/python docs/api.py build/api

demo: $(STAMP)
	$(BIN)/ionscale demo

bench: $(STAMP)
	$(BIN)/pip install --quiet -e ".[test,bench]"
	$(BIN)/python benchmarks/transport.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache
