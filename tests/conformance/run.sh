#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the conformance tests: Google's official @google/genai SDK against `parley serve`.
# Usage: run.sh PARLEY_BIN. Exits 77 (CTest: skipped) with a reason when Node.js < 20.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "${1:?usage: run.sh PARLEY_BIN}")
if ! command -v node >/dev/null 2>&1; then
  echo "conformance: skipped: Node.js is not installed (make test installs it when apt can)"
  exit 77
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if ((major < 20)); then
  echo "conformance: skipped: Node.js $(node --version) is older than 20, which @google/genai needs"
  exit 77
fi
cd "$here"
# Install the pinned SDK once per package-lock.json.
stamp=node_modules/.parley-lock-stamp
if [[ ! -f $stamp ]] || ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
PARLEY_BIN=$bin exec node --test --test-concurrency=1 "$here"/*.test.mjs
