// SPDX-License-Identifier: Apache-2.0
// PulseDevice: the sound-server Device behind `parley talk` on a Linux desktop (PulseAudio, or
// PipeWire's PulseAudio server), spoken to natively through libpulse (pulse_device.cpp is the only
// file that includes its headers). It replaces PortAudio's ALSA host plus ALSA's pulse plugin on
// such systems: that stack keeps one thread spinning in poll() (about 1.4 s of CPU per 20 s, see
// BENCHMARKS.md "Client cost", session 9).
//
// A record stream and a playback stream, mono PCM16 at one rate (the server converts channels and
// rates for its devices). Their callbacks run on libpulse's threaded mainloop, with its lock held;
// what they do with the samples is rt code (RtScope): only copies through the RtBridge. Control
// calls from one control thread (or the DeviceWatchdog).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "device/device.hpp"

namespace parley::device {

struct PulseDeviceOptions {
    // "" or "default" = the server's default; all digits = a source (input) or sink (output)
    // index from `parley devices`; anything else = the first source/sink whose name or
    // description contains it (case-insensitive).
    std::string input_device{};
    std::string output_device{};
    int sample_rate_hz = 0;  // 0: the server's default rate
    // The playback buffer the server keeps filled (its whole latency, sink included); the
    // server asks for more, and delivers recorded audio, every quarter of it. 80 ms costs parley
    // about half the CPU of 60 ms (fewer wakeups) and plays about as late as PortAudio's 40 ms
    // through ALSA's pulse plugin did (the echo came 70 ms after its reference there, 80 here).
    int latency_ms = 80;
    int capture_ring_ms = 250;
    int render_ring_ms = 250;
    int flush_fade_ms = 5;
    bool reference_enabled = true;
};

// True when a PulseAudio server (PipeWire's included) answers on this machine. Never starts one.
[[nodiscard]] bool pulse_server_available();

// The server's sources (input) and sinks (output); a source's index is its `index`, likewise a
// sink's, so the two may share numbers. Errors: kBackendFailed (no server; with `why`).
[[nodiscard]] Result<std::vector<AudioDeviceInfo>> list_pulse_devices(std::string* why = nullptr);

class PulseDevice final : public Device {
public:
    explicit PulseDevice(PulseDeviceOptions options = {});
    ~PulseDevice() override;

    // Connects to the server, finds the source and sink, opens both streams (corked). Errors:
    // kBackendFailed (no server), kNoSuchDevice, kOpenFailed, kInvalidConfig; `why` gets the
    // one-line reason.
    [[nodiscard]] Status open(std::string* why = nullptr) override;
    [[nodiscard]] Status start(std::string* why = nullptr) override;
    void stop() override;
    void close() override;
    // Disconnects, connects again (the server may have restarted), opens at the same rate and
    // starts.
    [[nodiscard]] Status reopen(std::string* why = nullptr) override;

    [[nodiscard]] std::string name() const override;
    [[nodiscard]] bool is_running() const override { return running_.load(); }
    [[nodiscard]] DeviceLatency latency() const override;
    // A record stream and a playback stream, each paced by its own device.
    [[nodiscard]] bool has_separate_clocks() const override { return true; }

    struct Connection;  // libpulse objects (pulse_device.cpp)

private:
    Status open_locked(int forced_rate_hz, std::string* why);
    Status start_locked(std::string* why);
    void stop_locked();
    void close_locked();

    PulseDeviceOptions options_;
    mutable std::mutex control_mutex_;  // open/start/stop/close/reopen (never rt)
    std::unique_ptr<Connection> connection_;
    std::string input_name_;
    std::string output_name_;
    DeviceLatency latency_;
    std::atomic<bool> running_{false};
};

}  // namespace parley::device
