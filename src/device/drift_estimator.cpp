// SPDX-License-Identifier: Apache-2.0
#include "device/drift_estimator.hpp"

#include "base/check.hpp"

namespace parley::device {

DriftEstimator::DriftEstimator(int input_rate_hz, int output_rate_hz, DriftEstimatorOptions options)
    : input_rate_hz_(input_rate_hz), output_rate_hz_(output_rate_hz), options_(options) {
    PARLEY_DCHECK(input_rate_hz > 0 && output_rate_hz > 0);
    PARLEY_DCHECK(options.max_points >= 2);
    points_.resize(options.max_points);
}

void DriftEstimator::reset() {
    head_ = 0;
    size_ = 0;
    have_origin_ = false;
}

void DriftEstimator::add(Clock::TimePoint t, std::uint64_t captured_samples,
                         std::uint64_t rendered_samples) {
    if (!have_origin_) {
        have_origin_ = true;
        origin_t_ = t;
        origin_captured_ = captured_samples;
        origin_rendered_ = rendered_samples;
    }
    // Relative to the first point, so doubles keep full precision over hours.
    const Point p{std::chrono::duration<double>(t - origin_t_).count(),
                  static_cast<double>(captured_samples - origin_captured_),
                  static_cast<double>(rendered_samples - origin_rendered_)};
    if (size_ == points_.size()) {
        head_ = (head_ + 1) % points_.size();
        --size_;
    }
    points_[(head_ + size_) % points_.size()] = p;
    ++size_;
    const double window_s = std::chrono::duration<double>(options_.window).count();
    while (size_ > 2 && p.t_s - at(0).t_s > window_s) {
        head_ = (head_ + 1) % points_.size();
        --size_;
    }
}

std::optional<double> DriftEstimator::drift_ppm() const {
    if (size_ < 3)
        return std::nullopt;
    const double span_s = at(size_ - 1).t_s - at(0).t_s;
    if (span_s < std::chrono::duration<double>(options_.min_span).count())
        return std::nullopt;
    // Least-squares slopes (samples per second) of both counters against time.
    double mean_t = 0, mean_c = 0, mean_r = 0;
    for (std::size_t i = 0; i < size_; ++i) {
        mean_t += at(i).t_s;
        mean_c += at(i).captured;
        mean_r += at(i).rendered;
    }
    const auto n = static_cast<double>(size_);
    mean_t /= n;
    mean_c /= n;
    mean_r /= n;
    double stt = 0, stc = 0, str = 0;
    for (std::size_t i = 0; i < size_; ++i) {
        const double dt = at(i).t_s - mean_t;
        stt += dt * dt;
        stc += dt * (at(i).captured - mean_c);
        str += dt * (at(i).rendered - mean_r);
    }
    if (stt <= 0 || stc <= 0 || str <= 0)
        return std::nullopt;
    const double input_ratio = (stc / stt) / input_rate_hz_;    // measured / nominal input rate
    const double output_ratio = (str / stt) / output_rate_hz_;  // measured / nominal output rate
    return (input_ratio / output_ratio - 1.0) * 1e6;
}

}  // namespace parley::device
