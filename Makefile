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

.PHONY: deps bench-deps build build-debug run test bench bench-cache bench-coalesce bench-waf fuzz-build fuzz-smoke fuzz clean

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
	$(MAKE) fuzz-smoke

bench: bench-deps build
	Bench/proxy-vs-nginx.sh

bench-cache: bench-deps build
	Bench/cache-vs-nginx.sh

bench-coalesce: bench-deps build
	Bench/coalesce-vs-nginx.sh

bench-waf: bench-deps build
	Bench/waf-vs-nginx.sh

# libFuzzer targets (Fuzz/, a package of its own; Docs/fuzzing.md). Linux only: the toolchain there
# ships libFuzzer. `fuzz-smoke` (part of `make test`) runs each target briefly over its seed corpus;
# `make fuzz` runs each for FUZZ_SECONDS, or only FUZZ_TARGET. Crashes are written to Fuzz/Artifacts/.
FUZZ_TARGETS := FuzzRequest FuzzConfig FuzzCachePolicy
FUZZ_TARGET ?=
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_RUNS ?= 20000
FUZZ_SMOKE_SECONDS ?= 10
# debug: a clean build in about a minute and a half, assertions on (what `make test` uses);
# release: ~2x longer to build, 2–4x more runs a second (for long `make fuzz` runs).
FUZZ_CONFIG ?= debug
FUZZ_BUILD_FLAGS := -c $(FUZZ_CONFIG) -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
FUZZ_BIN := Fuzz/.build/$(FUZZ_CONFIG)
# -timeout: an input that takes this long (seconds) is a failure, reported like a crash.
FUZZ_OPTIONS := -timeout=10 -print_final_stats=1
# Swift's own crash backtracer reads the crashed thread's stack, which AddressSanitizer reports as
# a bad read (and it can hang there); libFuzzer and ASan print the stack instead.
FUZZ_ENV := SWIFT_BACKTRACE=enable=no

fuzz-build:
ifeq ($(shell uname),Linux)
	@# Same dependency versions as the main build.
	@if [ -f Package.resolved ] && ! cmp -s Package.resolved Fuzz/Package.resolved; then cp Package.resolved Fuzz/Package.resolved; fi
	cd Fuzz && $(SWIFT) build $(FUZZ_BUILD_FLAGS)
else
	@echo "fuzz-build: libFuzzer targets build on Linux only; skipped"
endif

# Each target over a throw-away copy of its corpus (the checked-in seeds are only read), failing on
# the first crash, leak, timeout or broken invariant.
fuzz-smoke: fuzz-build
ifeq ($(shell uname),Linux)
	@for target in $(FUZZ_TARGETS); do \
		work=$$(mktemp -d); mkdir -p Fuzz/Artifacts/$$target; \
		log=Fuzz/Artifacts/$$target/smoke.log; \
		if $(FUZZ_ENV) $(FUZZ_BIN)/$$target $$work Fuzz/Corpus/$$target $(FUZZ_OPTIONS) -runs=$(FUZZ_SMOKE_RUNS) \
			-max_total_time=$(FUZZ_SMOKE_SECONDS) -artifact_prefix=Fuzz/Artifacts/$$target/ >$$log 2>&1; then \
			echo "fuzz-smoke $$target: ok, $$(grep -m1 -o 'Done [0-9]* runs in [0-9]* second(s)' $$log)"; \
			rm -rf $$work; \
		else \
			tail -40 $$log; rm -rf $$work; \
			echo "fuzz-smoke $$target: FAILED (log: $$log; reproducer in Fuzz/Artifacts/$$target/, see Docs/fuzzing.md)"; \
			exit 1; \
		fi; \
	done
endif

# Long runs keep what they learn in Fuzz/Work/<target>/ (git-ignored), so the next run starts there.
fuzz: fuzz-build
ifeq ($(shell uname),Linux)
	@for target in $(or $(FUZZ_TARGET),$(FUZZ_TARGETS)); do \
		mkdir -p Fuzz/Work/$$target Fuzz/Artifacts/$$target; \
		echo "fuzz $$target for $(FUZZ_SECONDS)s"; \
		$(FUZZ_ENV) $(FUZZ_BIN)/$$target Fuzz/Work/$$target Fuzz/Corpus/$$target $(FUZZ_OPTIONS) \
			-max_total_time=$(FUZZ_SECONDS) -artifact_prefix=Fuzz/Artifacts/$$target/ || exit 1; \
	done
endif

clean:
	rm -rf .build
