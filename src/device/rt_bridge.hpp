// SPDX-License-Identifier: Apache-2.0
// RtBridge: the one real-time code path every device shares. It owns the three rings between the
// device callback and the dsp thread (capture: mic samples, rt writes; render: speaker samples,
// dsp writes, rt reads; reference: exactly what rt handed the speaker, for the echo canceller) and
// the atomic counters. The process_* functions run on rt (the PortAudio callback, or a simulated
// device's driver thread): they only copy, bump atomics, write silence on underrun and fade out
// on a render flush; no allocation, lock, log, syscall or throw. Built off rt at open().
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>

#include "dsp/frame_ring.hpp"

namespace parley::device {

struct RtBridgeOptions {
    int input_rate_hz = 48000;   // capture ring rate
    int output_rate_hz = 48000;  // render and reference ring rate
    // Ring capacities (each rounded up to a power of two). Capacity is not latency: the dsp side
    // decides how deep it fills the render ring, and drains the capture ring as it comes.
    int capture_ring_ms = 250;
    int render_ring_ms = 250;
    // Length of the fade-out when a render flush drops queued samples (no click).
    int flush_fade_ms = 5;
    // Whether rt copies what it played into the reference ring. When on, the dsp side must drain
    // it along with the capture ring (see process_duplex).
    bool reference_enabled = true;
};

// A snapshot of the counters (each read atomically; the set is not one atomic snapshot).
struct DeviceStats {
    std::uint64_t callbacks = 0;                  // callback invocations (capture and render)
    std::uint64_t capture_callbacks = 0;          // of those, the ones that captured
    std::uint64_t render_callbacks = 0;           // and the ones that rendered
    std::uint64_t capture_samples = 0;            // samples the device delivered (kept or dropped)
    std::uint64_t render_samples = 0;             // samples handed to the device (incl. silence)
    std::uint64_t underruns = 0;                  // callbacks where the render ring ran dry
    std::uint64_t underrun_samples = 0;           // silence samples written because of underruns
    std::uint64_t overrun_samples = 0;            // capture samples dropped: capture ring full
    std::uint64_t reference_overrun_samples = 0;  // reference samples dropped (two-stream mode)
    std::uint64_t flushes = 0;                    // render flushes carried out
    std::uint64_t flushed_samples = 0;  // render samples dropped by flushes (after the fade)
    std::uint64_t device_xruns = 0;     // over/underflows the device itself reported

    // Mean samples per capturing / rendering callback so far; 0 before the first.
    [[nodiscard]] double mean_capture_block() const {
        return mean(capture_samples, capture_callbacks);
    }
    [[nodiscard]] double mean_render_block() const {
        return mean(render_samples, render_callbacks);
    }

private:
    static double mean(std::uint64_t samples, std::uint64_t callbacks) {
        return callbacks == 0 ? 0.0 : static_cast<double>(samples) / static_cast<double>(callbacks);
    }
};

class RtBridge {
public:
    // Allocates the rings; call off rt. Preconditions (PARLEY_DCHECK): rates in [1000, 384000],
    // ring and fade lengths > 0.
    explicit RtBridge(const RtBridgeOptions& options);
    RtBridge(const RtBridge&) = delete;
    RtBridge& operator=(const RtBridge&) = delete;

    [[nodiscard]] const RtBridgeOptions& options() const noexcept { return options_; }

    [[nodiscard]] dsp::FrameRing& capture_ring() noexcept { return capture_ring_; }
    [[nodiscard]] dsp::FrameRing& render_ring() noexcept { return render_ring_; }
    [[nodiscard]] dsp::FrameRing& reference_ring() noexcept { return reference_ring_; }

    // --- rt side ------------------------------------------------------------------------------
    // One full-duplex block (input and output rates equal): fills `out` from the render ring
    // (silence on underrun, fade-out on flush), then stores `in` in the capture ring and `out` in
    // the reference ring. The same number of samples goes into both rings (whatever fits in
    // both), so capture sample k and reference sample k always come from the same callback: the
    // dsp side reads both in lockstep and adds the stream latencies to get the echo delay.
    // `in` may be empty (no input this time: silence is captured). out.size() is the block size;
    // precondition: in.empty() || in.size() == out.size(). `now_ns` is the steady-clock time.
    void process_duplex(std::span<const std::int16_t> in, std::span<std::int16_t> out,
                        std::int64_t now_ns) noexcept;
    // Input-only stream callback (two-stream mode). A callback that hands over its audio in
    // several pieces passes `new_callback` false for all but the first, so the callback count
    // (and the block length the dsp thread derives from it) stays true.
    void process_capture(std::span<const std::int16_t> in, std::int64_t now_ns,
                         bool new_callback = true) noexcept;
    // Output-only stream callback (two-stream mode): render, then reference (independently).
    // The reference is only recorded once the capture stream has called back at least once since
    // mark_started(): output played before the microphone ran has no capture to align with, and
    // skipping it keeps the echo after its reference in ring order (as in duplex mode, off by the
    // stream latencies).
    void process_render(std::span<std::int16_t> out, std::int64_t now_ns) noexcept;

    // A callback whose device reported an input overflow or output underflow (rt).
    void count_device_xrun() noexcept { device_xruns_.fetch_add(1, std::memory_order_relaxed); }

    // --- any thread ---------------------------------------------------------------------------
    [[nodiscard]] DeviceStats stats() const noexcept;
    // Steady-clock nanoseconds of the last callback (or of the last mark_started()); the older of
    // the capture and render sides, so in two-stream mode one stalled stream is noticed too.
    [[nodiscard]] std::int64_t last_callback_ns() const noexcept;
    // Of the last callback that captured, and of the last that rendered.
    [[nodiscard]] std::int64_t last_capture_ns() const noexcept {
        return last_capture_ns_.load(std::memory_order_acquire);
    }
    [[nodiscard]] std::int64_t last_render_ns() const noexcept {
        return last_render_ns_.load(std::memory_order_acquire);
    }
    // Called by start(): counts a stream that never calls back as stalled from this moment.
    void mark_started(std::int64_t now_ns) noexcept;

private:
    void render_into(std::span<std::int16_t> out) noexcept;
    void count(std::atomic<std::uint64_t>& counter, std::uint64_t by) noexcept {
        // Only rt writes the counters: a relaxed load + store is enough and never a locked RMW.
        counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
    }

    RtBridgeOptions options_;
    dsp::FrameRing capture_ring_;
    dsp::FrameRing render_ring_;
    dsp::FrameRing reference_ring_;
    std::size_t fade_samples_;
    std::size_t fade_remaining_ = 0;  // rt only: samples left in a fade-out in progress

    // Written on rt only (duplex mode: one callback; two-stream mode: capture counters by the
    // input callback, render counters by the output callback; `callbacks` by both, so it is a
    // fetch_add).
    std::atomic<std::uint64_t> callbacks_{0};
    std::atomic<std::uint64_t> capture_callbacks_{0};
    std::atomic<std::uint64_t> render_callbacks_{0};
    std::atomic<std::uint64_t> capture_samples_{0};
    std::atomic<std::uint64_t> render_samples_{0};
    std::atomic<std::uint64_t> underruns_{0};
    std::atomic<std::uint64_t> underrun_samples_{0};
    std::atomic<std::uint64_t> overrun_samples_{0};
    std::atomic<std::uint64_t> reference_overrun_samples_{0};
    std::atomic<std::uint64_t> flushes_{0};
    std::atomic<std::uint64_t> flushed_samples_{0};
    std::atomic<std::uint64_t> device_xruns_{0};
    std::atomic<bool> capture_started_{false};  // two-stream mode: see process_render
    std::atomic<std::int64_t> last_capture_ns_{0};
    std::atomic<std::int64_t> last_render_ns_{0};
};

}  // namespace parley::device
