// SPDX-License-Identifier: Apache-2.0
// SimulatedDevice: the driver shared by FileDevice and NullDevice. A "fake rt" driver runs the
// same RtBridge::process_duplex code path as the sound card, in blocks of any size (10 ms or odd
// sizes, cycled), either paced in real time by its own thread, unpaced (its thread runs ahead
// only while the dsp side keeps consuming the capture ring), or stepped by hand (kManual: no
// thread; tests call step()) or paced in real time by the thread that reads its rings
// (run_next_callback(): one thread fewer to wake). Subclasses supply input and take output off
// rt; an optional echo path mixes what was played into later capture (a simulated room). Input
// and output may run at different rates (no echo path then): each block then runs as an input
// callback and an output callback of the same duration, as two sound-card streams would.
// Control thread + driver.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.hpp"
#include "device/device.hpp"
#include "dsp/frame_ring.hpp"
#include "dsp/resampler.hpp"

namespace parley::device {

enum class Pacing {
    kRealtime,  // the driver thread runs one block per block duration by `clock`
    kUnpaced,   // as fast as the dsp side consumes: the driver thread waits while the capture
                // ring holds unpaced_lookahead_ms or more unread audio
    kManual,    // no thread: the caller runs blocks with step()
    kRealtimeOnReader,  // no thread: the dsp thread runs one block per block duration by `clock`
                        // (run_next_callback)
};

// What the microphone hears from what the speaker played. Called on the driver thread (not under
// the rt rules: it may allocate) with one played block; writes `echo` (same size). The device adds
// `echo` into capture exactly `max block size` samples later (latency().output says how much).
using EchoPath =
    std::function<void(std::span<const std::int16_t> played, std::span<std::int16_t> echo)>;

struct SimulatedDeviceOptions {
    Pacing pacing = Pacing::kUnpaced;
    // Device block sizes in input samples, used in turn (e.g. {441, 13, 1024}); empty means one
    // 10 ms frame. Each must be in [1, 1 << 16].
    std::vector<std::size_t> block_samples{};
    // Timestamps and (kRealtime) pacing; nullptr means Clock::steady(). Not owned; must outlive
    // the device. With a ManualClock, kRealtime pacing runs without waiting.
    Clock* clock = nullptr;
    // kUnpaced: how much unread capture audio the driver leaves queued before it waits.
    int unpaced_lookahead_ms = 20;
    int capture_ring_ms = 250;
    int render_ring_ms = 250;
    int flush_fade_ms = 5;
    bool reference_enabled = true;
    EchoPath echo_path{};  // empty: no echo
    // How much faster the output clock runs than the input clock, in ppm (0: one clock). Each
    // input block then comes with (1 + ppm * 1e-6) times its length of output, in a callback of
    // its own, as from two sound cards; the echo reaches the microphone resampled by as much.
    // Within [-10000, 10000].
    double output_clock_ppm = 0.0;
};

class SimulatedDevice : public Device {
public:
    ~SimulatedDevice() override;

    [[nodiscard]] Status start(std::string* why = nullptr) override;
    void stop() override;
    void close() override;
    [[nodiscard]] Status reopen(std::string* why = nullptr) override;
    [[nodiscard]] bool is_running() const override { return running_.load(); }
    [[nodiscard]] DeviceLatency latency() const override;
    [[nodiscard]] bool has_separate_clocks() const override {
        return options_.output_clock_ppm != 0.0;
    }

    // kManual only, while running: runs `blocks` device callbacks on the calling thread (which
    // then plays the rt role). Returns how many ran (0 when not running or not kManual).
    std::size_t step(std::size_t blocks = 1);
    // kManual only: step(1), then waits (up to `timeout`) until the reader has taken the block's
    // capture. With separate clocks one 10 ms frame may stay unread: a reader that pairs the
    // capture with the speaker's reference waits for the speaker's next callback. False when no
    // block ran or on timeout.
    bool step_until_read(std::chrono::milliseconds timeout = std::chrono::seconds(5));
    // kRealtimeOnReader only, while running: sleeps until the next block is due, then runs it.
    bool run_next_callback() override;
    // kRealtimeOnReader on the steady clock only, while running.
    [[nodiscard]] std::optional<Clock::TimePoint> next_callback_due() const override;
    // Device blocks run so far.
    [[nodiscard]] std::uint64_t blocks_run() const noexcept { return blocks_run_.load(); }

protected:
    explicit SimulatedDevice(SimulatedDeviceOptions options);
    // Builds the rings and block buffers at `input_rate_hz` and `output_rate_hz` (0: the input
    // rate); call from the subclass's open().
    [[nodiscard]] Status open_at(int input_rate_hz, int output_rate_hz, std::string* why);
    [[nodiscard]] const SimulatedDeviceOptions& options() const { return options_; }

    // Driver thread (or step()'s caller), outside the rt scope. Fill `in` with the next input.
    virtual void fill_input(std::span<std::int16_t> in) = 0;
    // Driver thread, outside the rt scope: what the callback handed the speaker.
    virtual void consume_output(std::span<const std::int16_t> out) = 0;
    // Subclass state to reset when reopening (files rewound etc.); default: nothing.
    virtual Status reopen_sources(std::string* /*why*/) { return {}; }

private:
    void run_block();
    // Output samples of the next block of `input_samples` (the two rates' blocks last as long).
    [[nodiscard]] std::size_t output_samples_for(std::size_t input_samples) const;
    void driver_loop();
    // When the next block is due in real time (paced_from_ plus the samples run since).
    [[nodiscard]] Clock::TimePoint next_block_due() const;

    SimulatedDeviceOptions options_;
    Clock& clock_;
    std::size_t max_block_samples_ = 0;
    std::size_t next_block_ = 0;  // index into block sizes
    std::vector<std::int16_t> in_;
    std::vector<std::int16_t> out_;
    std::vector<std::int16_t> echo_;
    std::unique_ptr<dsp::FrameRing> echo_fifo_;  // holds exactly max_block_samples_ between blocks
    // Separate clocks: the echo from the output clock's samples to the input clock's.
    std::optional<dsp::Resampler> echo_clock_;
    std::vector<std::int16_t> echo_at_input_;
    std::size_t echo_delay_samples_ = 0;  // from played to heard
    std::atomic<bool> running_{false};
    std::atomic<bool> stop_requested_{false};
    std::atomic<std::uint64_t> blocks_run_{0};
    // Start time and input samples run since: the real-time pacing (driver or reader thread),
    // and the output block that lasts as long as each input block.
    Clock::TimePoint paced_from_{};
    std::uint64_t paced_samples_ = 0;
    std::thread driver_;
};

}  // namespace parley::device
