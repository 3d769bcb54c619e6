// SPDX-License-Identifier: Apache-2.0
#include "device/rt_bridge.hpp"

#include <algorithm>
#include <cstring>

#include "base/check.hpp"
#include "dsp/frame.hpp"
#include "dsp/resampler.hpp"

namespace parley::device {

static_assert(std::atomic<std::int64_t>::is_always_lock_free);

RtBridge::RtBridge(const RtBridgeOptions& options)
    : options_(options),
      capture_ring_(dsp::ms_to_samples(std::max(options.capture_ring_ms, 1),
                                       std::max(options.input_rate_hz, 1))),
      render_ring_(dsp::ms_to_samples(std::max(options.render_ring_ms, 1),
                                      std::max(options.output_rate_hz, 1))),
      // The reference ring mirrors the capture ring so that, in duplex mode, whatever fits in one
      // fits in the other.
      reference_ring_(capture_ring_.capacity()),
      fade_samples_(std::max<std::size_t>(dsp::ms_to_samples(std::max(options.flush_fade_ms, 1),
                                                             std::max(options.output_rate_hz, 1)),
                                          1)) {
    PARLEY_DCHECK(dsp::is_valid_rate_hz(options.input_rate_hz));
    PARLEY_DCHECK(dsp::is_valid_rate_hz(options.output_rate_hz));
    PARLEY_DCHECK(options.capture_ring_ms > 0 && options.render_ring_ms > 0);
    PARLEY_DCHECK(options.flush_fade_ms > 0);
}

void RtBridge::render_into(std::span<std::int16_t> out) noexcept {
    std::size_t i = 0;
    if (fade_remaining_ == 0 && render_ring_.flush_pending()) {
        fade_remaining_ = fade_samples_;
    }
    if (fade_remaining_ > 0) {
        // Play the start of what is about to be dropped with a falling gain, one sample at a
        // time so we never read past the flush point (whatever was written after the request
        // belongs to the next turn and is kept). A few ms, so the per-sample atomics are cheap.
        while (fade_remaining_ > 0 && i < out.size() && render_ring_.flush_pending()) {
            std::int16_t sample = 0;
            if (render_ring_.read(std::span<std::int16_t>(&sample, 1)) == 0)
                break;
            const auto gain = static_cast<std::int32_t>(fade_remaining_);
            out[i++] = static_cast<std::int16_t>(static_cast<std::int32_t>(sample) * gain /
                                                 static_cast<std::int32_t>(fade_samples_ + 1));
            --fade_remaining_;
        }
        if (fade_remaining_ > 0 && i == out.size() && render_ring_.flush_pending()) {
            return;  // the block ended inside the fade: it goes on in the next callback
        }
        // The fade reached zero (or everything before the flush point was played): drop the rest
        // at once. What follows (the next turn, if already queued) starts right after, from a
        // silent point, so it needs no fade-in.
        const std::size_t dropped = render_ring_.flush_if_requested();
        count(flushes_, 1);
        count(flushed_samples_, dropped);
        fade_remaining_ = 0;
    }
    const std::size_t got = render_ring_.read(out.subspan(i));
    if (i + got < out.size()) {
        std::memset(out.data() + i + got, 0, (out.size() - i - got) * sizeof(std::int16_t));
        count(underruns_, 1);
        count(underrun_samples_, out.size() - i - got);
    }
}

void RtBridge::process_duplex(std::span<const std::int16_t> in, std::span<std::int16_t> out,
                              std::int64_t now_ns) noexcept {
    callbacks_.fetch_add(1, std::memory_order_relaxed);
    count(capture_callbacks_, 1);
    count(render_callbacks_, 1);
    render_into(out);
    count(render_samples_, out.size());
    count(capture_samples_, out.size());

    // Whatever fits in both rings, so the two stay aligned sample for sample.
    std::size_t fit = std::min(out.size(), capture_ring_.available_to_write());
    if (options_.reference_enabled)
        fit = std::min(fit, reference_ring_.available_to_write());
    if (in.empty()) {
        // No input buffer this time (PortAudio may prime output without input): capture silence
        // in chunks from a small zero block, so the rings stay aligned.
        static constexpr std::int16_t kZeros[256] = {};
        std::size_t left = fit;
        while (left > 0) {
            const std::size_t n = std::min<std::size_t>(left, std::size(kZeros));
            capture_ring_.write(std::span<const std::int16_t>(kZeros, n));
            left -= n;
        }
    } else {
        PARLEY_DCHECK(in.size() == out.size());
        capture_ring_.write(in.first(fit));
    }
    if (options_.reference_enabled)
        reference_ring_.write(std::span<const std::int16_t>(out.data(), fit));
    if (fit < out.size())
        count(overrun_samples_, out.size() - fit);

    last_capture_ns_.store(now_ns, std::memory_order_release);
    last_render_ns_.store(now_ns, std::memory_order_release);
}

void RtBridge::process_capture(std::span<const std::int16_t> in, std::int64_t now_ns,
                               bool new_callback) noexcept {
    if (new_callback) {
        callbacks_.fetch_add(1, std::memory_order_relaxed);
        count(capture_callbacks_, 1);
    }
    count(capture_samples_, in.size());
    const std::size_t written = capture_ring_.write(in);
    if (written < in.size())
        count(overrun_samples_, in.size() - written);
    capture_started_.store(true, std::memory_order_release);
    last_capture_ns_.store(now_ns, std::memory_order_release);
}

void RtBridge::process_render(std::span<std::int16_t> out, std::int64_t now_ns) noexcept {
    callbacks_.fetch_add(1, std::memory_order_relaxed);
    count(render_callbacks_, 1);
    render_into(out);
    count(render_samples_, out.size());
    if (options_.reference_enabled && capture_started_.load(std::memory_order_acquire)) {
        const std::size_t written = reference_ring_.write(out);
        if (written < out.size())
            count(reference_overrun_samples_, out.size() - written);
    }
    last_render_ns_.store(now_ns, std::memory_order_release);
}

std::int64_t RtBridge::last_callback_ns() const noexcept {
    return std::min(last_capture_ns_.load(std::memory_order_acquire),
                    last_render_ns_.load(std::memory_order_acquire));
}

void RtBridge::mark_started(std::int64_t now_ns) noexcept {
    capture_started_.store(false, std::memory_order_release);
    last_capture_ns_.store(now_ns, std::memory_order_release);
    last_render_ns_.store(now_ns, std::memory_order_release);
}

DeviceStats RtBridge::stats() const noexcept {
    DeviceStats s;
    s.callbacks = callbacks_.load(std::memory_order_relaxed);
    s.capture_callbacks = capture_callbacks_.load(std::memory_order_relaxed);
    s.render_callbacks = render_callbacks_.load(std::memory_order_relaxed);
    s.capture_samples = capture_samples_.load(std::memory_order_relaxed);
    s.render_samples = render_samples_.load(std::memory_order_relaxed);
    s.underruns = underruns_.load(std::memory_order_relaxed);
    s.underrun_samples = underrun_samples_.load(std::memory_order_relaxed);
    s.overrun_samples = overrun_samples_.load(std::memory_order_relaxed);
    s.reference_overrun_samples = reference_overrun_samples_.load(std::memory_order_relaxed);
    s.flushes = flushes_.load(std::memory_order_relaxed);
    s.flushed_samples = flushed_samples_.load(std::memory_order_relaxed);
    s.device_xruns = device_xruns_.load(std::memory_order_relaxed);
    return s;
}

}  // namespace parley::device
