#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the CTest suite of a build folder and prints its summary. Extra arguments go to ctest.
set -euo pipefail
build=${1:?usage: run_tests.sh BUILD_DIR [ctest args]}
shift
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" --timeout 600 "$@"
