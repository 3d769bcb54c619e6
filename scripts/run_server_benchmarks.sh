#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Benchmarks of the local Live API server (BENCHMARKS.md "Local server"): starts `parley serve`
# processes on loopback, runs bench/server_load against them in each mode, stops them, and prints
# every result with the command that made it. Everything stays on 127.0.0.1 and stops by itself.
#
#   scripts/run_server_benchmarks.sh [BUILD_DIR]        (default: build)
#
# Environment: STEP_SECONDS (40), SPEECH_STEPS ("4 8 12 16 20 24"), NOSPEECH_STEPS
# ("100 200 400 600 800 1000"), QUESTIONS (20), BARGEINS (10), IDLE_SESSIONS (100),
# ONLY ("detector latency bargein concurrency nospeech memory": a subset to run),
# OUT (BUILD_DIR/server_bench), NICE (-10 when root: server and load generator run at this
# priority, so other work on a shared machine disturbs them less; 0 to turn off), SERVER_ARGS
# (extra `parley serve` options for every server, e.g. "--work-threads 4 --decoders 8"),
# LOAD_ARGS (extra bench/server_load options for every run, e.g. "--chunk-ms 40").
set -euo pipefail

build=${1:-build}
parley="$build/parley"
load="$build/bench/server_load"
out=${OUT:-$build/server_bench}
step_seconds=${STEP_SECONDS:-40}
speech_steps=${SPEECH_STEPS:-"4 8 12 16 20 24"}
nospeech_steps=${NOSPEECH_STEPS:-"100 200 400 600 800 1000"}
questions=${QUESTIONS:-20}
bargeins=${BARGEINS:-10}
idle_sessions=${IDLE_SESSIONS:-100}
only=${ONLY:-"detector latency bargein concurrency nospeech memory"}
read -r -a server_args <<<"${SERVER_ARGS:-}"
read -r -a load_args <<<"${LOAD_ARGS:-}"
if [[ $(id -u) == 0 ]]; then nice_level=${NICE:--10}; else nice_level=${NICE:-0}; fi
# With the kernel's autogroup scheduling, nice values only rank processes within one session;
# other sessions (a build in another terminal) still get an equal share. Raise this session's
# group too, or the priority above means nothing.
if [[ $nice_level != 0 && -w /proc/$$/autogroup ]]; then
    echo "$nice_level" >"/proc/$$/autogroup" 2>/dev/null || true
fi

for binary in "$parley" "$load"; do
    if [[ ! -x $binary ]]; then
        echo "run_server_benchmarks: $binary not found: build it first (cmake --build $build --target parley server_load)" >&2
        exit 1
    fi
done
mkdir -p "$out"
# Each session is a socket in the server and one in the load generator.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
summary="$out/summary.txt"
: >"$summary"

server_pid=""
server_url=""

stop_server() {
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -INT "$server_pid"
        for _ in $(seq 1 100); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$server_pid" 2>/dev/null && kill -KILL "$server_pid"
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=""
}
trap stop_server EXIT

# start_server NAME LEVEL ARGS...: `parley serve --port 0 --log-level LEVEL` with ARGS; sets
# server_pid and server_url. The server's log (per-turn timings at info) is kept in $out.
start_server() {
    local name=$1 level=$2
    shift 2
    local log="$out/server-$name.log"
    rm -f "$log"
    nice -n "$nice_level" "$parley" serve --host 127.0.0.1 --port 0 --log-level "$level" --max-connection-seconds 0 "${server_args[@]}" "$@" >"$log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 600); do
        server_url=$(sed -n 's/^parley serve: listening on \(ws:[^ ]*\).*/\1/p' "$log" | head -n 1)
        [[ -n $server_url ]] && break
        if ! kill -0 "$server_pid" 2>/dev/null; then
            echo "run_server_benchmarks: the server failed to start:" >&2
            cat "$log" >&2
            exit 1
        fi
        sleep 0.1
    done
    if [[ -z $server_url ]]; then
        echo "run_server_benchmarks: the server did not start listening in 60 s" >&2
        exit 1
    fi
    echo "server: parley serve --host 127.0.0.1 --port 0 --log-level $level --max-connection-seconds 0 ${server_args[*]} $* (pid $server_pid, $server_url)"
}

# run_load NAME ARGS...: server_load against the running server; keeps its output and RESULT line.
run_load() {
    local name=$1
    shift
    local log="$out/$name.txt"
    echo "+ server_load --url $server_url $* ${load_args[*]} --server-pid $server_pid"
    local status=0
    nice -n "$nice_level" "$load" --url "$server_url" --server-pid "$server_pid" "$@" \
        "${load_args[@]}" | tee "$log" || status=$?
    local result
    result=$(grep '^RESULT ' "$log" | tail -n 1 || true)
    echo "$name: ${result:-no result (exit $status)}" >>"$summary"
    last_result=$result
}

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$last_result"; }

wants() { [[ " $only " == *" $1 "* ]]; }

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), open files $(ulimit -n), nice $nice_level"

if wants detector; then
    echo "== the turn detector alone, offline (no server): its share of (a) and (b) =="
    for preamble in "" "wait "; do
        echo "+ server_load --mode detector --preamble '$preamble'"
        nice -n "$nice_level" "$load" --mode detector --preamble "$preamble" | tee -a "$out/detector.txt"
    done
    echo "detector: $(grep '^RESULT ' "$out/detector.txt" | tail -n 1)" >>"$summary"
fi

if wants latency; then
    echo "== (a) end of speech -> first reply audio, one session, $questions questions =="
    start_server latency info
    run_load latency --mode latency --sessions 1 --questions "$questions" --silence-ms 800 --verbose
    stop_server
fi

if wants bargein; then
    echo "== (b) speech onset -> interrupted, $bargeins barge-ins into a story =="
    start_server bargein info
    run_load bargein --mode bargein --sessions 1 --questions "$bargeins" --verbose
    stop_server
fi

if wants concurrency; then
    echo "== (c) concurrent sessions, full pipeline: a ~2 s question every 8 s each, $step_seconds s a step =="
    for n in $speech_steps; do
        start_server "speech-$n" info --max-connections $((n + 8))
        run_load "concurrency-speech-$n" --mode concurrency --sessions "$n" --duration "$step_seconds" \
            --period 8 --preamble "could you tell me "
        stop_server
        # Past the first step that fails there is nothing more to learn but longer queues.
        [[ $(field all_within_1s) == 1 ]] || break
    done
fi

if wants nospeech; then
    echo "== (d) concurrent sessions, --no-speech (turn detection only, beeps) =="
    for n in $nospeech_steps; do
        start_server "nospeech-$n" warn --no-speech --max-connections $((n + 8))
        run_load "concurrency-nospeech-$n" --mode concurrency --sessions "$n" --duration "$step_seconds" \
            --period 8 --preamble "could you tell me " --connect-parallel 32
        stop_server
        [[ $(field all_within_1s) == 1 ]] || break
    done
fi

if wants memory; then
    echo "== (e) server memory per idle, set-up session =="
    start_server memory-speech warn --max-connections $((idle_sessions + 8))
    run_load memory-speech --mode idle --sessions "$idle_sessions" --duration 3
    stop_server
    start_server memory-nospeech warn --no-speech --max-connections $((idle_sessions + 8))
    run_load memory-nospeech --mode idle --sessions "$idle_sessions" --duration 3
    stop_server
fi

echo
echo "== summary (logs in $out) =="
cat "$summary"
