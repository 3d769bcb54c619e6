#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Client cost (issue #4 BENCHMARKS (d); BENCHMARKS.md "Client cost (issue #4 (d))"): CPU time and
# peak memory of `parley talk --headphones` streaming SECONDS of speech up and SECONDS of model
# audio down, beside Google's Node SDK (@google/genai, the copy in tests/conformance) doing the
# same, against the same local sink (bench/client_cost_sink) in the same run. Each client runs
# under GNU time (user+sys CPU seconds, peak RSS); runs alternate parley / node RUNS times.
# Everything stays on 127.0.0.1.
#
#   scripts/run_client_benchmark.sh [BUILD_DIR]          (default: build)
#
# Environment: SECONDS_AUDIO (60), RUNS (2), CHUNK_MS (Node's realtimeInput message size, 20),
# OUT (BUILD_DIR/client_bench), NODE_ONLY / PARLEY_ONLY=1 (one side only).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath "${1:-build}")
parley="$build/parley"
sink_bin="$build/bench/client_cost_sink"
node_script="$root/bench/client_cost_node.mjs"
seconds=${SECONDS_AUDIO:-60}
runs=${RUNS:-2}
chunk_ms=${CHUNK_MS:-20}
out=${OUT:-$build/client_bench}
gnu_time=/usr/bin/time

for binary in "$parley" "$sink_bin"; do
    if [[ ! -x $binary ]]; then
        echo "run_client_benchmark: $binary not found: build it first (cmake --build $build --target parley client_cost_sink)" >&2
        exit 1
    fi
done
if [[ ! -x $gnu_time ]]; then
    echo "run_client_benchmark: GNU time ($gnu_time) is needed: apt-get install time" >&2
    exit 1
fi
if [[ ! -f $root/tests/conformance/node_modules/@google/genai/package.json ]]; then
    echo "run_client_benchmark: @google/genai is not installed: run (cd tests/conformance && npm ci)" >&2
    exit 1
fi
mkdir -p "$out"

# The input: flite speech (parley say), repeated and cut to SECONDS - 2 at 16 kHz, then 2 s of
# silence, so the user's last words have ended before the model's turn does (parley talk waits
# for an answer to words said after it).
input="$out/input_${seconds}s_v2.wav"
if [[ ! -f $input ]]; then
    "$parley" say --rate 16000 --out "$out/paragraph.wav" \
        "Good morning. I would like to plan a trip to the coast next weekend. We are four people, \
two adults and two children, and we want a quiet place near the beach with a kitchen. Could you \
suggest three towns, tell me how long the drive takes from the city, and what the weather usually \
is at this time of year? Also, which of them has a good market on Saturday morning?" >/dev/null
    python3 - "$out/paragraph.wav" "$input" "$seconds" <<'EOF'
import sys, wave
src, dst, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
with wave.open(src) as w:
    rate, frames = w.getframerate(), w.readframes(w.getnframes())
gap = b"\0\0" * (rate // 2)  # half a second between repeats
need = int((seconds - 2) * rate) * 2
data = b""
while len(data) < need:
    data += frames + gap
with wave.open(dst, "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(rate)
    w.writeframes(data[:need] + b"\0\0" * (2 * rate))
EOF
fi

sink_log="$out/sink.log"
# The turn ends once the client has sent (nearly) all of the input.
input_seconds=$(awk -v s="$seconds" 'BEGIN { print s - 0.3 }')
: >"$sink_log"
"$sink_bin" --seconds "$seconds" --input-seconds "$input_seconds" >"$sink_log" 2>&1 &
sink_pid=$!
trap 'kill "$sink_pid" 2>/dev/null || true' EXIT
port=""
for _ in $(seq 100); do
    port=$(sed -n 's/^listening on ws:\/\/127\.0\.0\.1:\([0-9]*\)$/\1/p' "$sink_log")
    [[ -n $port ]] && break
    sleep 0.1
done
if [[ -z $port ]]; then
    echo "run_client_benchmark: the sink did not start:" >&2
    cat "$sink_log" >&2
    exit 1
fi
echo "client cost: $seconds s up and $seconds s down against bench/client_cost_sink on 127.0.0.1:$port"
echo "input: $input (flite speech via parley say, 16 kHz)"

# Runs "$@" under GNU time; prints CPU, peak RSS, wall time and how often the process's threads
# went to sleep (voluntary context switches: each costs a wakeup, see bench/wake_cost).
measure() {
    local label=$1
    shift
    local times="$out/$label.time"
    if ! "$gnu_time" -f "%U %S %M %e %w" -o "$times" "$@" >"$out/$label.log" 2>&1; then
        echo "run_client_benchmark: $label failed:" >&2
        tail -20 "$out/$label.log" >&2
        exit 1
    fi
    read -r user sys rss_kb wall sleeps <"$times"
    echo "${label%-*} $user $sys $rss_kb $sleeps" >>"$raw"
    awk -v l="$label" -v u="$user" -v s="$sys" -v m="$rss_kb" -v w="$wall" -v z="$sleeps" \
        'BEGIN { printf "%-10s user %6.2f s  sys %6.2f s  cpu %6.2f s  peak RSS %6.1f MB  wall %6.1f s  sleeps %6d\n", l, u, s, u + s, m / 1024, w, z }'
}

raw="$out/raw.txt"
: >"$raw"
for run in $(seq "$runs"); do
    if [[ -z ${NODE_ONLY:-} ]]; then
        measure "parley-$run" "$parley" talk --url "ws://127.0.0.1:$port" --headphones \
            --input "$input" --output "$out/parley_out.wav" --timeout 30 --reconnect-for 0
    fi
    if [[ -z ${PARLEY_ONLY:-} ]]; then
        measure "node-$run" node "$node_script" "$port" "$input" "$out/node_out.pcm" "$chunk_ms"
    fi
done
echo "sink:"
grep '^session' "$sink_log" || true
if [[ -z ${NODE_ONLY:-} && -z ${PARLEY_ONLY:-} ]]; then
    awk '{ cpu[$1] += $2 + $3; rss[$1] += $4 / 1024; sleeps[$1] += $5; n[$1]++ }
         END { pc = cpu["parley"] / n["parley"]; nc = cpu["node"] / n["node"];
               printf "mean cpu: parley %.2f s, node %.2f s: parley uses %.1f%% of node'"'"'s CPU (target <= 20%%)\n", pc, nc, 100 * pc / nc;
               printf "mean peak RSS: parley %.1f MB (target < 20 MB), node %.1f MB\n", rss["parley"] / n["parley"], rss["node"] / n["node"];
               printf "mean sleeps (voluntary context switches): parley %.0f, node %.0f\n", sleeps["parley"] / n["parley"], sleeps["node"] / n["node"] }' "$raw"
fi
if [[ -x $build/bench/wake_cost ]]; then
    echo "what a sleep and wakeup costs on this machine (bench/wake_cost, 40 ms sleeps):"
    "$build/bench/wake_cost" --cycles 50 --period-ms 40
fi
