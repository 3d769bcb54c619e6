// SPDX-License-Identifier: Apache-2.0
// Device: the audio device interface the dsp thread codes against; PortAudioDevice (sound card),
// PulseDevice (sound server), FileDevice (WAV in/out) and NullDevice implement it. A device moves
// mono PCM16 at its own rates through three rings (capture, render, reference) filled and drained
// by its rt callback; the dsp thread resamples. Control calls (open/start/stop/close/reopen) come
// from one control thread (plus the DeviceWatchdog); ring and counter accessors may be used from
// the dsp thread.
//
// Typical dsp loop:  device->open(); device->start();
//   every 10 ms: read capture_ring() + reference_ring() in lockstep, process, write render_ring();
//   on barge-in: flush_render();    on exit: device->stop();
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "device/rt_bridge.hpp"
#include "dsp/frame_ring.hpp"

namespace parley::device {

// Latency estimates of the open stream (from PortAudio's stream info; 0 for simulated devices).
// input: sound at the mic -> sample in the capture ring; output: sample leaves the render ring ->
// sound at the speaker. Their sum is the echo delay of the reference against the capture.
struct DeviceLatency {
    std::chrono::microseconds input{0};
    std::chrono::microseconds output{0};
};

// One entry of a device listing (PortAudio's list_devices(), list_pulse_devices()).
struct AudioDeviceInfo {
    int index = -1;
    std::string name;
    std::string host_api;
    std::string description{};  // a longer human name, when the backend has one
    int max_input_channels = 0;
    int max_output_channels = 0;
    int default_rate_hz = 0;
    bool is_default_input = false;
    bool is_default_output = false;
};

class Device {
public:
    virtual ~Device();
    Device(const Device&) = delete;
    Device& operator=(const Device&) = delete;

    // Opens the device (finds it, negotiates the rate, allocates the rings). Call once; the
    // rings exist from here until the device is destroyed. Errors: DeviceError values or the
    // dsp layer's file errors; `why` (when given) receives one line saying what to do.
    [[nodiscard]] virtual Status open(std::string* why = nullptr) = 0;
    // Starts the callbacks. Errors: kNotOpen, kStartFailed.
    [[nodiscard]] virtual Status start(std::string* why = nullptr) = 0;
    // Stops the callbacks; when it returns no callback runs. Idempotent.
    virtual void stop() = 0;
    // Closes the stream or files (stop() first if running). The rings stay valid. Idempotent.
    virtual void close() = 0;
    // Closes and opens the stream again with the same rates, then starts it (what the watchdog
    // does after a stall). The rings and counters are kept. Errors: as open() and start().
    [[nodiscard]] virtual Status reopen(std::string* why = nullptr) = 0;

    // A short human-readable name ("default", "file in.wav -> out.wav", "null").
    [[nodiscard]] virtual std::string name() const = 0;
    [[nodiscard]] virtual bool is_running() const = 0;
    [[nodiscard]] virtual DeviceLatency latency() const = 0;
    // True when capture and playback run on clocks of their own (two streams, or two devices):
    // the dsp side then reads the reference ring at the pace of the capture, not the output's.
    [[nodiscard]] virtual bool has_separate_clocks() const { return false; }
    // A device with no clock of its own (a WAV file paced in real time) can leave its callbacks
    // to the thread that reads its rings, which then needs no other thread to wake it: this waits
    // until the next callback is due, runs it on the calling thread, and returns true. A device
    // that calls back on its own (a sound card, a driver thread) returns false at once. The dsp
    // thread only, while running.
    virtual bool run_next_callback() { return false; }
    // Such a device's next callback is due at this time by the steady clock (then
    // run_next_callback() returns at once); nothing for a device that calls back on its own or
    // is not running. The dsp thread only.
    [[nodiscard]] virtual std::optional<Clock::TimePoint> next_callback_due() const {
        return std::nullopt;
    }

    // --- after a successful open(): any thread ----------------------------------------------
    [[nodiscard]] bool is_open() const noexcept { return bridge_ != nullptr; }
    [[nodiscard]] int input_rate_hz() const noexcept;
    [[nodiscard]] int output_rate_hz() const noexcept;
    // Capture ring: mic samples at input_rate_hz; rt writes, the dsp thread reads.
    [[nodiscard]] dsp::FrameRing& capture_ring() noexcept;
    // Render ring: speaker samples at output_rate_hz; the dsp thread writes, rt reads (silence
    // and an underrun when it runs dry). Keep it shallow: its depth is the barge-in delay.
    [[nodiscard]] dsp::FrameRing& render_ring() noexcept;
    // Reference ring: what rt handed the speaker, at output_rate_hz; rt writes, the dsp thread
    // reads it in lockstep with the capture ring (RtBridge::process_duplex explains alignment).
    [[nodiscard]] dsp::FrameRing& reference_ring() noexcept;
    // Drops everything queued in the render ring with a short fade-out (barge-in). Call from the
    // thread that writes the render ring (the dsp thread); rt carries it out.
    void flush_render() noexcept;
    [[nodiscard]] DeviceStats stats() const noexcept;
    // When the callback last ran (or start() was called), by the steady clock.
    [[nodiscard]] Clock::TimePoint last_callback_time() const noexcept;
    // When a callback last captured, and when one last rendered (the same callback in duplex
    // mode; separate streams call back at their own times).
    [[nodiscard]] Clock::TimePoint last_capture_time() const noexcept;
    [[nodiscard]] Clock::TimePoint last_render_time() const noexcept;
    // True when the device is running but no callback ran for longer than `threshold`.
    [[nodiscard]] bool callback_stalled(Clock::TimePoint now,
                                        std::chrono::nanoseconds threshold) const noexcept;

protected:
    Device() = default;
    // Builds the rings once (open()); later calls with the same rates keep them. Returns false
    // when the rates differ from the existing rings' (a reopen that changed rate).
    bool ensure_bridge(const RtBridgeOptions& options);
    [[nodiscard]] RtBridge* bridge() noexcept { return bridge_.get(); }
    [[nodiscard]] const RtBridge* bridge() const noexcept { return bridge_.get(); }

private:
    std::unique_ptr<RtBridge> bridge_;
};

}  // namespace parley::device
