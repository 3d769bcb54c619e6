#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The layering check must reject each of these trees and accept a clean one.
set -uo pipefail
checker=${1:?usage: check_layers_selftest.sh CHECKER}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect() {  # expect pass|fail LAYER FILE LINE
  local want=$1 layer=$2 file=$3 line=$4
  rm -rf "$tmp/src" && mkdir -p "$tmp/src/$layer"
  printf '%s\n' "$line" >"$tmp/src/$layer/$file"
  if bash "$checker" "$tmp" >/dev/null 2>&1; then got=pass; else got=fail; fi
  if [[ $got != "$want" ]]; then
    echo "selftest: '$line' in src/$layer/$file: expected $want, got $got" >&2
    exit 1
  fi
}

expect pass dsp ring.hpp '#include "base/result.hpp"'
expect fail dsp ring.hpp '#include "session/live_session.hpp"'
expect fail protocol codec.cpp '#include "transport/ws.hpp"'
expect fail server engine.cpp '#include "device/device.hpp"'
expect fail server engine.cpp '#include "session/conversation.hpp"'
expect fail dsp vad.cpp '#include <boost/asio.hpp>'
expect fail transport ws.hpp '#include <boost/beast.hpp>'
expect pass transport ws.cpp '#include <boost/beast.hpp>'
expect fail base log.cpp '#include <nlohmann/json.hpp>'
echo "selftest: ok"
