// SPDX-License-Identifier: Apache-2.0
// DriftEstimator: measures how fast an input stream's clock runs against an output stream's from
// their sample counters sampled over time (least-squares slope of each over a sliding window), so
// the dsp side can follow two separate devices with Resampler::set_ratio_adjust. Fed by
// PortAudioDevice's monitor thread (or anyone) with (time, captured, rendered) points. Not
// thread-safe: one owner. Allocates its window once, at construction. Never on rt. Precision:
// with 10 ms device blocks sampled every 20 ms, about +-20 ppm after 60 s (tests check it).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/clock.hpp"

namespace parley::device {

struct DriftEstimatorOptions {
    // Points older than this fall out of the fit.
    std::chrono::milliseconds window{60000};
    // No estimate until the points span at least this long (the counters advance in device
    // blocks, so short spans give noisy slopes).
    std::chrono::milliseconds min_span{3000};
    // Most points kept (the oldest are dropped first).
    std::size_t max_points = 4096;
};

class DriftEstimator {
public:
    // Preconditions (PARLEY_DCHECK): rates > 0, max_points >= 2.
    DriftEstimator(int input_rate_hz, int output_rate_hz, DriftEstimatorOptions options = {});

    // Adds a point: total samples captured and rendered so far, at time `t` (non-decreasing).
    void add(Clock::TimePoint t, std::uint64_t captured_samples, std::uint64_t rendered_samples);
    // Input-against-output drift in ppm (> 0: the input clock runs fast), or nullopt while the
    // window is shorter than min_span or a stream did not advance.
    [[nodiscard]] std::optional<double> drift_ppm() const;
    // Forgets every point (after a reopen, when the counters restart their pace).
    void reset();

private:
    struct Point {
        double t_s;
        double captured;
        double rendered;
    };
    [[nodiscard]] const Point& at(std::size_t i) const {
        return points_[(head_ + i) % points_.size()];
    }

    int input_rate_hz_;
    int output_rate_hz_;
    DriftEstimatorOptions options_;
    std::vector<Point> points_;  // circular
    std::size_t head_ = 0;
    std::size_t size_ = 0;
    bool have_origin_ = false;
    Clock::TimePoint origin_t_{};
    std::uint64_t origin_captured_ = 0;
    std::uint64_t origin_rendered_ = 0;
};

}  // namespace parley::device
