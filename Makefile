# SPDX-License-Identifier: Apache-2.0
# The two commands of the README: `make demo` and `make test`. Plain `make` builds build/parley.
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
ifdef CI
# CI builds carry line tables only (cmake/parley_flags.cmake): same code, shorter builds.
DEBUG_INFO_FLAGS = -DPARLEY_DEBUG_LINES_ONLY=ON
CMAKE_FLAGS += -DPARLEY_WERROR=ON $(DEBUG_INFO_FLAGS)
endif

.PHONY: all build setup demo test test-asan test-tsan fuzz bench format clean

all: build

build/CMakeCache.txt:
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: build/CMakeCache.txt
	cmake --build build -j $(JOBS)

setup:
	@bash scripts/setup.sh

demo: setup
	@$(MAKE) --no-print-directory build
	./build/parley demo

test: setup
	@$(MAKE) --no-print-directory build
	@bash scripts/run_tests.sh build

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer, without tests that
# pace audio in real time or soak for minutes. The layers are shared libraries here (linked
# statically, the instrumented test binaries took 7.5 GB). Warnings are errors in the plain
# build only: g++ 12 raises false maybe-uninitialized warnings inside Boost and <regex> when
# instrumenting.
test-asan: setup
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPARLEY_SANITIZE=address -DPARLEY_BENCH=OFF -DPARLEY_WERROR=OFF -DPARLEY_SHARED_LAYERS=ON $(DEBUG_INFO_FLAGS)
	cmake --build build-asan -j $(JOBS)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitizers/lsan.supp \
	  bash scripts/run_tests.sh build-asan -LE "realtime|soak"

# The suite under ThreadSanitizer, leaving out the same tests as test-asan and the single-threaded
# signal-processing runs (label slow, EchoCanceller*: half of TSan's time, no threads to check;
# test-asan covers them). Races in our code are fixed, never suppressed: tsan.supp lists only
# third-party libraries.
test-tsan: setup
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DPARLEY_SANITIZE=thread -DPARLEY_BENCH=OFF -DPARLEY_WERROR=OFF -DPARLEY_SHARED_LAYERS=ON $(DEBUG_INFO_FLAGS)
	cmake --build build-tsan -j $(JOBS)
	@TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/tests/sanitizers/tsan.supp" \
	  bash scripts/run_tests.sh build-tsan -LE "realtime|soak|slow" -E "^EchoCanceller"

# The libFuzzer targets (clang); run one with
# build-fuzz/fuzz/<target> -max_total_time=600 fuzz/corpus/<target> (see BENCHMARKS.md, Fuzzing).
fuzz: setup
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPARLEY_FUZZ=ON -DPARLEY_BENCH=OFF
	cmake --build build-fuzz -j $(JOBS) --target fuzz_protocol_decoder fuzz_server_session fuzz_session_events

bench: setup
	@$(MAKE) --no-print-directory build
	@bash scripts/run_benchmarks.sh build

format:
	find src include apps tests bench fuzz -name '*.[ch]pp' | xargs clang-format -i

clean:
	rm -rf build build-asan build-tsan build-fuzz
