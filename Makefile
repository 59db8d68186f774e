# tagscape: the two commands are `make demo` and `make test`; everything else is a step of theirs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo-collection
PORT ?= 5000

.PHONY: demo test install weights clean bench

demo: install
	$(BIN)/tagscape demo $(DEMO_DIR) --port $(PORT)

test: install
	$(BIN)/python -m pytest -q

install: $(STAMP)

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

clean:
	rm -rf $(VENV) build dist src/*.egg-info
