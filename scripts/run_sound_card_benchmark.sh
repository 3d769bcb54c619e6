#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Sound-card cost (BENCHMARKS.md "Client cost", session 10): CPU time, peak memory and sleeps of
# `parley talk --headphones` on a real-time sound path, once per audio backend, runs alternating:
# the private PulseAudio daemon of the real device test (scripts/pulse_test_env.sh: a null sink
# and its monitor as microphone) reached natively (--audio-backend pulse) and through PortAudio
# and ALSA's pulse plugin (--audio-backend portaudio). bench/client_cost_sink streams SECONDS of
# model audio down; parley plays it into the sink and sends what the monitor hears. Each parley
# runs under GNU time; Ctrl-C (SIGINT) ends it after SECONDS + 2 s. Everything stays on the machine.
#
#   scripts/run_sound_card_benchmark.sh [BUILD_DIR]          (default: build)
#
# Environment: SECONDS_AUDIO (60), RUNS (2), BACKENDS ("pulse portaudio"), OUT
# (BUILD_DIR/sound_card_bench).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath "${1:-build}")
parley="$build/parley"
sink_bin="$build/bench/client_cost_sink"
seconds=${SECONDS_AUDIO:-60}
runs=${RUNS:-2}
backends=${BACKENDS:-pulse portaudio}
out=${OUT:-$build/sound_card_bench}
gnu_time=/usr/bin/time

for binary in "$parley" "$sink_bin"; do
    if [[ ! -x $binary ]]; then
        echo "run_sound_card_benchmark: $binary not found: build it first (cmake --build $build --target parley client_cost_sink)" >&2
        exit 1
    fi
done
if [[ ! -x $gnu_time ]]; then
    echo "run_sound_card_benchmark: GNU time ($gnu_time) is needed: apt-get install time" >&2
    exit 1
fi
mkdir -p "$out"
eval "$("$root/scripts/pulse_test_env.sh")"

printf '%-10s %4s %8s %8s %8s %9s %8s\n' backend run cpu_s user_s sys_s rss_mb sleeps
for run in $(seq 1 "$runs"); do
    for backend in $backends; do
        log="$out/$backend.$run"
        "$sink_bin" --seconds "$seconds" --input-seconds 1 >"$log.sink" 2>&1 &
        sink=$!
        port=""
        for _ in $(seq 1 100); do
            port=$(sed -n 's/^listening on ws:\/\/127\.0\.0\.1:\([0-9]*\)$/\1/p' "$log.sink")
            [[ -n $port ]] && break
            sleep 0.05
        done
        if [[ -z $port ]]; then
            echo "run_sound_card_benchmark: the sink did not start: $(cat "$log.sink")" >&2
            kill "$sink" 2>/dev/null || true
            exit 1
        fi
        "$gnu_time" -f "%U %S %M %w" -o "$log.time" timeout -s INT $((seconds + 2)) \
            "$parley" talk --url "ws://127.0.0.1:$port" --headphones --reconnect-for 0 \
            --audio-backend "$backend" >"$log.talk" 2>&1 || true
        kill "$sink" 2>/dev/null || true
        wait "$sink" 2>/dev/null || true
        if ! grep -q "played" "$log.talk"; then
            echo "run_sound_card_benchmark: $backend run $run played nothing: see $log.talk" >&2
            exit 1
        fi
        awk -v b="$backend" -v r="$run" \
            '{printf "%-10s %4d %8.2f %8.2f %8.2f %9.1f %8d\n", b, r, $1 + $2, $1, $2, $3 / 1024, $4}' \
            <(tail -n 1 "$log.time")
    done
done
