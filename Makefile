# Reflex — entry points. `make demo` and `make test` each install what is missing, then build.
#
#   make demo       train CartPole, serve it as a virtual robot on a pseudo-terminal, run the policy over it
#   make test       protocol C tests + every Swift test (release build: training tests need optimization)
#   make bench      benchmark rows (release build) and a longer fuzz run of the firmware's decoder and handler
#   make firmware   the ATmega328P firmware image with a size report
#   make deps       only install the Debian and Python packages

SWIFT       ?= swift
CONFIG      ?= release
SUDO        := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
DEB_PACKAGES := pkg-config libserialport-dev libopenblas-dev libopencv-dev gcc-avr avr-libc libsimavr-dev libelf-dev rt-tests
PY_MODULES  := safetensors numpy
REFLEX      := .build/$(CONFIG)/reflex

.PHONY: all deps build demo test test-protocol test-swift bench bench-peers clean

include firmware-bridge/firmware.mk

all: build

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "==> installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@python3 -c "import safetensors, numpy" 2>/dev/null || { \
	  echo "==> installing Python packages: $(PY_MODULES)"; \
	  python3 -m pip install -q $(PY_MODULES) || python3 -m pip install -q --break-system-packages $(PY_MODULES); }

build: deps
	$(SWIFT) build -c $(CONFIG) --product reflex

demo: build
	REFLEX=$(REFLEX) scripts/demo.sh

test-protocol:
	firmware-bridge/protocol/tests/run.sh

test-swift:
	$(SWIFT) test -c $(CONFIG) --disable-swift-testing

test: deps test-protocol test-firmware test-firmware-sim test-swift

bench: build bench-fuzz
	$(REFLEX) bench

# Not in CI: Stable-Baselines3 (rl-zoo settings) on the same tasks in the same run, ratios Reflex/SB3.
# Builds a Python virtual environment under .build-peers/ with gymnasium, stable-baselines3 and torch from PyPI.
PEERS_VENV ?= .build-peers/venv
bench-peers: build
	@test -x $(PEERS_VENV)/bin/python || { python3 -m venv $(PEERS_VENV) && \
	  $(PEERS_VENV)/bin/pip install -q gymnasium stable-baselines3 torch; }
	$(PEERS_VENV)/bin/python scripts/bench_peers.py --reflex $(REFLEX)

clean:
	rm -rf .build runs
