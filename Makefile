# ktriage: one entry point for set-up, build, tests and benchmarks (see README.md).
# Every target that builds first runs scripts/install-deps.sh, a no-op once the packages are in.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
BUILD_DIR ?= build
ASAN_DIR ?= build-asan
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 300
KTRIAGE = $(BUILD_DIR)/analyzer/cli/ktriage
SAMPLE ?= corpora/samples/veth-softlockup.log

.PHONY: all deps configure build build-ktriage build-asan dumps debuginfo sample test test-plain test-asan test-fuzz bench fuzz-build fuzz fuzz-smoke clean

all: build

deps:
	scripts/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKTRIAGE_WERROR=ON

build: configure
	cmake --build $(BUILD_DIR) -j$(JOBS)

# Only the ktriage binary and the dump reader it starts: what `make sample` needs, no test targets.
build-ktriage: configure
	cmake --build $(BUILD_DIR) -j$(JOBS) --target ktriage

build-asan: deps
	cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKTRIAGE_SANITIZE=ON -DKTRIAGE_WERROR=ON
	cmake --build $(ASAN_DIR) -j$(JOBS)

# Real crash dumps of each kernel family of corpora/families.txt, booted in QEMU: made once
# (about four minutes per x86-64 family on two cores), then cached under ~/.cache/ktriage/dumps by
# a hash of what makes them. The derived formats come from the reference (first) family.
dumps: deps
	for f in $$(corpora/dumps/make-dumps.sh --list-families); do corpora/dumps/make-dumps.sh --family $$f > /dev/null || exit 1; done
	corpora/derived-dumps/derive-dumps.sh > /dev/null

# Real debuginfo of each family's kernel (vmlinux, veth.ko, 8021q.ko from Debian's -dbg package),
# for the symbolizer's and the unwinder's tests: extracted once (about 25 s each, after a 300 MB
# download), cached under ~/.cache/ktriage/debuginfo.
debuginfo: deps
	for f in $$(corpora/debuginfo/make-debuginfo.sh --list-families); do corpora/debuginfo/make-debuginfo.sh --family $$f > /dev/null || exit 1; done

sample: build-ktriage
	./$(KTRIAGE) analyze $(SAMPLE)

# Every test, twice: the optimised build, then ASan/UBSan. Both fit CI's budget on 2 cores
# (README.md gives the times), so the one test command runs them all.
test: dumps debuginfo test-plain test-asan test-fuzz

# Hermetic: a DEBUGINFOD_URLS from the environment would send the tests to the network.
test-plain: build
	env -u DEBUGINFOD_URLS ctest --test-dir $(BUILD_DIR) --output-on-failure -j2

test-asan: build-asan
	env -u DEBUGINFOD_URLS ctest --test-dir $(ASAN_DIR) --output-on-failure -j2

# Not part of `test`: it builds (once, cached) and reads a 1 GB log and a 10,000-log fleet archive.
bench: build dumps debuginfo
	bench/stream_log.sh --ktriage $(KTRIAGE) --mix fleet
	bench/stream_log.sh --ktriage $(KTRIAGE) --mix dense
	bench/stream_log.sh --ktriage $(KTRIAGE) --mix syzkaller
	bench/vmcore_dmesg.sh --ktriage $(KTRIAGE)
	for f in 6.1-amd64 6.12-amd64; do bench/symbolize.sh --ktriage $(KTRIAGE) --debuginfo "$$(corpora/debuginfo/make-debuginfo.sh --family $$f | tail -n 1)" || exit 1; done
	bench/rules.sh --ktriage $(KTRIAGE)
	bench/triage.sh --ktriage $(KTRIAGE)
	for f in $$(corpora/dumps/make-dumps.sh --list-families); do bench/deep.sh --ktriage $(KTRIAGE) --family $$f || exit 1; done
	for s in mutex-chain oom-slab-leak; do bench/deep.sh --ktriage $(KTRIAGE) --scenario $$s || exit 1; done
	bench/flat_memory.sh --ktriage $(KTRIAGE)

# libFuzzer targets (fuzz/README.md), built with clang in $(FUZZ_DIR): each runs FUZZ_SECONDS on its
# seeds and regression inputs; crashes land in $(FUZZ_DIR)/crashes/<target>/. `fuzz-smoke`: 20 s each.
fuzz-build: deps
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKTRIAGE_FUZZ=ON -DKTRIAGE_WERROR=ON
	cmake --build $(FUZZ_DIR) --target fuzzers -j$(JOBS)
	fuzz/make-seeds.sh $(FUZZ_DIR)/seeds

fuzz: fuzz-build
	FUZZ_DIR=$(FUZZ_DIR) FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run-fuzzers.sh

fuzz-smoke: fuzz-build
	FUZZ_DIR=$(FUZZ_DIR) FUZZ_SECONDS=20 fuzz/run-fuzzers.sh

# Part of `test`: every fuzz target for a short time on its seeds and regressions (CI's budget).
test-fuzz: fuzz-build
	FUZZ_DIR=$(FUZZ_DIR) FUZZ_SECONDS=$${TEST_FUZZ_SECONDS:-15} fuzz/run-fuzzers.sh

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
