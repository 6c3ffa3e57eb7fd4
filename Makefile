# tlbflush: thin wrapper around meson. Every entry point installs what it
# needs first (make deps), then configures its own build directory.
#
#   make demo    build the shootdown simulator and tlbf-decode, run the
#                simulator (mock backend); DEMO_SECONDS=S runs each design
#                S seconds (default: the simulator's own, 8);
#                DEMO_TLB_LOCKS=P adds VSM TLB-lock holders (--tlb-locks P)
#   make demo-kvm  the four designs (tlbflush and the three baselines) on
#                real vCPUs (/dev/kvm, root or the kvm group), with a stale-
#                translation check in the MMU and the host's kick and exit
#                costs (docs/KVM.md); DEMO_SECONDS=S
#   make demo-dsim  the deterministic simulator (examples/dsim): every design
#                at 8, 64 and 256 VPs, the ratios and verdicts (SEED=S)
#   make test-quick  the unit and compile suites of the plain build
#   make test    every test suite in every build of the matrix
#   make test-arm64  the unit and stress tests cross-built for arm64, run
#                under qemu-user (also part of make test)
#   make test-kernel  the module build (W=1, sparse) and the KUnit tests in
#                User-Mode Linux (docs/KERNEL.md; also part of make test)
#   make bench   the benchmark harness (Google Benchmark), plots, ratios
#   make deps    install the Debian packages the project needs

DEB_PACKAGES := meson ninja-build pkg-config python3 gcc g++ clang \
	libclang-rt-14-dev libcmocka-dev libbenchmark-dev valgrind spin \
	gnuplot-nox gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user \
	libcmocka-dev:arm64 linux-headers-amd64 sparse linux-source-6.1 bc flex bison \
	systemtap-sdt-dev bpftrace

MESON ?= meson
# GenMC for suite c11 (docs/C11.md): make GENMC=... or the environment.
export GENMC
B := build
SEED ?=
# Seconds the demo runs each design; empty: the simulator's default.
DEMO_SECONDS ?=
# Probability of a VSM TLB-lock hold per VP loop in the demo (shootdown-sim
# --tlb-locks); empty: no holders.
DEMO_TLB_LOCKS ?=
# The matrix of builds "make test" runs: directory -> meson options.
PLAIN_OPTS := -Dbuildtype=release
GCC_TSAN_OPTS := -Dbuildtype=debugoptimized -Db_sanitize=thread
GCC_ASAN_OPTS := -Dbuildtype=debugoptimized -Db_sanitize=address,undefined
CLANG_TSAN_OPTS := $(GCC_TSAN_OPTS) -Db_lundef=false
CLANG_ASAN_OPTS := $(GCC_ASAN_OPTS) -Db_lundef=false
FUZZ_OPTS := -Dbuildtype=debugoptimized -Dfuzz=enabled
# arm64: Debian's cross gcc, tests under qemu-aarch64 (cross/aarch64-linux-gnu.ini).
# Examples off: their tests run them from host scripts, not through qemu.
ARM64_OPTS := --cross-file cross/aarch64-linux-gnu.ini -Dbuildtype=release \
	-Dexamples=disabled -Dmodel=disabled -Dstress_seconds=2

.PHONY: all deps demo demo-kvm demo-dsim test test-arm64 test-kernel test-quick bench bench-quick clean

all: test

deps:
	@missing=""; native=$$(dpkg --print-architecture); \
	for p in $(DEB_PACKAGES); do \
		case $$p in *:*) names=$$p ;; *) names="$$p:$$native $$p:all" ;; esac; \
		ok=""; for n in $$names; do \
			dpkg-query -W -f='$${Status}' $$n 2>/dev/null | grep -q 'ok installed' && ok=1; \
		done; \
		[ -n "$$ok" ] || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	arch=""; case "$$missing" in *:arm64*) \
		dpkg --print-foreign-architectures | grep -qx arm64 || arch="dpkg --add-architecture arm64 && ";; \
	esac; \
	if [ "$$(id -u)" != 0 ]; then \
		echo "missing packages:$$missing"; \
		echo "run: sudo sh -c '$${arch}apt-get update && apt-get install -y$$missing'"; exit 1; \
	fi; \
	echo "installing:$$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	if [ -n "$$arch" ]; then dpkg --add-architecture arm64; fi; \
	apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null

# configure DIR, OPTIONS, [CC]
define configure
	@if [ ! -f $(1)/build.ninja ]; then \
		$(3) $(MESON) setup $(1) $(2) >$(1).setup.log 2>&1 || { cat $(1).setup.log; exit 1; }; \
	fi
endef

demo: deps
	@mkdir -p $(B)
	$(call configure,$(B)/plain,$(PLAIN_OPTS))
	@ninja -C $(B)/plain examples/shootdown-sim examples/tlbf-decode >/dev/null
	@$(B)/plain/examples/shootdown-sim --design all $(if $(SEED),--seed $(SEED)) \
		$(if $(DEMO_SECONDS),--seconds $(DEMO_SECONDS)) \
		$(if $(DEMO_TLB_LOCKS),--tlb-locks $(DEMO_TLB_LOCKS))
	@echo "also built: $(B)/plain/examples/tlbf-decode (decodes one flush hypercall; --help)"
	@echo "on real vCPUs: make demo-kvm (where /dev/kvm works; docs/KVM.md)"

demo-kvm: deps
	@mkdir -p $(B)
	$(call configure,$(B)/plain,$(PLAIN_OPTS))
	@ninja -C $(B)/plain examples/kvm/demo_kvm >/dev/null
	@$(B)/plain/examples/kvm/demo_kvm $(if $(DEMO_SECONDS),--seconds $(DEMO_SECONDS))

demo-dsim: deps
	@mkdir -p $(B)
	$(call configure,$(B)/plain,$(PLAIN_OPTS))
	@ninja -C $(B)/plain examples/dsim/dsim >/dev/null
	@$(B)/plain/examples/dsim/dsim --matrix $(if $(SEED),--seed $(SEED))

# Every build of the matrix runs its suites; a failure in one does not stop
# the others, and the exit status is non-zero if anything failed.
test: deps
	@mkdir -p $(B)
	$(call configure,$(B)/plain,$(PLAIN_OPTS))
	$(call configure,$(B)/gcc-tsan,$(GCC_TSAN_OPTS))
	$(call configure,$(B)/gcc-asan,$(GCC_ASAN_OPTS))
	$(call configure,$(B)/clang-tsan,$(CLANG_TSAN_OPTS),CC=clang)
	$(call configure,$(B)/clang-asan,$(CLANG_ASAN_OPTS),CC=clang)
	$(call configure,$(B)/fuzz,$(FUZZ_OPTS),CC=clang)
	$(call configure,$(B)/arm64,$(ARM64_OPTS))
	@rc=0; \
	for run in "plain:unit stress compile model c11 clone kernel kvm dsim" "gcc-tsan:unit stress" "gcc-asan:unit stress" \
	           "clang-tsan:unit stress" "clang-asan:unit stress" "fuzz:fuzz" "arm64:unit stress"; do \
		dir=$${run%%:*}; suites=$${run#*:}; args=""; \
		for s in $$suites; do args="$$args --suite $$s"; done; \
		echo "=== build/$$dir: suites $$suites"; \
		rm -f $(B)/$$dir/meson-logs/testlog.json; \
		$(MESON) compile -C $(B)/$$dir >$(B)/$$dir.compile.log 2>&1 || { cat $(B)/$$dir.compile.log; rc=1; continue; }; \
		$(MESON) test -C $(B)/$$dir --print-errorlogs --num-processes 2 $$args || rc=1; \
	done; \
	python3 tests/summary.py --show kernel-kunit $(B)/plain $(B)/gcc-tsan $(B)/gcc-asan $(B)/clang-tsan \
		$(B)/clang-asan $(B)/fuzz $(B)/arm64 || rc=1; \
	exit $$rc

# The unit and compile suites of the plain build: a minute, not the matrix.
test-quick: deps
	@mkdir -p $(B)
	$(call configure,$(B)/plain,$(PLAIN_OPTS))
	@$(MESON) compile -C $(B)/plain >$(B)/plain.compile.log 2>&1 || { cat $(B)/plain.compile.log; exit 1; }
	@$(MESON) test -C $(B)/plain --print-errorlogs --num-processes 2 --suite unit --suite compile

# The arm64 build of the matrix on its own.
test-arm64: deps
	@mkdir -p $(B)
	$(call configure,$(B)/arm64,$(ARM64_OPTS))
	@rc=0; rm -f $(B)/arm64/meson-logs/testlog.json; \
	$(MESON) compile -C $(B)/arm64 >$(B)/arm64.compile.log 2>&1 || { cat $(B)/arm64.compile.log; exit 1; }; \
	$(MESON) test -C $(B)/arm64 --print-errorlogs --num-processes 2 --suite unit --suite stress || rc=1; \
	python3 tests/summary.py $(B)/arm64 || rc=1; \
	exit $$rc

# The kernel-mode checks on their own: the module and KUnit on UML.
test-kernel: deps
	@rc=0; \
	tests/kernel/build_module.sh || { [ $$? = 77 ] || rc=1; }; \
	tests/kernel/run_kunit.sh || { [ $$? = 77 ] || rc=1; }; \
	exit $$rc

bench: deps
	@mkdir -p $(B)
	$(call configure,$(B)/bench,-Dbuildtype=release -Dbenchmarks=enabled)
	@echo "building the benchmark harness in $(B)/bench" >&2
	@$(MESON) compile -C $(B)/bench >/dev/null
	@bench/run.sh $(B)/bench full

bench-quick: deps
	@mkdir -p $(B)
	$(call configure,$(B)/bench,-Dbuildtype=release -Dbenchmarks=enabled)
	@echo "building the benchmark harness in $(B)/bench" >&2
	@$(MESON) compile -C $(B)/bench >/dev/null
	@bench/run.sh $(B)/bench quick

clean:
	rm -rf $(B)
