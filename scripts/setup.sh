#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian 12 packages Parley needs (only those missing), through sudo when not root,
# and reports whether the conformance tests can run (they need Node.js >= 20 and npm).
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libboost-dev libssl-dev openssl nlohmann-json3-dev libexpected-dev libcli11-dev libspdlog-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  portaudio19-dev libpulse-dev libsoxr-dev libsndfile1-dev libspeexdsp-dev
  libwebrtc-audio-processing-dev
  libpocketsphinx-dev libsphinxbase-dev pocketsphinx-en-us flite1-dev
  pulseaudio pulseaudio-utils libasound2-plugins
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

if ((${#missing[@]} > 0)); then
  echo "setup: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Node.js serves only the conformance tests. Use the machine's own when it is new enough; never
# install Debian's npm over a Node.js that did not come from Debian (that breaks it).
if ! command -v node >/dev/null 2>&1; then
  echo "setup: Node.js not found; installing Debian's nodejs and npm for the conformance tests"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
fi
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if ((node_major < 20)); then
  echo "setup: Node.js $(node --version 2>/dev/null || echo none) is older than 20:" \
       "the conformance tests will be skipped; everything else runs"
fi
echo "setup: ok"
