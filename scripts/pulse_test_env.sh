#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Starts (once) a private PulseAudio daemon whose null sink "spk" is the default speaker and whose
# monitor "spk.monitor" is the default microphone, so PortAudio (through ALSA's pulse plugin) gets
# a real-time duplex device that hears what it plays. Everything lives under one private folder
# (HOME, runtime dir, state, config): a user's own sound setup is never touched. Idempotent.
#
# Usage:  eval "$(scripts/pulse_test_env.sh)"      # exports PULSE_SERVER, HOME, ... for a test
#         scripts/pulse_test_env.sh --stop          # stops the private daemon
# Folder: $PARLEY_PULSE_DIR, default /tmp/parley-pulse-<uid>.
# Prints only `export NAME='value'` lines on stdout; diagnostics go to stderr; exit status 0
# when the daemon answers with the null sink as default sink and its monitor as default source.
set -euo pipefail

base=${PARLEY_PULSE_DIR:-/tmp/parley-pulse-$(id -u)}
home="$base/home"
runtime="$base/runtime"
socket="$runtime/native"

mkdir -p "$home" "$runtime/pulse" "$base/state" "$base/config"
chmod 700 "$base" "$runtime"

# ALSA's default PCM and mixer go to PulseAudio (the pulse plugin comes with libasound2-plugins).
cat >"$home/.asoundrc" <<'EOF'
pcm.!default { type pulse }
ctl.!default { type pulse }
EOF
# Clients must never autospawn a daemon of their own with the user's configuration.
cat >"$base/config/client.conf" <<EOF
autospawn = no
default-server = unix:$socket
EOF

# The daemon and pactl see only the private folders.
export HOME="$home"
export XDG_RUNTIME_DIR="$runtime"
export XDG_CONFIG_HOME="$base/config"
export PULSE_RUNTIME_PATH="$runtime/pulse"
export PULSE_STATE_PATH="$base/state"
export PULSE_CONFIG_PATH="$base/config"
export PULSE_CLIENTCONFIG="$base/config/client.conf"
export PULSE_SERVER="unix:$socket"

pulse_ready() { pactl info >/dev/null 2>&1; }

if [[ ${1:-} == --stop ]]; then
  if pulse_ready; then
    pactl exit >/dev/null 2>&1 || true
    echo "pulse_test_env: stopped the daemon at $socket" >&2
  fi
  exit 0
fi

if ! pulse_ready; then
  command -v pulseaudio >/dev/null || {
    echo "pulse_test_env: pulseaudio is not installed (scripts/setup.sh installs it)" >&2
    exit 1
  }
  rm -f "$socket"
  # -n: no default.pa (so no hardware modules); as root PulseAudio warns but runs as a user daemon.
  # A large latency_msec would hide nothing here: the null sink's clock paces playback in real time.
  pulseaudio --daemonize=yes --exit-idle-time=-1 -n --system=false --use-pid-file=yes \
    --disallow-module-loading=no --log-target=file:"$base/pulseaudio.log" \
    --load="module-null-sink sink_name=spk rate=48000 channels=2" \
    --load="module-native-protocol-unix socket=$socket auth-anonymous=1" \
    >/dev/null 2>"$base/pulseaudio.stderr" || true
  for _ in $(seq 1 100); do
    pulse_ready && break
    sleep 0.05
  done
  pulse_ready || {
    echo "pulse_test_env: PulseAudio did not start; see $base/pulseaudio.log and" \
         "$base/pulseaudio.stderr: $(tail -n 3 "$base/pulseaudio.stderr" 2>/dev/null | tr '\n' ' ')" >&2
    exit 1
  }
fi

pactl set-default-sink spk
pactl set-default-source spk.monitor
# The null sink starts at 100% volume; make sure nothing was muted by an earlier run.
pactl set-sink-mute spk 0
pactl set-sink-volume spk 100%
pactl set-source-mute spk.monitor 0
pactl set-source-volume spk.monitor 100%

info=$(pactl info)
grep -q "Default Sink: spk$" <<<"$info" && grep -q "Default Source: spk.monitor$" <<<"$info" || {
  echo "pulse_test_env: the daemon runs but its defaults are not spk/spk.monitor:" >&2
  echo "$info" >&2
  exit 1
}

for name in HOME XDG_RUNTIME_DIR XDG_CONFIG_HOME PULSE_RUNTIME_PATH PULSE_STATE_PATH \
            PULSE_CONFIG_PATH PULSE_CLIENTCONFIG PULSE_SERVER; do
  printf "export %s='%s'\n" "$name" "${!name}"
done
