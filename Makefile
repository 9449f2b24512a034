# Two commands do all the set-up on a fresh clone: `make demo` and `make test`.
# Each creates the virtual environment it needs from the lock file (uv.lock).
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
STAMP := $(VENV)/.synced

.PHONY: demo test lint bench-quick clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): $(UV) uv.lock pyproject.toml
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --quiet
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/digisom demo $(ARGS)

test: $(STAMP)
	./scripts/test.sh

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache
