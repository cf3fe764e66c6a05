# gokeepalived — see README.md. All targets work on a fresh Debian 12 machine
# once .ci/setup has installed the packages (make deps does it).

GO       ?= go
BIN      := bin/gokeepalived
PKGS     := ./...
FUZZTIME ?= 60s
VERSION  ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)

export GOFLAGS := -mod=mod

.PHONY: all build test unit netns fuzz-smoke vm lint fuzz faults bench run deps clean install vm-image vm-selftest vmtest differential

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/gokeepalived

deps:
	bash .ci/setup

# Installs the binary, the systemd unit (pointing at PREFIX), the drop-in
# that runs gokeepalived under keepalived.service's name (not enabled),
# the daemontools run script and an example config.
PREFIX  ?= /usr
DESTDIR ?=
install: build
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/sbin/gokeepalived
	install -d $(DESTDIR)/lib/systemd/system
	sed 's|/usr/sbin/gokeepalived|$(PREFIX)/sbin/gokeepalived|' scripts/systemd/gokeepalived.service \
	  > $(DESTDIR)/lib/systemd/system/gokeepalived.service
	install -d $(DESTDIR)$(PREFIX)/share/gokeepalived/keepalived.service.d $(DESTDIR)$(PREFIX)/share/gokeepalived/daemontools
	sed 's|/usr/sbin/gokeepalived|$(PREFIX)/sbin/gokeepalived|' scripts/systemd/keepalived.service.d/gokeepalived.conf \
	  > $(DESTDIR)$(PREFIX)/share/gokeepalived/keepalived.service.d/gokeepalived.conf
	sed 's|/usr/sbin/gokeepalived|$(PREFIX)/sbin/gokeepalived|' scripts/daemontools/run \
	  > $(DESTDIR)$(PREFIX)/share/gokeepalived/daemontools/run
	chmod 0755 $(DESTDIR)$(PREFIX)/share/gokeepalived/daemontools/run
	install -D -m 0644 testdata/keepalived.conf $(DESTDIR)$(PREFIX)/share/gokeepalived/keepalived.conf.example
	install -D -m 0644 scripts/dbus/gokeepalived.conf $(DESTDIR)$(PREFIX)/share/dbus-1/system.d/gokeepalived.conf

# The Debian package gokeepalived_VERSION_amd64.deb in DEBDIR, made by
# dpkg-deb from a `make install` tree (scripts/deb, docs/install.md).
# make test runs scripts/deb's test: it builds, lintians, installs, runs
# and purges the package.
DEBDIR ?= bin
.PHONY: deb
deb: build
	scripts/deb/build $(BIN) $(VERSION) $(DEBDIR)

# The test tiers (docs/testing.md). make test runs lint, netns,
# fuzz-smoke and vm: every test once (netns's go test line holds every
# unit test too, under -race as root). Under GOKEEPALIVED_REQUIRE_ORACLE=1
# a test that cannot run fails instead of skipping.
#
# The VM tier runs beside netns-race: that stage's long part is tests
# waiting on real clocks (57 % of one core on average), and qemu's one
# vCPU takes at most one core. netns-race runs at nice 10 meanwhile: when
# both want the same core, the emulated CPU, whose fault bounds are tight,
# goes first (at equal priority row 4 overran its bound by 0.8 s once).
# The timed suites, the fault suite and the fuzz smoke come after, with
# the machine to themselves. The VM tier's output is printed when
# netns-race ends, in one piece.
test: lint
	@vmlog=$$(mktemp); \
	  ( GOKEEPALIVED_REQUIRE_ORACLE=1 $(MAKE) --no-print-directory vmtest >$$vmlog 2>&1; echo $$? >$$vmlog.rc ) & vmpid=$$!; \
	  rc=0; nice -n 10 $(MAKE) --no-print-directory netns-race || rc=$$?; \
	  wait $$vmpid; echo "== make vmtest (run beside netns-race)"; cat $$vmlog; \
	  vmrc=$$(cat $$vmlog.rc 2>/dev/null || echo 1); rm -f $$vmlog $$vmlog.rc; \
	  if [ $$rc -ne 0 ] || [ $$vmrc -ne 0 ]; then echo "make test: netns-race exit $$rc, vmtest exit $$vmrc"; exit 1; fi
	$(MAKE) --no-print-directory netns-timed
	$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZSMOKE)

# unit needs neither root nor a network: run as an ordinary user, the
# namespace and keepalived-oracle tests skip, one line each saying why
# (as root they run too). The suites that are only namespaces, and time
# failovers as root, are left out; -short skips the scale tests. Most of
# its time is tests waiting on real clocks: four packages at once (-p 4)
# fill the two cores (107–133 s against 153 s, warm cache).
ROOT_PKGS := -e '/vrrp/e2e$$' -e '/faults$$'
unit:
	@[ "$$(id -u)" != 0 ] || echo "make unit: running as root, the namespace tests run too (make netns is their tier)"
	$(GO) test -race -short -p 4 -count=1 -timeout 10m $$($(GO) list $(PKGS) | grep -v $(ROOT_PKGS))

# netns needs root: unit tests, race detector, the root/netns integration
# suites (differential config-test against Debian's keepalived 2.2.7),
# the timed failover suites and the fault suite.
# The failover suites (vrrp/e2e, and vrrp/vrrpd's runtime tests) assert
# takeover times in milliseconds: they run alone and without the race
# detector, which slows every node several times over. vrrp/vrrpd also
# runs under -race, where only the behaviour is asserted (raceEnabled).
# netns = netns-race (untimed, -race) then netns-timed (alone).
TIMED_PKGS := ./vrrp/vrrpd ./vrrp/e2e
.PHONY: netns-race netns-timed
netns: netns-race
	$(MAKE) --no-print-directory netns-timed
netns-race:
	GOKEEPALIVED_REQUIRE_ORACLE=1 $(GO) test -race -count=1 -timeout 30m $$($(GO) list $(PKGS) | grep -v -e '/vrrp/e2e$$' -e '/conf/differential$$' -e '/faults$$')
	@# -v only so that the agreement figures show; the verdict is go test's.
	@out=$$(mktemp); GOKEEPALIVED_REQUIRE_ORACLE=1 $(GO) test -race -count=1 -v $(DIFF_PKG) >$$out 2>&1; rc=$$?; \
	  if [ $$rc -ne 0 ]; then cat $$out; else grep -e '^config differential' -e '^ok' $$out; fi; rm -f $$out; exit $$rc
netns-timed:
	GOKEEPALIVED_REQUIRE_ORACLE=1 $(GO) test -count=1 -p 1 -timeout 30m $(TIMED_PKGS)
	$(MAKE) --no-print-directory faults

# The fuzz smoke of make test: every fuzz target for FUZZSMOKE.
fuzz-smoke:
	$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZSMOKE)

# The VM tier: real-kernel IPVS in the qemu rig (vmtest, below).
vm: vmtest

# The fault suite (cmd/gokeepalived/faults): the real binary in namespaces
# through floods, stalls, bursts and hung scripts; prints its table.
# FAULTS_RACE=1 builds the daemon with the race detector (slower: the
# timing bounds are for the plain build).
FAULTS_PKG := ./cmd/gokeepalived/faults
faults:
	@out=$$(mktemp); GOKEEPALIVED_REQUIRE_ORACLE=1 GOKEEPALIVED_FAULTS_RACE=$(FAULTS_RACE) \
	  $(GO) test -count=1 -p 1 -v -timeout 20m $(FAULTS_PKG) >$$out 2>&1; rc=$$?; \
	  if [ $$rc -ne 0 ]; then cat $$out; else sed -n '/^fault table:/,/^ok/p' $$out; fi; rm -f $$out; exit $$rc

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

# The config differential against keepalived 2.2.7 with more configs
# than the 300 of make test: make differential N=5000 SEED=2. Configs that
# disagree are kept in DIFF_OUT (default: a new directory under /tmp).
N    ?= 5000
SEED ?= 1
DIFF_PKG := ./conf/differential
differential:
	GOKEEPALIVED_REQUIRE_ORACLE=1 GOKEEPALIVED_DIFF_N=$(N) GOKEEPALIVED_DIFF_SEED=$(SEED) GOKEEPALIVED_DIFF_OUT=$(DIFF_OUT) \
	  $(GO) test -count=1 -v -timeout 60m -run '^TestDifferential$$' $(DIFF_PKG)

# Every fuzz target for FUZZTIME each (make test: FUZZSMOKE each); their
# checked-in corpora are in each package's testdata/fuzz/ and replay in
# plain go test. CORPUS=1 adds what a run found (scripts/fuzz/run.sh).
FUZZSMOKE ?= 30s
fuzz:
	FUZZTIME=$(FUZZTIME) CORPUS=$(CORPUS) bash scripts/fuzz/run.sh

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)
	bash scripts/bench/config-test.sh
	bash scripts/bench/failover.sh
	bash scripts/bench/instances.sh

# The main job for now: check and dump testdata/keepalived.conf as
# keepalived -t would, inside a namespace that has the interfaces it names.
run: build
	bash scripts/run-config-check.sh $(BIN) testdata/keepalived.conf

# The demo (scripts/demo): two directors, two real servers and a client in
# namespaces; real server and director failures, timed and asserted. In the
# VM rig by default; VM=0 runs it on this host (its kernel needs IPVS).
.PHONY: demo
VM ?= 1
demo: deps build
	VM=$(VM) scripts/demo/run $(BIN)

# Real-kernel IPVS through the qemu rig (scripts/vm/README.md). Needs
# qemu-system-x86, linux-image-amd64, busybox-static, ipvsadm, cpio
# (.ci/setup installs them). cmd/gokeepalived/vmtest runs the checker end
# to end and against keepalived 2.2.7 (issue #4).
VMTEST_PKGS ?= ./ipvs/... ./cmd/gokeepalived/vmtest ./vrrp/nft
VMTEST_RUN  ?= .

vm-image:
	scripts/vm/run --build-only

vm-selftest:
	scripts/vm/selftest

# gokeepalived goes into the VM for the `gokeepalived ipvs` test and the
# checker suites. They fail instead of skipping there (GOKEEPALIVED_VM=1).
# One boot runs every suite: 15 min 13 s measured with the scale-out
# tests (TestScaleOut*: sync daemon, BGP/ECMP, drain), past the rig's
# default VM_TIMEOUT of 600 s.
# GOKEEPALIVED_REQUIRE_ORACLE goes into the VM: a test needing the keepalived
# 2.4.3 oracle (which scripts/vm/run puts in the image when the host has it)
# then fails rather than skips without it.
# The fault table of cmd/gokeepalived/vmtest is printed again at the end,
# pass or fail, after the other packages' output.
vmtest:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/gokeepalived.vm ./cmd/gokeepalived
	@out=$$(mktemp); rc=0; \
	  { VM_TIMEOUT=$${VM_TIMEOUT:-1500} scripts/vm/gotest --file bin/gokeepalived.vm:/usr/local/sbin/gokeepalived \
	  $${GOKEEPALIVED_REQUIRE_ORACLE:+--env GOKEEPALIVED_REQUIRE_ORACLE=$$GOKEEPALIVED_REQUIRE_ORACLE} \
	  --file scripts/demo/demo.sh:scripts/demo/demo.sh \
	  $(VMTEST_PKGS) -- -count=1 -run '$(VMTEST_RUN)' -v || echo $$? >$$out.rc; } | tee $$out; \
	  [ -f $$out.rc ] && rc=$$(cat $$out.rc); \
	  sed -n '/^fault table (VM):/,/^[^|f]/p' $$out | grep -E '^(fault table|\|)' || true; \
	  rm -f $$out $$out.rc; exit $$rc

clean:
	rm -rf bin
