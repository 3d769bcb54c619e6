// SPDX-License-Identifier: Apache-2.0
#include "device/drift_estimator.hpp"

#include <chrono>
#include <cmath>
#include <random>

#include <gtest/gtest.h>

namespace parley::device {
namespace {

using std::chrono::milliseconds;

// Simulates two devices whose counters advance in blocks: input at in_rate * (1 + ppm), output
// at out_rate, sampled every 20 ms (as PortAudioDevice does) with up to one block of jitter.
std::optional<double> simulate(double true_ppm, int in_rate, int out_rate, int seconds,
                               std::size_t block) {
    DriftEstimator estimator(in_rate, out_rate);
    std::mt19937 rng(42);
    std::uniform_real_distribution<double> jitter(0.0, 1.0);
    for (int ms = 0; ms <= seconds * 1000; ms += 20) {
        const double t = ms / 1000.0;
        auto counted = [&](double rate) {
            // Counters only move in whole blocks, at a jittered moment.
            const double exact = rate * t - jitter(rng) * static_cast<double>(block);
            return static_cast<std::uint64_t>(std::max(0.0, std::floor(exact / block) * block));
        };
        estimator.add(Clock::TimePoint(milliseconds(ms)), counted(in_rate * (1 + true_ppm * 1e-6)),
                      counted(out_rate));
    }
    return estimator.drift_ppm();
}

TEST(DriftEstimatorTest, MeasuresKnownDrift) {
    for (double ppm : {-300.0, -50.0, 0.0, 80.0, 500.0}) {
        SCOPED_TRACE("ppm " + std::to_string(ppm));
        const auto measured = simulate(ppm, 48000, 44100, 60, 480);
        ASSERT_TRUE(measured.has_value());
        EXPECT_NEAR(*measured, ppm, 25.0);
    }
}

TEST(DriftEstimatorTest, NoEstimateBeforeTheMinimumSpan) {
    EXPECT_FALSE(simulate(100.0, 16000, 16000, 2, 160).has_value());
    EXPECT_TRUE(simulate(100.0, 16000, 16000, 4, 160).has_value());
}

TEST(DriftEstimatorTest, NoEstimateWhenAStreamDoesNotAdvance) {
    DriftEstimator estimator(48000, 48000);
    for (int ms = 0; ms <= 5000; ms += 100)
        estimator.add(Clock::TimePoint(milliseconds(ms)), 48 * static_cast<std::uint64_t>(ms), 0);
    EXPECT_FALSE(estimator.drift_ppm().has_value());
}

TEST(DriftEstimatorTest, ResetForgetsThePast) {
    DriftEstimator estimator(1000, 1000);
    for (int ms = 0; ms <= 5000; ms += 100)
        estimator.add(Clock::TimePoint(milliseconds(ms)), static_cast<std::uint64_t>(ms),
                      static_cast<std::uint64_t>(ms));
    ASSERT_TRUE(estimator.drift_ppm().has_value());
    EXPECT_NEAR(*estimator.drift_ppm(), 0.0, 1e-6);
    estimator.reset();
    EXPECT_FALSE(estimator.drift_ppm().has_value());
}

}  // namespace
}  // namespace parley::device
