# gokeepalived — see README.md. All targets work on a fresh Debian 12 machine
# once .ci/setup has installed the packages (make deps does it).

GO       ?= go
BIN      := bin/gokeepalived
PKGS     := ./...
FUZZTIME ?= 60s
VERSION  ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)

export GOFLAGS := -mod=mod

.PHONY: all build test lint fuzz bench run deps clean vm-image vm-selftest vmtest

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/gokeepalived

deps:
	bash .ci/setup

# Unit tests, race detector, and the root/netns integration suites
# (differential config-test against Debian's keepalived 2.2.7).
test: lint
	GOKEEPALIVED_REQUIRE_ORACLE=1 $(GO) test -race -count=1 $(PKGS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

# Every fuzz target for FUZZTIME each.
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$t"; \
	    $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)
	bash scripts/bench/config-test.sh
	bash scripts/bench/failover.sh

# The main job for now: check and dump testdata/keepalived.conf as
# keepalived -t would, inside a namespace that has the interfaces it names.
run: build
	bash scripts/run-config-check.sh $(BIN) testdata/keepalived.conf

# Real-kernel IPVS through the qemu rig (scripts/vm/README.md). Needs
# qemu-system-x86, linux-image-amd64, busybox-static, ipvsadm.
VMTEST_PKGS ?= ./ipvs/...
VMTEST_RUN  ?= .

vm-image:
	scripts/vm/run --build-only

vm-selftest:
	scripts/vm/selftest

vmtest:
	scripts/vm/gotest $(VMTEST_PKGS) -- -count=1 -run '$(VMTEST_RUN)' -v

clean:
	rm -rf bin
