# tagscape: the two commands are `make demo` and `make test`; everything else is a step of theirs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo-collection
PORT ?= 5000
# e.g. DEMO_FLAGS=--synthetic (no download) or DEMO_FLAGS=--full (whole tracks, 10 h of audio)
DEMO_FLAGS ?=

# The explorer's JavaScript: built from frontend/ with vite into the package (git-ignored, in the wheel).
DIST := src/tagscape/web/static/dist/explorer.js
FRONTEND_SOURCES := $(wildcard frontend/src/*) frontend/package.json frontend/package-lock.json frontend/vite.config.js frontend/vite.widget.config.js
CHROMIUM ?= /usr/bin/chromium

.PHONY: demo test test-js test-fast test-numeric install weights clean bench bench-web bench-load chromium frontend docs

demo: install
	$(BIN)/tagscape demo $(DEMO_DIR) --port $(PORT) $(DEMO_FLAGS)

test: install docs test-js
	$(BIN)/python -m pytest -q

# The explorer's own checks, first (a few seconds): ESLint, then node --test of its pure modules.
test-js: $(DIST)
	cd frontend && npm run lint && npm test

# The documentation site (docs/, mkdocs.yml) into build/site/, warnings as errors (a few seconds).
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# For development: everything but the browser and the Dask cluster (about a third of the time).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not browser and not cluster"

# The tests that compare arrays computed along different paths, under BLAS kernels of other CPUs
# (OpenBLAS picks its kernels, and so its order of summation, by CPU; this reproduces a user's).
CORETYPES ?= Haswell Sandybridge Zen
test-numeric: $(STAMP)
	@set -e; for core in $(CORETYPES); do \
	  echo "== OPENBLAS_CORETYPE=$$core"; \
	  OPENBLAS_CORETYPE=$$core $(BIN)/python -m pytest -q -p no:cacheprovider -m "numeric and not slow"; \
	done

install: $(STAMP) $(DIST) chromium

frontend: $(DIST)

$(DIST): $(FRONTEND_SOURCES)
	cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run build

# Headless Chromium for the browser tests (Debian's package; Playwright drives it, never downloads one).
chromium:
	@test -x $(CHROMIUM) || (apt-get update -qq && apt-get install -y -qq chromium)

$(STAMP): pyproject.toml Makefile
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	# The pretrained weights: only the checkpoint files of this wheel are read (no TensorFlow).
	$(BIN)/pip install -q --no-deps musicnn==0.1.0
	touch $(STAMP)

weights: install

bench: install
	$(BIN)/python bench/extract.py

bench-web: install
	$(BIN)/python bench/web.py

# 50 concurrent clients against tagscape serve --production on loopback, 60 s.
bench-load: install
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info src/tagscape/web/static/dist frontend/node_modules
