#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fails when a file includes a header its layer may not use (DESIGN.md, "Layers").
# Usage: check_layers.sh ROOT
set -euo pipefail
root=${1:?usage: check_layers.sh ROOT}

# Which project folders each layer may include from (itself always allowed).
declare -A allowed=(
  [base]=""
  [dsp]="base"
  [protocol]="base"
  [transport]="base"
  [device]="base dsp"
  [server]="base dsp protocol transport"
  [session]="base dsp device protocol transport"
  [parley]="base dsp device protocol transport session server"
)
# Third-party headers each layer may not include.
declare -A banned_third_party=(
  [base]="boost/ portaudio soxr webrtc speex pocketsphinx flite nlohmann"
  [dsp]="boost/"
  [device]="boost/"
  [protocol]="boost/ portaudio soxr webrtc speex pocketsphinx flite"
  [transport]="nlohmann portaudio soxr webrtc speex pocketsphinx flite"
)
layers="base dsp protocol transport device server session"
failures=0

complain() { echo "layering: $1" >&2; failures=$((failures + 1)); }

check_file() {
  local layer=$1 file=$2
  local line inc dir
  while IFS= read -r line; do
    inc=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^>"]+)[>"].*/\1/' <<<"$line")
    dir=${inc%%/*}
    if [[ " $layers parley " == *" $dir "* && "$inc" == */* && "$dir" != "$layer" ]]; then
      if [[ " ${allowed[$layer]} " != *" $dir "* ]]; then
        complain "$file includes \"$inc\": $layer may not use $dir"
      fi
    fi
    for banned in ${banned_third_party[$layer]:-}; do
      if [[ "$inc" == "$banned"* || "$inc" == *"/$banned"* ]]; then
        complain "$file includes <$inc>: $layer may not use ${banned%/}"
      fi
    done
    # Beast and Asio stay inside transport's .cpp files.
    if [[ "$layer" == transport && "$file" == *.hpp && "$inc" == boost/* ]]; then
      complain "$file includes <$inc>: Boost stays inside src/transport/*.cpp"
    fi
  done < <(grep -E '^[[:space:]]*#[[:space:]]*include' "$file" || true)
}

for layer in $layers; do
  [[ -d "$root/src/$layer" ]] || continue
  while IFS= read -r file; do
    check_file "$layer" "$file"
  done < <(find "$root/src/$layer" -name '*.hpp' -o -name '*.cpp')
done
if [[ -d "$root/include/parley" ]]; then
  while IFS= read -r file; do
    check_file parley "$file"
  done < <(find "$root/include/parley" -name '*.hpp' -o -name '*.cpp')
fi

if ((failures > 0)); then
  echo "layering: $failures violation(s)" >&2
  exit 1
fi
echo "layering: ok"
