// SPDX-License-Identifier: Apache-2.0
// Resampler: streaming sample-rate conversion of mono PCM16 (soxr, HQ, no dither), keeping its
// filter state between calls. Used on the dsp thread (device rate <-> 16/24 kHz), by the server
// (24 kHz synthesis) and by WAV I/O. Not thread-safe: one owner. Allocates only when `out` grows,
// so never call it on rt. The only file that includes soxr.h is resampler.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "base/result.hpp"

namespace parley::dsp {

// Rates a Resampler accepts: [kMinRateHz, kMaxRateHz].
inline constexpr int kMinRateHz = 1000;
inline constexpr int kMaxRateHz = 384000;
[[nodiscard]] constexpr bool is_valid_rate_hz(int rate_hz) {
    return rate_hz >= kMinRateHz && rate_hz <= kMaxRateHz;
}

struct ResamplerOptions {
    // Variable-ratio mode (soxr's SOXR_VR) so set_ratio_adjust() can follow clock drift between
    // two devices. Costs more CPU than the fixed-ratio mode; off by default.
    bool variable_ratio = false;
    // Largest |ppm| set_ratio_adjust() accepts in variable-ratio mode.
    double max_ratio_adjust_ppm = 10000.0;
};

class Resampler {
public:
    // A fixed-ratio resampler from rate_in_hz to rate_out_hz. Errors: kInvalidRate.
    [[nodiscard]] static Result<Resampler> create(int rate_in_hz, int rate_out_hz);
    // Errors: kInvalidRate, kInvalidArgument (max_ratio_adjust_ppm not in (0, 100000]),
    // kResamplerFailed.
    [[nodiscard]] static Result<Resampler> create(int rate_in_hz, int rate_out_hz,
                                                  const ResamplerOptions& options);

    Resampler(Resampler&&) noexcept;
    Resampler& operator=(Resampler&&) noexcept;
    Resampler(const Resampler&) = delete;
    Resampler& operator=(const Resampler&) = delete;
    ~Resampler();

    // Appends the resampled output of `in` to `out`. Streaming: filter state is kept between
    // calls, so any chunking of a stream gives the same samples as one call. Output lags input
    // by delay_samples(); the tail comes out on flush().
    void process(std::span<const std::int16_t> in, std::vector<std::int16_t>& out);

    // Appends what is still held inside (end of stream), then resets for a new stream.
    void flush(std::vector<std::int16_t>& out);

    // Drift compensation (variable-ratio mode only): consume (1 + ppm * 1e-6) times the nominal
    // input per output sample, i.e. ppm > 0 when the input clock runs fast compared with the
    // output clock. The change glides in over ~10 ms of output. Errors: kNotVariableRate,
    // kInvalidArgument (|ppm| > max_ratio_adjust_ppm).
    [[nodiscard]] Status set_ratio_adjust(double ppm);

    [[nodiscard]] int rate_in_hz() const;
    [[nodiscard]] int rate_out_hz() const;

    // The resampler's own delay, in output samples (for echo-canceller alignment later).
    [[nodiscard]] double delay_samples() const;

private:
    struct Impl;
    explicit Resampler(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// Resamples a whole buffer in one go (process + flush). Precondition: both rates pass
// is_valid_rate_hz (checked with PARLEY_DCHECK). Returns a copy when the rates are equal.
[[nodiscard]] std::vector<std::int16_t> resample(std::span<const std::int16_t> in, int rate_in_hz,
                                                 int rate_out_hz);

}  // namespace parley::dsp
