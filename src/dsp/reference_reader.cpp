// SPDX-License-Identifier: Apache-2.0
#include "dsp/reference_reader.hpp"

#include <algorithm>
#include <cmath>

#include "dsp/frame.hpp"

namespace parley::dsp {
namespace {

// The backlog is averaged over about a fifth of a second (the callbacks' timing jitters), and
// held at what it was two seconds after the reference first came.
constexpr double kSmoothing = 1.0 / 20.0;
constexpr int kSettleBlocks = 200;
// PI gains per 10 ms block: critically damped (ki = kp^2 / 4 in per-block units), settling in
// about ten seconds. A drift of d ppm moves the alignment by about d / 1000 ms on the way.
constexpr double kProportionalPpmPerMs = 500.0;
constexpr double kIntegralPpmPerMs = 0.625;
// Sound cards are within a few hundred ppm of each other; more than this is not drift.
constexpr double kMaxCorrectionPpm = 3000.0;
// A backlog that moved this far from the one held is a stream that skipped (a reopen, dropped
// audio; the smoothing lets one late callback pass): the controller settles again.
constexpr double kSkipMs = 40.0;
// A backlog growing by 1 ms per 10 ms block is a clock 100000 ppm fast.
constexpr double kPpmPerMsPerBlock = 1e5;

}  // namespace

Result<ReferenceReader> ReferenceReader::create(int ring_rate_hz, bool follow_capture_clock) {
    auto resampler =
        follow_capture_clock
            ? Resampler::create(ring_rate_hz, kInputRateHz,
                                {.variable_ratio = true, .max_ratio_adjust_ppm = kMaxCorrectionPpm})
            : Resampler::create(ring_rate_hz, kInputRateHz);
    if (!resampler)
        return tl::unexpected(resampler.error());
    return ReferenceReader(std::move(*resampler), ring_rate_hz, follow_capture_clock);
}

ReferenceReader::ReferenceReader(Resampler resampler, int ring_rate_hz, bool follow)
    : resampler_(std::move(resampler)),
      ring_rate_hz_(ring_rate_hz),
      follow_(follow),
      nominal_block_(samples_per_frame(ring_rate_hz)),
      next_block_(nominal_block_),
      // Room for the largest correction's block.
      block_(nominal_block_ + nominal_block_ / 100 + 2) {}

std::size_t ReferenceReader::read(FrameRing& ring, std::vector<std::int16_t>* out) {
    const auto block = std::span(block_).first(next_block_);
    // Holding back: silence leads the block, and the ring keeps that much more.
    const std::size_t held = std::min(hold_samples_, block.size());
    hold_samples_ -= held;
    std::fill(block.begin(), block.begin() + static_cast<std::ptrdiff_t>(held), std::int16_t{0});
    const std::size_t got = ring.read(block.subspan(held));
    std::fill(block.begin() + static_cast<std::ptrdiff_t>(held + got), block.end(),
              std::int16_t{0});
    // Silence standing in for audio the ring did not have yet delays the reference as much as
    // a backlog would, where the backlog measured (an empty ring) cannot show it.
    shortfall_ms_ += samples_to_ms(static_cast<double>(block.size() - held - got), ring_rate_hz_);
    if (out != nullptr)
        resampler_.process(block, *out);
    return got;
}

void ReferenceReader::steer(double backlog_ms, double min_backlog_ms) {
    if (!follow_)
        return;
    smoothed_ms_ =
        smoothed_ms_ ? *smoothed_ms_ + (backlog_ms - *smoothed_ms_) * kSmoothing : backlog_ms;
    if (target_ms_ && std::abs(*smoothed_ms_ - *target_ms_) > kSkipMs) {
        smoothed_ms_ = backlog_ms;
        target_ms_.reset();
        settling_blocks_ = 0;
        settling_fit_ = {};
    }
    if (!target_ms_) {
        settling_fit_.add(static_cast<double>(settling_blocks_), backlog_ms - shortfall_ms_);
        if (++settling_blocks_ < kSettleBlocks)
            return;
        // The backlog the streams started with, unless too little for their callbacks' phases
        // to slide by (they do, when the clocks differ). The reference then holds back at once
        // (silence stands in: early on, before the model spoke), not over the controller's
        // seconds, during which the canceller would have to follow a moving echo. The drift
        // seen while settling starts the controller off, so the echo hardly moves after.
        const double raise_ms = std::max(0.0, min_backlog_ms - *smoothed_ms_);
        hold_samples_ = static_cast<std::size_t>(raise_ms * ring_rate_hz_ / 1000.0);
        target_ms_ = *smoothed_ms_ + raise_ms;
        smoothed_ms_ = target_ms_;
        integral_ppm_ = std::clamp(settling_fit_.slope() * kPpmPerMsPerBlock, -kMaxCorrectionPpm,
                                   kMaxCorrectionPpm);
    }
    // A growing backlog means the speaker's clock runs fast: read more of it per block.
    const double error_ms = *smoothed_ms_ - *target_ms_;
    integral_ppm_ = std::clamp(integral_ppm_ + kIntegralPpmPerMs * error_ms, -kMaxCorrectionPpm,
                               kMaxCorrectionPpm);
    const double ppm = std::clamp(integral_ppm_ + kProportionalPpmPerMs * error_ms,
                                  -kMaxCorrectionPpm, kMaxCorrectionPpm);
    if (std::abs(ppm - ppm_) >= 0.1 && resampler_.set_ratio_adjust(ppm))
        ppm_ = ppm;
    const double exact = static_cast<double>(nominal_block_) * (1.0 + ppm_ * 1e-6) + fraction_;
    next_block_ = static_cast<std::size_t>(exact);
    fraction_ = exact - static_cast<double>(next_block_);
}

void ReferenceReader::LineFit::add(double x, double y) {
    n += 1;
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
}

double ReferenceReader::LineFit::slope() const {
    const double spread = n * sxx - sx * sx;
    return spread > 0 ? (n * sxy - sx * sy) / spread : 0.0;
}

double ReferenceReader::backlog_ms(std::size_t reference_unread, int reference_rate_hz,
                                   std::int64_t last_render_ns, std::size_t capture_unread,
                                   int capture_rate_hz, std::int64_t last_capture_ns) {
    return samples_to_ms(static_cast<double>(reference_unread), reference_rate_hz) -
           samples_to_ms(static_cast<double>(capture_unread), capture_rate_hz) -
           static_cast<double>(last_render_ns - last_capture_ns) * 1e-6;
}

}  // namespace parley::dsp
