# The two commands of the README: `make sample` renders a sample, `make test` runs the
# tests. Both install what a fresh Debian machine lacks first (scripts/setup.sh).
SWIFT ?= swift
PYTHON ?= python3
BIN := .build/debug/gradviz

.PHONY: setup build sample samples test browser-test python-test screenshots bench

setup:
	@scripts/setup.sh

build: setup
	$(SWIFT) build --product gradviz

sample: build
	@mkdir -p out
	$(BIN) samples/neuron.json -o out/neuron.svg
	@echo "wrote out/neuron.svg"

# Every sample and check report drawn into docs/images (what the README shows).
samples: build
	docs/images/render.sh $(BIN)

test: setup
	$(SWIFT) test --disable-swift-testing
	$(MAKE) --no-print-directory browser-test
	$(MAKE) --no-print-directory python-test

# The explorer (graph.html) in headless Chromium and Firefox: Tests/browser (pytest).
browser-test: build
	@scripts/setup.sh --browser-tests
	python3 -m pytest -q Tests/browser

# The explorer's screenshots in README, taken by the browser tests.
screenshots: build
	GRADVIZ_SCREENSHOTS=docs/images python3 -m pytest -q Tests/browser/test_screenshots.py

# gradviz_torch (python/): real PyTorch models against eager autograd, the notebook run.
python-test: build
	@scripts/setup.sh --python-tests
	GRADVIZ=$(CURDIR)/$(BIN) PYTHONPATH=python $(PYTHON) -m pytest -q python/tests

bench: setup
	$(SWIFT) run -c release gradviz-bench
