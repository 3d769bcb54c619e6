// SPDX-License-Identifier: Apache-2.0
#include "dsp/resampler.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dsp/error.hpp"

namespace parley::dsp {
namespace {

constexpr int kRatesHz[] = {16000, 24000, 44100, 48000};
constexpr double kToneHz = 440.0;
constexpr double kAmplitude = 10000.0;

std::vector<std::int16_t> sine(double freq_hz, int rate_hz, double seconds, double amplitude) {
    const auto n = static_cast<std::size_t>(seconds * rate_hz);
    std::vector<std::int16_t> out(n);
    for (std::size_t i = 0; i < n; ++i) {
        out[i] = static_cast<std::int16_t>(
            std::lround(amplitude * std::sin(2.0 * std::numbers::pi * freq_hz *
                                             static_cast<double>(i) / rate_hz)));
    }
    return out;
}

// Sign changes in [begin, end).
int zero_crossings(const std::vector<std::int16_t>& x, std::size_t begin, std::size_t end) {
    int count = 0;
    for (std::size_t i = begin + 1; i < end; ++i) {
        if ((x[i - 1] < 0) != (x[i] < 0))
            ++count;
    }
    return count;
}

int peak(const std::vector<std::int16_t>& x, std::size_t begin, std::size_t end) {
    int p = 0;
    for (std::size_t i = begin; i < end; ++i) p = std::max(p, std::abs(static_cast<int>(x[i])));
    return p;
}

// Largest |x[i+1] - 2 x[i] + x[i-1]| in [begin, end): a step or a dropped sample shows as a spike.
int max_second_derivative(const std::vector<std::int16_t>& x, std::size_t begin, std::size_t end) {
    int m = 0;
    for (std::size_t i = std::max<std::size_t>(begin, 1); i + 1 < end; ++i) {
        m = std::max(m, std::abs(x[i + 1] - 2 * x[i] + x[i - 1]));
    }
    return m;
}

std::string pair_name(int in_hz, int out_hz) {
    return std::to_string(in_hz) + " Hz -> " + std::to_string(out_hz) + " Hz";
}

TEST(ResamplerTest, RejectsInvalidRates) {
    for (auto [in_hz, out_hz] : {std::pair{0, 16000}, std::pair{16000, -1}, std::pair{999, 16000},
                                 std::pair{16000, 400000}}) {
        SCOPED_TRACE(pair_name(in_hz, out_hz));
        auto r = Resampler::create(in_hz, out_hz);
        ASSERT_FALSE(r.has_value());
        EXPECT_EQ(r.error(), DspError::kInvalidRate);
        EXPECT_EQ(r.error(), DspCondition::kBadConfig);
        EXPECT_FALSE(r.error().message().empty());
    }
}

TEST(ResamplerTest, SineKeepsFrequencyAmplitudeAndLength) {
    for (int in_hz : kRatesHz) {
        for (int out_hz : kRatesHz) {
            SCOPED_TRACE(pair_name(in_hz, out_hz));
            const double seconds = 1.0;
            const auto in = sine(kToneHz, in_hz, seconds, kAmplitude);
            auto r = Resampler::create(in_hz, out_hz);
            ASSERT_TRUE(r.has_value());
            EXPECT_EQ(r->rate_in_hz(), in_hz);
            EXPECT_EQ(r->rate_out_hz(), out_hz);
            std::vector<std::int16_t> out;
            r->process(in, out);
            r->flush(out);

            const double expected_len = static_cast<double>(in.size()) * out_hz / in_hz;
            EXPECT_NEAR(static_cast<double>(out.size()), expected_len, 3.0);

            // Steady part: skip 50 ms at each end (filter onset and tail).
            const auto skip = static_cast<std::size_t>(out_hz / 20);
            ASSERT_GT(out.size(), 2 * skip);
            const std::size_t begin = skip;
            const std::size_t end = out.size() - skip;
            const double steady_seconds = static_cast<double>(end - begin) / out_hz;
            const double expected_crossings = 2.0 * kToneHz * steady_seconds;
            EXPECT_NEAR(zero_crossings(out, begin, end), expected_crossings, 2.0);
            EXPECT_NEAR(peak(out, begin, end), kAmplitude, kAmplitude * 0.01);

            // A pure 440 Hz sine has |x''| <= A (2 pi f / fs)^2; allow rounding slack.
            const double w = 2.0 * std::numbers::pi * kToneHz / out_hz;
            EXPECT_LE(max_second_derivative(out, begin, end), kAmplitude * w * w * 1.05 + 4.0);
        }
    }
}

TEST(ResamplerTest, ChunkedStreamingEqualsOneShotWithoutGlitches) {
    constexpr std::size_t kChunkSizes[] = {1, 7, 13, 160, 441, 1009, 3, 480, 97};
    for (int in_hz : kRatesHz) {
        for (int out_hz : kRatesHz) {
            SCOPED_TRACE(pair_name(in_hz, out_hz));
            const auto in = sine(kToneHz, in_hz, 0.5, kAmplitude);
            const auto one_shot = resample(in, in_hz, out_hz);

            auto r = Resampler::create(in_hz, out_hz);
            ASSERT_TRUE(r.has_value());
            std::vector<std::int16_t> chunked;
            std::size_t pos = 0;
            for (std::size_t k = 0; pos < in.size(); ++k) {
                const std::size_t n =
                    std::min(kChunkSizes[k % std::size(kChunkSizes)], in.size() - pos);
                r->process(std::span(in).subspan(pos, n), chunked);
                pos += n;
            }
            r->flush(chunked);
            ASSERT_EQ(chunked.size(), one_shot.size());
            EXPECT_EQ(chunked, one_shot);

            const auto skip = static_cast<std::size_t>(out_hz / 20);
            const double w = 2.0 * std::numbers::pi * kToneHz / out_hz;
            EXPECT_LE(max_second_derivative(chunked, skip, chunked.size() - skip),
                      kAmplitude * w * w * 1.05 + 4.0);
        }
    }
}

TEST(ResamplerTest, FlushResetsForANewStream) {
    const auto in = sine(kToneHz, 48000, 0.2, kAmplitude);
    auto r = Resampler::create(48000, 16000);
    ASSERT_TRUE(r.has_value());
    std::vector<std::int16_t> first;
    r->process(in, first);
    r->flush(first);
    std::vector<std::int16_t> second;
    r->process(in, second);
    r->flush(second);
    EXPECT_EQ(first, second);
}

TEST(ResamplerTest, DelayAccountsForHeldBackOutput) {
    for (int in_hz : kRatesHz) {
        for (int out_hz : kRatesHz) {
            SCOPED_TRACE(pair_name(in_hz, out_hz));
            auto r = Resampler::create(in_hz, out_hz);
            ASSERT_TRUE(r.has_value());
            const auto in = sine(kToneHz, in_hz, 0.3, kAmplitude);
            std::vector<std::int16_t> out;
            r->process(in, out);
            const double expected = static_cast<double>(in.size()) * out_hz / in_hz;
            if (in_hz == out_hz) {
                EXPECT_EQ(r->delay_samples(), 0.0);
            } else {
                EXPECT_GT(r->delay_samples(), 0.0);
            }
            // What came out plus what is still inside is everything that went in.
            EXPECT_NEAR(static_cast<double>(out.size()) + r->delay_samples(), expected, 2.0);
        }
    }
}

TEST(ResamplerTest, RatioAdjustNeedsVariableRateMode) {
    auto fixed = Resampler::create(48000, 16000);
    ASSERT_TRUE(fixed.has_value());
    auto status = fixed->set_ratio_adjust(100.0);
    ASSERT_FALSE(status.has_value());
    EXPECT_EQ(status.error(), DspError::kNotVariableRate);

    auto vr =
        Resampler::create(48000, 16000, {.variable_ratio = true, .max_ratio_adjust_ppm = 2000});
    ASSERT_TRUE(vr.has_value());
    EXPECT_FALSE(vr->set_ratio_adjust(5000.0).has_value());
    EXPECT_TRUE(vr->set_ratio_adjust(-2000.0).has_value());
}

TEST(ResamplerTest, RatioAdjustChangesOutputLengthByPpm) {
    for (double ppm : {0.0, 1000.0, -1000.0}) {
        SCOPED_TRACE("ppm " + std::to_string(ppm));
        auto r = Resampler::create(48000, 16000, {.variable_ratio = true});
        ASSERT_TRUE(r.has_value());
        ASSERT_TRUE(r->set_ratio_adjust(ppm).has_value());
        const auto in = sine(kToneHz, 48000, 5.0, kAmplitude);
        std::vector<std::int16_t> out;
        // Feed in 10 ms chunks, the way the dsp thread does.
        for (std::size_t pos = 0; pos < in.size(); pos += 480) {
            r->process(std::span(in).subspan(pos, std::min<std::size_t>(480, in.size() - pos)),
                       out);
        }
        r->flush(out);
        // ppm > 0 consumes input faster, so there is less output.
        const double expected = 80000.0 / (1.0 + ppm * 1e-6);
        EXPECT_NEAR(static_cast<double>(out.size()), expected, 12.0);
        const auto skip = std::size_t{800};
        const double w = 2.0 * std::numbers::pi * kToneHz / 16000;
        EXPECT_NEAR(peak(out, skip, out.size() - skip), kAmplitude, kAmplitude * 0.01);
        EXPECT_LE(max_second_derivative(out, skip, out.size() - skip),
                  kAmplitude * w * w * 1.05 + 4.0);
    }
}

}  // namespace
}  // namespace parley::dsp
