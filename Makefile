# Tern — two set-up commands on a fresh Debian machine:
#   make run    install missing Debian packages, build (release), serve Config/tern.yaml on 127.0.0.1:8080
#   make test   install missing Debian packages, build, run the whole test suite
SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= Config/tern.yaml
# Release builds compile Swift's dynamic exclusivity checks out of every module, SwiftNIO included:
# they were ~18% of a proxied request's instructions (Docs/architecture.md, "Build flags").
# Debug builds and the tests keep them.
RELEASE_FLAGS ?= -Xswiftc -enforce-exclusivity=unchecked

# C libraries Tern links (or will link) through system-library targets, and tools the tests use.
DEB_PACKAGES := pkg-config liblmdb-dev libbrotli-dev zlib1g-dev libmodsecurity-dev modsecurity-crs curl brotli chromium python3-pip
# Reference servers and load generators for Bench/ (installed by `make bench` only).
BENCH_PACKAGES := nginx-light wrk util-linux procps

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

define install_missing
	@missing=""; for p in $(1); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

.PHONY: deps bench-deps build build-debug run test bench bench-cache bench-coalesce bench-waf clean

deps:
	$(call install_missing,$(DEB_PACKAGES))
	@python3 -c "import prometheus_client" 2>/dev/null || python3 -m pip install --quiet prometheus-client >/dev/null 2>&1 || echo "note: prometheus-client (PyPI) unavailable; the /metrics parser test will say so"

bench-deps: deps
	$(call install_missing,$(BENCH_PACKAGES))

build: deps
	$(SWIFT) build -c release --product tern $(RELEASE_FLAGS)

build-debug: deps
	$(SWIFT) build

run: build
	.build/release/tern serve --config $(CONFIG)

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: bench-deps build
	Bench/proxy-vs-nginx.sh

bench-cache: bench-deps build
	Bench/cache-vs-nginx.sh

bench-coalesce: bench-deps build
	Bench/coalesce-vs-nginx.sh

bench-waf: bench-deps build
	Bench/waf-vs-nginx.sh

clean:
	rm -rf .build
