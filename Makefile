# The two commands of the README: `make sample` renders a sample, `make test` runs the
# tests. Both install what a fresh Debian machine lacks first (scripts/setup.sh).
SWIFT ?= swift
PYTHON ?= python3
BIN := .build/debug/gradviz

.PHONY: setup build sample samples test browser-test python-test install-test screenshots bench release install uninstall

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
	$(MAKE) --no-print-directory install-test

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

# `make install [PREFIX=/usr/local] [DESTDIR=]`: a gradviz that runs outside this checkout
# and without the Swift toolchain (the Swift runtime and Foundation are linked in with
# --static-swift-stdlib; Graphviz and OpenBLAS stay the system's shared libraries), its man
# page generated from its own --help (ArgumentParser's generate-manual), and completions
# for bash, zsh and fish (ArgumentParser's --generate-completion-script).
PREFIX ?= /usr/local
RELEASE := .build/release
MANDATE := $(shell git log -1 --format=%cs 2>/dev/null || date +%F)
INSTALLED := bin/gradviz share/man/man1/gradviz.1 share/bash-completion/completions/gradviz \
	share/zsh/site-functions/_gradviz share/fish/vendor_completions.d/gradviz.fish

release: setup
	$(SWIFT) build -c release --static-swift-stdlib --product gradviz
	$(SWIFT) build --product generate-manual
	@rm -rf .build/install && mkdir -p .build/install
	.build/debug/generate-manual $(RELEASE)/gradviz --date $(MANDATE) -o .build/install
	$(RELEASE)/gradviz --generate-completion-script bash > .build/install/gradviz.bash
	$(RELEASE)/gradviz --generate-completion-script zsh > .build/install/_gradviz
	$(RELEASE)/gradviz --generate-completion-script fish > .build/install/gradviz.fish

install: release
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 755 -s $(RELEASE)/gradviz $(DESTDIR)$(PREFIX)/bin/gradviz
	install -m 644 .build/install/gradviz.1 $(DESTDIR)$(PREFIX)/share/man/man1/gradviz.1
	install -m 644 .build/install/gradviz.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/gradviz
	install -m 644 .build/install/_gradviz $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_gradviz
	install -m 644 .build/install/gradviz.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/gradviz.fish

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/,$(INSTALLED))

# Installs into a temporary prefix and runs the installed gradviz with a clean environment
# (env -i), from outside the checkout; then uninstalls. The release build takes minutes the
# first time (6 min on this 2-core machine, shared); later runs reuse it (the man page tool
# is a debug build, so the two never rebuild each other's modules).
install-test: setup
	@scripts/setup.sh --install-test
	@scripts/install-test.sh
