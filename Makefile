# The two commands of the README: `make sample` renders a sample, `make test` runs the
# tests. Both install what a fresh Debian machine lacks first (scripts/setup.sh).
SWIFT ?= swift
BIN := .build/debug/gradviz

.PHONY: setup build sample samples test bench

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

bench: setup
	$(SWIFT) run -c release gradviz-bench
